package io.attest402.demo.provider;

import io.attest402.x402.facilitator.FailoverFacilitatorClient;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The provider's per-facilitator metrics in Prometheus form (Micrometer, as the facilitator's
 * {@code FacilitatorMetrics}), read from the {@link FailoverFacilitatorClient}'s own counters at
 * each scrape: {@code attest402_provider_facilitator_events_total{facilitator, event}} (the
 * counters {@code GET /facilitators} shows: {@code verify_valid}, {@code settle_success}, {@code
 * failover}, {@code check_failed}, ...) and {@code attest402_provider_facilitator_healthy}. Labels
 * are facilitator URLs and event names, never payer or payTo addresses.
 */
public final class FacilitatorPoolMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final FailoverFacilitatorClient pool;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  public FacilitatorPoolMetrics(FailoverFacilitatorClient pool) {
    this.pool = Objects.requireNonNull(pool);
    for (String name : pool.names()) {
      Gauge.builder("attest402_provider_facilitator_healthy", pool, p -> healthy(p, name))
          .description("1 while the facilitator passes its checks (health, attestation, identity)")
          .tag("facilitator", name)
          .register(registry);
    }
  }

  /** Prometheus text exposition format. */
  public String scrape() {
    // counters appear as the pool first counts them
    for (FailoverFacilitatorClient.Status s : pool.status()) {
      for (String event : s.counters().keySet()) {
        if (registered.add(s.name() + "\n" + event)) {
          String name = s.name();
          FunctionCounter.builder(
                  "attest402_provider_facilitator_events", pool, p -> count(p, name, event))
              .description("per facilitator: verify/settle outcomes, failovers and checks")
              .tag("facilitator", name)
              .tag("event", event)
              .register(registry);
        }
      }
    }
    return registry.scrape();
  }

  private static double healthy(FailoverFacilitatorClient pool, String name) {
    return pool.status().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .map(s -> s.healthy() ? 1.0 : 0.0)
        .orElse(0.0);
  }

  private static double count(FailoverFacilitatorClient pool, String name, String event) {
    for (FailoverFacilitatorClient.Status s : pool.status()) {
      if (s.name().equals(name)) {
        Map<String, Long> c = s.counters();
        return c.getOrDefault(event, 0L);
      }
    }
    return 0;
  }
}
