package io.attest402.facilitator;

import java.time.Duration;

/**
 * A settlement refused for now because a rate limit or the gas budget is spent, or fees are above
 * their caps: nothing was claimed or broadcast; the HTTP layer answers 503 with {@code
 * Retry-After}.
 */
public final class RateLimitedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Duration retryAfter;
  private final String limit;

  /**
   * @param limit the metrics label of the limit (no address): payer_rate, pay_to_rate, gas_budget,
   *     fee_cap
   */
  public RateLimitedException(String limit, Duration retryAfter, String message) {
    super(message);
    this.limit = limit;
    this.retryAfter = retryAfter;
  }

  public String limit() {
    return limit;
  }

  /** Whole seconds, at least 1, for the {@code Retry-After} header. */
  public long retryAfterSeconds() {
    return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
  }
}
