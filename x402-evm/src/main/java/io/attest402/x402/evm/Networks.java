package io.attest402.x402.evm;

import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** CAIP-2 {@code eip155:<chainId>} networks and the v1 legacy network names. */
public final class Networks {
  private Networks() {}

  private static final Pattern EIP155 = Pattern.compile("eip155:(\\d+)");
  private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  /** The official v1 name map ({@code @x402/evm} {@code EVM_NETWORK_CHAIN_ID_MAP}). */
  public static final Map<String, Long> V1_CHAIN_IDS =
      Map.ofEntries(
          Map.entry("ethereum", 1L),
          Map.entry("sepolia", 11155111L),
          Map.entry("abstract", 2741L),
          Map.entry("abstract-testnet", 11124L),
          Map.entry("base-sepolia", 84532L),
          Map.entry("base", 8453L),
          Map.entry("avalanche-fuji", 43113L),
          Map.entry("avalanche", 43114L),
          Map.entry("iotex", 4689L),
          Map.entry("sei", 1329L),
          Map.entry("sei-testnet", 1328L),
          Map.entry("polygon", 137L),
          Map.entry("polygon-amoy", 80002L),
          Map.entry("peaq", 3338L),
          Map.entry("story", 1514L),
          Map.entry("educhain", 41923L),
          Map.entry("skale-base-sepolia", 324705682L),
          Map.entry("megaeth", 4326L),
          Map.entry("monad", 143L),
          Map.entry("stable", 988L),
          Map.entry("stable-testnet", 2201L),
          Map.entry("celo", 42220L),
          Map.entry("flare", 14L));

  /**
   * The chain id of an {@code eip155:N} network, as the official {@code getEvmChainId} reads it.
   *
   * @throws IllegalArgumentException for anything else (the official code throws too)
   */
  public static long chainId(String network) {
    if (network == null || !network.startsWith("eip155:")) {
      throw new IllegalArgumentException(
          "Unsupported network format: " + network + " (expected eip155:CHAIN_ID)");
    }
    Matcher m = EIP155.matcher(network);
    if (!m.matches() || m.group(1).length() > 16 || Long.parseLong(m.group(1)) > MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("Invalid CAIP-2 chain ID: " + network);
    }
    return Long.parseLong(m.group(1));
  }

  public static OptionalLong chainIdIfEvm(String network) {
    try {
      return OptionalLong.of(chainId(network));
    } catch (IllegalArgumentException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * The CAIP-2 id a request's network stands for: a v1 legacy name ({@code base-sepolia}) maps to
   * {@code eip155:<its chain id>} through {@link #V1_CHAIN_IDS}; anything else (every v2 network,
   * an unknown v1 name) is returned as it is.
   */
  public static String canonical(int x402Version, String network) {
    if (x402Version == 1 && network != null) {
      Long id = V1_CHAIN_IDS.get(network);
      if (id != null) {
        return caip2(id);
      }
    }
    return network;
  }

  /** The official v1 name of {@code eip155:<chainId>}, if it has one. */
  public static java.util.Optional<String> v1Name(String caip2) {
    OptionalLong id = chainIdIfEvm(caip2);
    if (id.isEmpty()) {
      return java.util.Optional.empty();
    }
    return V1_CHAIN_IDS.entrySet().stream()
        .filter(e -> e.getValue() == id.getAsLong())
        .map(Map.Entry::getKey)
        .sorted()
        .findFirst();
  }

  public static String caip2(long chainId) {
    return "eip155:" + chainId;
  }
}
