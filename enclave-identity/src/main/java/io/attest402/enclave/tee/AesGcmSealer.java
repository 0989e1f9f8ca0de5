package io.attest402.enclave.tee;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * AES-256-GCM sealing under a root secret (Gramine's 16-byte MRENCLAVE sealing key, or the
 * simulated backend's key file). The root secret is never used directly: each purpose gets its own
 * key, {@code HKDF-SHA256(ikm = root, salt = "attest402-seal-v1", info = "<domain>/<purpose>")}, 32
 * bytes. Every seal draws a fresh random 96-bit nonce, so one key never sees a nonce twice in
 * practice (we seal a handful of blobs per enclave lifetime, far below the 2^32 random-nonce
 * bound). The additional authenticated data binds the format header, the domain and the purpose, so
 * a blob sealed for one purpose or backend cannot be opened as another.
 *
 * <p>Blob format (version 1): {@code "A4SL" | 0x01 | nonce (12) | ciphertext | tag (16)}. AAD =
 * {@code "A4SL" | 0x01 | UTF-8("attest402/seal/v1/<domain>/<purpose>")}.
 */
public final class AesGcmSealer {
  static final byte[] MAGIC = {'A', '4', 'S', 'L'};
  static final byte VERSION = 1;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  static final int HEADER_BYTES = MAGIC.length + 1 + NONCE_BYTES;
  private static final byte[] SALT = "attest402-seal-v1".getBytes(StandardCharsets.US_ASCII);

  private final byte[] root;
  private final String domain;
  private final SecureRandom random;

  /**
   * @param rootSecret at least 16 bytes of secret (copied)
   * @param domain which backend seals (part of the key derivation and of the AAD)
   */
  public AesGcmSealer(byte[] rootSecret, String domain, SecureRandom random) {
    if (rootSecret.length < 16) {
      throw new IllegalArgumentException("sealing root secret must be at least 16 bytes");
    }
    this.root = rootSecret.clone();
    this.domain = Objects.requireNonNull(domain, "domain");
    this.random = Objects.requireNonNull(random, "random");
  }

  public byte[] seal(String purpose, byte[] plaintext) throws TeeException {
    checkPurpose(purpose);
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] key = derive(purpose);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(purpose));
      byte[] ct = c.doFinal(plaintext);
      byte[] out = new byte[HEADER_BYTES + ct.length];
      System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
      out[MAGIC.length] = VERSION;
      System.arraycopy(nonce, 0, out, MAGIC.length + 1, NONCE_BYTES);
      System.arraycopy(ct, 0, out, HEADER_BYTES, ct.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new TeeException("AES-GCM sealing failed: " + e.getMessage(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  public byte[] unseal(String purpose, byte[] blob) throws TeeException {
    checkPurpose(purpose);
    if (blob.length < HEADER_BYTES + TAG_BITS / 8) {
      throw new TeeException(
          "sealed blob is " + blob.length + " bytes, shorter than header and tag");
    }
    if (!Arrays.equals(Arrays.copyOf(blob, MAGIC.length), MAGIC)) {
      throw new TeeException("not an attest402 sealed blob (bad magic)");
    }
    if (blob[MAGIC.length] != VERSION) {
      throw new TeeException("unsupported sealed blob version " + blob[MAGIC.length]);
    }
    byte[] key = derive(purpose);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, blob, MAGIC.length + 1, NONCE_BYTES));
      c.updateAAD(aad(purpose));
      return c.doFinal(blob, HEADER_BYTES, blob.length - HEADER_BYTES);
    } catch (AEADBadTagException e) {
      throw new TeeException(
          "sealed blob does not open: sealed by another enclave identity, for another "
              + "purpose than '"
              + purpose
              + "', or altered",
          e);
    } catch (GeneralSecurityException e) {
      throw new TeeException("AES-GCM unsealing failed: " + e.getMessage(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private byte[] derive(String purpose) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(
        new HKDFParameters(root, SALT, (domain + "/" + purpose).getBytes(StandardCharsets.UTF_8)));
    byte[] key = new byte[32];
    hkdf.generateBytes(key, 0, key.length);
    return key;
  }

  private byte[] aad(String purpose) {
    byte[] label = ("attest402/seal/v1/" + domain + "/" + purpose).getBytes(StandardCharsets.UTF_8);
    byte[] aad = new byte[MAGIC.length + 1 + label.length];
    System.arraycopy(MAGIC, 0, aad, 0, MAGIC.length);
    aad[MAGIC.length] = VERSION;
    System.arraycopy(label, 0, aad, MAGIC.length + 1, label.length);
    return aad;
  }

  private static void checkPurpose(String purpose) {
    if (purpose == null || !purpose.matches("[a-z0-9][a-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException(
          "sealing purpose must match [a-z0-9][a-z0-9._-]{0,63}: " + purpose);
    }
  }
}
