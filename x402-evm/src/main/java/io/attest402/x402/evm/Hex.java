package io.attest402.x402.evm;

import java.util.Locale;
import org.web3j.utils.Numeric;

/** Small hex helpers over web3j's {@link Numeric}. */
public final class Hex {
  private Hex() {}

  public static byte[] decode(String hex) {
    return Numeric.hexStringToByteArray(hex);
  }

  /** 0x-prefixed lowercase hex. */
  public static String encode(byte[] bytes) {
    return Numeric.toHexString(bytes);
  }

  /** Number of bytes a 0x hex string holds (rounded up, as viem's {@code size} does). */
  public static int size(String hex) {
    int digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.length() - 2 : hex.length();
    return (digits + 1) / 2;
  }

  public static String strip(String hex) {
    return hex.startsWith("0x") || hex.startsWith("0X") ? hex.substring(2) : hex;
  }

  public static String lower(String hex) {
    return hex.toLowerCase(Locale.ROOT);
  }
}
