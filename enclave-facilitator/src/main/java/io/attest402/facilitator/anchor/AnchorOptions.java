package io.attest402.facilitator.anchor;

import java.time.Duration;
import java.util.Objects;

/**
 * When the facilitator anchors its receipt-chain head on chain: after {@code every} new receipts,
 * or when {@code interval} has passed with at least one new receipt, at start and before shutdown.
 *
 * @param enabled false: neither anchor nor check (the deployment then needs no SettlementLog)
 * @param every receipts between anchors (0: by time only)
 * @param interval longest time a new receipt stays unanchored
 * @param watchInterval how often the on-chain anchor is read to catch another copy running under
 *     the same key
 * @param confirmWait how long one anchor transaction may take to be mined before it is given up
 *     (and re-tried)
 */
public record AnchorOptions(
    boolean enabled, int every, Duration interval, Duration watchInterval, Duration confirmWait) {
  public AnchorOptions {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(watchInterval, "watchInterval");
    Objects.requireNonNull(confirmWait, "confirmWait");
    if (every < 0) {
      throw new IllegalArgumentException("--anchor-every must be 0 or more, not " + every);
    }
    if (interval.isNegative()
        || interval.isZero()
        || watchInterval.isNegative()
        || watchInterval.isZero()) {
      throw new IllegalArgumentException("--anchor-interval must be positive");
    }
  }

  /** Every 100 receipts or 10 minutes; watched every 15 s. */
  public static AnchorOptions defaults() {
    return new AnchorOptions(
        true, 100, Duration.ofMinutes(10), Duration.ofSeconds(15), Duration.ofSeconds(60));
  }

  public static AnchorOptions disabled() {
    return new AnchorOptions(
        false, 0, Duration.ofMinutes(10), Duration.ofSeconds(15), Duration.ofSeconds(60));
  }

  public AnchorOptions withEvery(int n) {
    return new AnchorOptions(enabled, n, interval, watchInterval, confirmWait);
  }

  public AnchorOptions withInterval(Duration d) {
    return new AnchorOptions(
        enabled, every, d, watchInterval.compareTo(d) > 0 ? d : watchInterval, confirmWait);
  }

  public AnchorOptions withWatchInterval(Duration d) {
    return new AnchorOptions(enabled, every, interval, d, confirmWait);
  }
}
