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
 */
public final class KeyBinding {
  /** Domain separator hashed in front of the public key. */
  public static final String DOMAIN = "attest402-facilitator-v1";

  /** Human-readable statement of the binding, served in every attestation document. */
  public static final String DESCRIPTION =
      "reportData = SHA-256(\"attest402-facilitator-v1\" || publicKey) || nonce";

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
   * The 64 bytes of report data binding {@code publicKey65} and {@code nonce32} (null = 32 zero
   * bytes).
   */
  public static byte[] reportData(byte[] publicKey65, byte[] nonce32) {
    byte[] nonce = nonce32 == null ? new byte[NONCE_BYTES] : nonce32;
    if (nonce.length != NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes, got " + nonce.length);
    }
    byte[] rd = Arrays.copyOf(keyHash(publicKey65), 64);
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
