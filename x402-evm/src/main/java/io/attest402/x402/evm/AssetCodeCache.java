package io.attest402.x402.evm;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers which (network, asset) pairs have code, for 15 minutes by default, as the official
 * facilitator does. Only positive answers are cached (a token may be mid-deployment); at most
 * {@value #MAX_ENTRIES} entries.
 */
public final class AssetCodeCache {
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(15);
  public static final int MAX_ENTRIES = 4096;

  private final Clock clock;
  private final Duration ttl;
  private final ConcurrentHashMap<String, Long> expiries = new ConcurrentHashMap<>();

  public AssetCodeCache(Clock clock, Duration ttl) {
    this.clock = clock;
    this.ttl = ttl;
  }

  public AssetCodeCache(Clock clock) {
    this(clock, DEFAULT_TTL);
  }

  private static String key(String network, String asset) {
    return network + "\0" + asset.toLowerCase(Locale.ROOT);
  }

  public boolean isFresh(String network, String asset) {
    if (network == null || network.isEmpty()) {
      return false;
    }
    Long exp = expiries.get(key(network, asset));
    return exp != null && clock.millis() < exp;
  }

  public void recordHasCode(String network, String asset) {
    if (network == null || network.isEmpty()) {
      return;
    }
    long now = clock.millis();
    expiries.entrySet().removeIf(e -> now > e.getValue());
    String k = key(network, asset);
    if (!expiries.containsKey(k) && expiries.size() >= MAX_ENTRIES) {
      return;
    }
    expiries.put(k, now + ttl.toMillis());
  }

  public void clear() {
    expiries.clear();
  }
}
