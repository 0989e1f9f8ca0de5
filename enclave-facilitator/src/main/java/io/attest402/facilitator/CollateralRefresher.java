package io.attest402.facilitator;

import io.attest402.enclave.EnclaveIdentity;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the collateral served in {@code /attestation} current: fetches it anew from the PCS/PCCS
 * halfway to its earliest nextUpdate, and after a failure retries sooner (a quarter of the time
 * left, at least every {@link #MIN_DELAY}, at most {@link #MAX_RETRY}). What was fetched stays
 * served until its own nextUpdate, never past it.
 */
final class CollateralRefresher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CollateralRefresher.class);
  static final Duration MIN_DELAY = Duration.ofSeconds(5);
  static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final EnclaveIdentity identity;
  private final URI pccs;
  private final Clock clock;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "collateral-refresh");
            t.setDaemon(true);
            return t;
          });

  private CollateralRefresher(EnclaveIdentity identity, URI pccs, Clock clock) {
    this.identity = identity;
    this.pccs = pccs;
    this.clock = clock;
  }

  static CollateralRefresher start(EnclaveIdentity identity, URI pccs, Clock clock) {
    CollateralRefresher r = new CollateralRefresher(identity, pccs, clock);
    r.schedule(r.untilHalfway());
    return r;
  }

  private Duration untilHalfway() {
    Instant next = identity.collateralNextUpdate();
    Duration left = next == null ? Duration.ZERO : Duration.between(clock.instant(), next);
    return max(MIN_DELAY, left.dividedBy(2));
  }

  private void schedule(Duration d) {
    if (!timer.isShutdown()) {
      timer.schedule(this::refresh, d.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void refresh() {
    try {
      identity.refreshCollateral(pccs);
      schedule(untilHalfway());
    } catch (EnclaveIdentity.CollateralUnavailableException | RuntimeException e) {
      Instant next = identity.collateralNextUpdate();
      Duration left = next == null ? Duration.ZERO : Duration.between(clock.instant(), next);
      LOG.warn(
          "collateral refresh from {} failed ({}); the served collateral is valid for {} more",
          pccs,
          e.getMessage(),
          left.isNegative() ? Duration.ZERO : left);
      Duration retry = left.dividedBy(4);
      schedule(retry.compareTo(MAX_RETRY) > 0 ? MAX_RETRY : max(MIN_DELAY, retry));
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
