package io.attest402.verifier.internal;

import java.util.HexFormat;

/** Lowercase hex without a prefix. */
public final class Hex {
  private static final HexFormat HEX = HexFormat.of();

  private Hex() {}

  public static String encode(byte[] b) {
    return HEX.formatHex(b);
  }

  /**
   * Decodes hex (either case, optional 0x prefix); throws IllegalArgumentException on anything
   * else.
   */
  public static byte[] decode(String s) {
    return HEX.parseHex(s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s);
  }
}
