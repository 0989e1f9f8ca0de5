package io.attest402.enclave;

import java.security.SecureRandom;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * An {@link EnclaveKey} held in this JVM's memory; persistence (sealing) is the TEE backend's
 * business.
 */
public final class InMemoryEnclaveKey implements EnclaveKey {
  private final ECKeyPair keyPair;
  private final String address;

  private InMemoryEnclaveKey(ECKeyPair keyPair) {
    this.keyPair = keyPair;
    this.address = Keys.toChecksumAddress(Keys.getAddress(keyPair));
  }

  /** A fresh key from a strong RNG. */
  public static InMemoryEnclaveKey generate(SecureRandom random) {
    try {
      return new InMemoryEnclaveKey(Keys.createEcKeyPair(random));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate secp256k1 key", e);
    }
  }

  /** Restores a key from its 32-byte private scalar (after unsealing). */
  public static InMemoryEnclaveKey fromPrivateKey(byte[] privateKey32) {
    if (privateKey32.length != 32) {
      throw new IllegalArgumentException(
          "a secp256k1 private key is 32 bytes, got " + privateKey32.length);
    }
    return new InMemoryEnclaveKey(ECKeyPair.create(privateKey32));
  }

  /** The private scalar, for the sealing code only (package-private on purpose). */
  byte[] privateKeyBytes() {
    return Numeric.toBytesPadded(keyPair.getPrivateKey(), 32);
  }

  @Override
  public String address() {
    return address;
  }

  @Override
  public byte[] publicKey() {
    byte[] xy = Numeric.toBytesPadded(keyPair.getPublicKey(), 64);
    byte[] out = new byte[65];
    out[0] = 0x04;
    System.arraycopy(xy, 0, out, 1, 64);
    return out;
  }

  @Override
  public Sign.SignatureData signDigest(byte[] digest32) {
    if (digest32.length != 32) {
      throw new IllegalArgumentException("digest must be 32 bytes, got " + digest32.length);
    }
    return RecoverableSigning.signDigest(digest32, keyPair);
  }

  @Override
  public byte[] sign(RawTransaction transaction, long chainId) {
    return RecoverableSigning.signTransaction(transaction, chainId, keyPair);
  }

  @Override
  public String toString() {
    return "EnclaveKey[" + address + "]"; // never the key
  }
}
