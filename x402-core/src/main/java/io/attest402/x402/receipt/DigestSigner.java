package io.attest402.x402.receipt;

/**
 * Signs a 32-byte digest with the receipt key (secp256k1). Returns either 65 bytes {@code r || s ||
 * v} (v in 0, 1, 27 or 28, as web3j and the enclave key produce) or 64 bytes {@code r || s}. The
 * key itself never needs to leave its holder: wire the enclave key as {@code
 * enclaveKey::signDigestRsv}.
 */
@FunctionalInterface
public interface DigestSigner {
  byte[] signDigest(byte[] digest32);
}
