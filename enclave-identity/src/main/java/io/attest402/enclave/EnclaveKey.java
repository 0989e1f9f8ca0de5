package io.attest402.enclave;

import org.web3j.crypto.Sign;
import org.web3j.service.TxSignService;

/**
 * The facilitator's secp256k1 key, born inside the TEE. It is both the settlement account (it signs
 * the transactions that pay gas for {@code transferWithAuthorization}) and the receipt signer. The
 * private key is not exposed: callers get signatures, never the key.
 */
public interface EnclaveKey extends TxSignService {
  /** The Ethereum address of the key, 0x-prefixed, EIP-55 checksummed. */
  String address();

  /** The uncompressed public key: {@code 0x04 || X || Y}, 65 bytes. */
  byte[] publicKey();

  /**
   * A recoverable secp256k1 signature (low-s, v = 27/28) over a 32-byte digest, for receipts and
   * attestation.
   */
  Sign.SignatureData signDigest(byte[] digest32);

  /**
   * {@link #signDigest} as 65 bytes {@code r || s || v} (v = 27/28), the shape a JWS ES256K signer
   * or an {@code ecrecover} caller wants; drop the last byte for the RFC 8812 {@code r || s} form.
   */
  default byte[] signDigestRsv(byte[] digest32) {
    Sign.SignatureData sig = signDigest(digest32);
    byte[] out = new byte[65];
    System.arraycopy(sig.getR(), 0, out, 32 - sig.getR().length, sig.getR().length);
    System.arraycopy(sig.getS(), 0, out, 64 - sig.getS().length, sig.getS().length);
    out[64] = sig.getV()[0];
    return out;
  }

  @Override
  default String getAddress() {
    return address();
  }
}
