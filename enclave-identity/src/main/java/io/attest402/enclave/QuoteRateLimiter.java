package io.attest402.enclave;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Token bucket for fresh-nonce quotes ({@code GET /attestation?nonce=...}): each costs a round trip
 * to the quoting enclave or the host's quote service, so the facilitator bounds them. Holds at most
 * {@code capacity} tokens, starts full, and refills continuously at {@code refillPerSecond}. Time
 * comes from the injected {@link Clock}. Thread-safe.
 */
public final class QuoteRateLimiter {
  private final double capacity;
  private final double refillPerNano;
  private final Clock clock;
  private double tokens;
  private Instant last;

  public QuoteRateLimiter(int capacity, double refillPerSecond, Clock clock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    if (!(refillPerSecond > 0)) {
      throw new IllegalArgumentException("refill rate must be positive");
    }
    this.capacity = capacity;
    this.refillPerNano = refillPerSecond / 1e9;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tokens = capacity;
    this.last = clock.instant();
  }

  /** A bucket of {@code perMinute} tokens refilling at {@code perMinute} per minute. */
  public static QuoteRateLimiter perMinute(int perMinute, Clock clock) {
    return new QuoteRateLimiter(perMinute, perMinute / 60.0, clock);
  }

  /** Takes one token if available. */
  public synchronized boolean tryAcquire() {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * How long until a token is available (zero when one is); for a {@code Retry-After} header round
   * up.
   */
  public synchronized Duration retryAfter() {
    refill();
    if (tokens >= 1) {
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil((1 - tokens) / refillPerNano));
  }

  /** Whole tokens available now. */
  public synchronized int available() {
    refill();
    return (int) Math.floor(tokens);
  }

  private void refill() {
    Instant now = clock.instant();
    if (now.isAfter(last)) {
      long nanos;
      try {
        nanos = Duration.between(last, now).toNanos();
      } catch (ArithmeticException e) {
        nanos = Long.MAX_VALUE;
      }
      tokens = Math.min(capacity, tokens + nanos * refillPerNano);
      last = now;
    }
    // a clock that goes backwards adds nothing and does not move `last` back
  }
}
