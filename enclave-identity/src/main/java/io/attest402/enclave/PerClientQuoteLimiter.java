package io.attest402.enclave;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One {@link QuoteRateLimiter} per client (the facilitator keys it by remote address) for fresh
 * quotes ({@code GET /attestation?nonce=..&fresh=1}): a client that floods gets 429 from its own
 * bucket while every other client keeps its own budget. Signed-nonce answers need no limiter at
 * all. At most {@code maxClients} buckets are kept (least recently used evicted first; an evicted
 * client starts again with a full bucket). Thread-safe.
 */
public final class PerClientQuoteLimiter {
  private final int perMinute;
  private final Clock clock;
  private final Map<String, QuoteRateLimiter> buckets;

  public PerClientQuoteLimiter(int perMinute, int maxClients, Clock clock) {
    if (perMinute < 1 || maxClients < 1) {
      throw new IllegalArgumentException("perMinute and maxClients must be at least 1");
    }
    this.perMinute = perMinute;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.buckets =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, QuoteRateLimiter> eldest) {
            return size() > maxClients;
          }
        };
  }

  private synchronized QuoteRateLimiter bucket(String client) {
    return buckets.computeIfAbsent(
        Objects.requireNonNull(client, "client"),
        c -> QuoteRateLimiter.perMinute(perMinute, clock));
  }

  /** Takes one token from {@code client}'s bucket if it has one. */
  public boolean tryAcquire(String client) {
    return bucket(client).tryAcquire();
  }

  /** How long until {@code client} may have its next fresh quote. */
  public Duration retryAfter(String client) {
    return bucket(client).retryAfter();
  }

  public int perMinute() {
    return perMinute;
  }
}
