package io.attest402.x402.evm;

import io.attest402.x402.types.Wire;
import java.util.Locale;
import org.web3j.crypto.Keys;

/** EVM address rules as viem applies them: format, EIP-55 checksum, case-insensitive equality. */
public final class Addresses {
  private Addresses() {}

  public static final String ZERO = "0x0000000000000000000000000000000000000000";

  /** 0x + 40 hex digits (any case). */
  public static boolean isAddress(String s) {
    return Wire.isAddress(s);
  }

  /**
   * viem's strict {@code isAddress}: well-formed and, when it has upper-case letters, a correct
   * EIP-55 checksum. (Typed-data hashing applies this to every {@code address} field of the
   * message.)
   */
  public static boolean isStrictAddress(String s) {
    if (!isAddress(s)) {
      return false;
    }
    String body = s.substring(2);
    if (body.toLowerCase(Locale.ROOT).equals(body)) {
      return true;
    }
    return checksum(s).equals(s);
  }

  /** EIP-55 checksummed form (viem's {@code getAddress}). */
  public static String checksum(String s) {
    if (!isAddress(s)) {
      throw new IllegalArgumentException("not an address: " + s);
    }
    return Keys.toChecksumAddress(s.toLowerCase(Locale.ROOT));
  }

  public static boolean equal(String a, String b) {
    return a != null && b != null && a.equalsIgnoreCase(b);
  }

  public static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
