package io.attest402.enclave;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * The trust binding between a quote and the facilitator key (DESIGN.md, "Trust binding"): {@code
 * report_data = SHA-256("attest402-facilitator-v1" || 0x04 || X || Y) || nonce}, where the nonce is
 * the caller's 32 bytes (zeros for the startup quote). Anyone can recompute it from the served
 * public key.
 *
 * <p>A facilitator with several signers ({@code --signers N}, N &gt; 1) binds the ordered set
 * instead: {@code report_data = SHA-256("attest402-facilitator-signers-v1" || uint32be(N) || pk_1
 * || .. || pk_N) || nonce}, each {@code pk_i} the 65-byte uncompressed key, {@code pk_1} the
 * identity (receipt-signing) key. One signer keeps the single-key binding, byte for byte.
 */
public final class KeyBinding {
  /** Domain separator hashed in front of the public key. */
  public static final String DOMAIN = "attest402-facilitator-v1";

  /** Human-readable statement of the binding, served in every attestation document. */
  public static final String DESCRIPTION =
      "reportData = SHA-256(\"attest402-facilitator-v1\" || publicKey) || nonce";

  /** Domain separator of the binding of several signers. */
  public static final String SIGNERS_DOMAIN = "attest402-facilitator-signers-v1";

  /** {@link #DESCRIPTION} for a document with more than one signer. */
  public static final String SIGNERS_DESCRIPTION =
      "reportData = SHA-256(\"attest402-facilitator-signers-v1\" || uint32be(N) || signers[0].publicKey"
          + " || .. || signers[N-1].publicKey) || nonce";

  /** The most signers one document may bind (bounds what a checker hashes). */
  public static final int MAX_SIGNERS = 64;

  public static final int NONCE_BYTES = 32;

  private KeyBinding() {}

  /**
   * SHA-256 of the domain and the 65-byte uncompressed public key: the first half of the report
   * data.
   */
  public static byte[] keyHash(byte[] publicKey65) {
    checkPublicKey(publicKey65);
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(DOMAIN.getBytes(StandardCharsets.US_ASCII));
      d.update(publicKey65);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The first half of the report data for the ordered signer keys: {@link #keyHash} of the only key
   * for one signer, else SHA-256 of {@link #SIGNERS_DOMAIN}, the count as 4 bytes big-endian and
   * the 65-byte keys in order.
   */
  public static byte[] signersHash(java.util.List<byte[]> publicKeys65) {
    if (publicKeys65 == null || publicKeys65.isEmpty() || publicKeys65.size() > MAX_SIGNERS) {
      throw new IllegalArgumentException("between 1 and " + MAX_SIGNERS + " signer keys");
    }
    if (publicKeys65.size() == 1) {
      return keyHash(publicKeys65.get(0));
    }
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(SIGNERS_DOMAIN.getBytes(StandardCharsets.US_ASCII));
      d.update(java.nio.ByteBuffer.allocate(4).putInt(publicKeys65.size()).array());
      for (byte[] pk : publicKeys65) {
        checkPublicKey(pk);
        d.update(pk);
      }
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The report data binding the ordered {@code publicKeys65} and {@code nonce32}. */
  public static byte[] reportData(java.util.List<byte[]> publicKeys65, byte[] nonce32) {
    return withNonce(signersHash(publicKeys65), nonce32);
  }

  /** The binding's description for {@code signers} keys. */
  public static String description(int signers) {
    return signers == 1 ? DESCRIPTION : SIGNERS_DESCRIPTION;
  }

  /**
   * The 64 bytes of report data binding {@code publicKey65} and {@code nonce32} (null = 32 zero
   * bytes).
   */
  public static byte[] reportData(byte[] publicKey65, byte[] nonce32) {
    return withNonce(keyHash(publicKey65), nonce32);
  }

  private static byte[] withNonce(byte[] keyHash, byte[] nonce32) {
    byte[] nonce = nonce32 == null ? new byte[NONCE_BYTES] : nonce32;
    if (nonce.length != NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes, got " + nonce.length);
    }
    byte[] rd = Arrays.copyOf(keyHash, 64);
    System.arraycopy(nonce, 0, rd, 32, NONCE_BYTES);
    return rd;
  }

  /** The Ethereum address (EIP-55) of a 65-byte uncompressed secp256k1 public key. */
  public static String address(byte[] publicKey65) {
    checkPublicKey(publicKey65);
    return Keys.toChecksumAddress(
        Keys.getAddress(Numeric.toHexStringNoPrefix(Arrays.copyOfRange(publicKey65, 1, 65))));
  }

  /**
   * Parses a caller nonce as sent in {@code GET /attestation?nonce=HEX32}: exactly 64 hex digits,
   * optionally 0x-prefixed. IllegalArgumentException otherwise.
   */
  public static byte[] parseNonce(String hex) {
    if (hex == null) {
      throw new IllegalArgumentException("nonce is missing");
    }
    String h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.substring(2) : hex;
    if (h.length() != 2 * NONCE_BYTES || !h.matches("[0-9a-fA-F]+")) {
      throw new IllegalArgumentException(
          "nonce must be 32 bytes as 64 hex digits (optionally 0x-prefixed)");
    }
    return HexFormat.of().parseHex(h.toLowerCase(Locale.ROOT));
  }

  static void checkPublicKey(byte[] publicKey65) {
    if (publicKey65 == null || publicKey65.length != 65 || publicKey65[0] != 0x04) {
      throw new IllegalArgumentException("public key must be 65 bytes 0x04 || X || Y");
    }
  }
}
