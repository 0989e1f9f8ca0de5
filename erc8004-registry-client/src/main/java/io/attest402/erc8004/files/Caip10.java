package io.attest402.erc8004.files;

import java.util.Locale;

/** A CAIP-10 account id {@code namespace:reference:address}, e.g. {@code eip155:8453:0xabc...}. */
public record Caip10(String namespace, String chainReference, String address) {

  /** Parses {@code eip155:1:0x...}; IllegalArgumentException otherwise. */
  public static Caip10 parse(String s) {
    String[] p = s == null ? new String[0] : s.trim().split(":");
    if (p.length != 3 || p[0].isEmpty() || p[1].isEmpty() || p[2].isEmpty()) {
      throw new IllegalArgumentException("not a CAIP-10 account id: " + s);
    }
    return new Caip10(p[0], p[1], p[2]);
  }

  /** {@code namespace:reference}: the CAIP-2 network, e.g. {@code eip155:1}. */
  public String network() {
    return namespace + ":" + chainReference;
  }

  /**
   * True when this account is {@code address} on {@code network} (EVM addresses compared
   * case-insensitively).
   */
  public boolean is(String network, String otherAddress) {
    return network().equals(network)
        && address
            .toLowerCase(Locale.ROOT)
            .equals(otherAddress == null ? null : otherAddress.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return namespace + ":" + chainReference + ":" + address;
  }
}
