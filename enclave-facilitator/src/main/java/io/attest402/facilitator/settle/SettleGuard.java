package io.attest402.facilitator.settle;

import io.attest402.facilitator.RateLimitedException;
import io.attest402.facilitator.SettleLimits;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The rate limits of new settlements: per payer and per payTo (token buckets refilling per minute)
 * and the gas the facilitator's account spends per hour on one network. Only authorizations that
 * verified are counted, so nobody can spend a victim's allowance with forged requests. Bounded: the
 * least recently used buckets are dropped past {@link #MAX_TRACKED} addresses (a dropped bucket
 * starts full again, which is lenient, never stricter).
 */
final class SettleGuard {
  static final int MAX_TRACKED = 100_000;

  private final SettleLimits limits;
  private final Clock clock;
  private final Map<String, Bucket> payers = lru();
  private final Map<String, Bucket> payTos = lru();
  private final Bucket gas;

  SettleGuard(SettleLimits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
    this.gas =
        limits.gasBudgetPerHour() == 0
            ? null
            : new Bucket(
                limits.gasBudgetPerHour(), limits.gasBudgetPerHour() / 3_600_000.0, clock.millis());
  }

  private static Map<String, Bucket> lru() {
    return new LinkedHashMap<>(1024, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> e) {
        return size() > MAX_TRACKED;
      }
    };
  }

  /**
   * Takes one settlement from the payer's and the payTo's buckets, or throws without taking either.
   */
  synchronized void admit(String payer, String payTo) {
    long now = clock.millis();
    Bucket p =
        limits.settlesPerPayerPerMinute() == 0
            ? null
            : payers.computeIfAbsent(
                payer.toLowerCase(Locale.ROOT),
                k ->
                    new Bucket(
                        limits.settlesPerPayerPerMinute(),
                        limits.settlesPerPayerPerMinute() / 60_000.0,
                        now));
    Bucket t =
        limits.settlesPerPayToPerMinute() == 0
            ? null
            : payTos.computeIfAbsent(
                payTo.toLowerCase(Locale.ROOT),
                k ->
                    new Bucket(
                        limits.settlesPerPayToPerMinute(),
                        limits.settlesPerPayToPerMinute() / 60_000.0,
                        now));
    if (p != null && !p.has(1, now)) {
      throw new RateLimitedException(
          "payer_rate",
          p.waitFor(1, now),
          "this payer has made "
              + limits.settlesPerPayerPerMinute()
              + " settlements in the last minute, the most this facilitator settles; "
              + "retry later");
    }
    if (t != null && !t.has(1, now)) {
      throw new RateLimitedException(
          "pay_to_rate",
          t.waitFor(1, now),
          "this payTo has received "
              + limits.settlesPerPayToPerMinute()
              + " settlements in the last minute, the most this facilitator settles; "
              + "retry later");
    }
    if (p != null) {
      p.take(1);
    }
    if (t != null) {
      t.take(1);
    }
  }

  /** Reserves {@code gasLimit} of this hour's budget, or throws. */
  synchronized void spendGas(long gasLimit) {
    if (gas == null) {
      return;
    }
    long now = clock.millis();
    if (!gas.has(gasLimit, now)) {
      throw new RateLimitedException(
          "gas_budget",
          gas.waitFor(gasLimit, now),
          "the facilitator's gas budget of "
              + limits.gasBudgetPerHour()
              + " gas per hour is spent; retry later");
    }
    gas.take(gasLimit);
  }

  /** Gas left in this hour's budget (-1: no budget). */
  synchronized long gasLeft() {
    if (gas == null) {
      return -1;
    }
    gas.refill(clock.millis());
    return (long) gas.tokens;
  }

  private static final class Bucket {
    final double capacity;
    final double perMs;
    double tokens;
    long last;

    Bucket(double capacity, double perMs, long now) {
      this.capacity = capacity;
      this.perMs = perMs;
      this.tokens = capacity;
      this.last = now;
    }

    void refill(long now) {
      if (now > last) {
        tokens = Math.min(capacity, tokens + (now - last) * perMs);
        last = now;
      }
    }

    boolean has(double n, long now) {
      refill(now);
      return tokens >= n;
    }

    void take(double n) {
      tokens -= n;
    }

    Duration waitFor(double n, long now) {
      refill(now);
      return Duration.ofMillis((long) Math.ceil(Math.max(0, n - tokens) / perMs));
    }
  }
}
