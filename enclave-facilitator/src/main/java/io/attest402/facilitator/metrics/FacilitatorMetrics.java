package io.attest402.facilitator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The facilitator's Prometheus metrics: verify and settle counts by outcome and reason, their
 * latencies (with histogram buckets for p50/p99), settlements in flight, the settlement account's
 * balance per signer, and RPC failures, each per network.
 */
public final class FacilitatorMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<Double>> balances = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> gasLeft = new ConcurrentHashMap<>();

  public MeterRegistry registry() {
    return registry;
  }

  /** Prometheus text exposition format. */
  public String scrape() {
    return registry.scrape();
  }

  /** outcome: valid, invalid, error, rejected (malformed request). */
  public void verified(String network, String outcome, String reason, Duration took) {
    Counter.builder("x402_verify_requests_total")
        .description("POST /verify answers")
        .tag("network", tag(network))
        .tag("outcome", outcome)
        .tag("reason", tag(reason))
        .register(registry)
        .increment();
    timer("x402_verify_duration_seconds", "POST /verify latency", network).record(took);
  }

  /** outcome: success, failed, pending, error, rejected. */
  public void settled(String network, String outcome, String reason, Duration took) {
    Counter.builder("x402_settle_requests_total")
        .description("POST /settle answers")
        .tag("network", tag(network))
        .tag("outcome", outcome)
        .tag("reason", tag(reason))
        .register(registry)
        .increment();
    timer("x402_settle_duration_seconds", "POST /settle latency", network).record(took);
  }

  /**
   * A settlement reached a final outcome (counted once per authorization, unlike settle requests).
   */
  public void outcome(String network, boolean success, String reason) {
    Counter.builder("facilitator_settlements_final_total")
        .description("settlements journaled as final")
        .tag("network", tag(network))
        .tag("outcome", success ? "settled" : "failed")
        .tag("reason", tag(reason))
        .register(registry)
        .increment();
  }

  public void transactionSent(String network, String kind) {
    Counter.builder("facilitator_transactions_sent_total")
        .description("transactions signed and sent (first, replacement, resign, filler)")
        .tag("network", tag(network))
        .tag("kind", kind)
        .register(registry)
        .increment();
  }

  public void rpcError(String network) {
    Counter.builder("facilitator_rpc_errors_total")
        .description("JSON-RPC calls that failed or timed out")
        .tag("network", tag(network))
        .register(registry)
        .increment();
  }

  public void pending(String network, long n) {
    pending
        .computeIfAbsent(
            network,
            k -> {
              AtomicLong a = new AtomicLong();
              Gauge.builder("facilitator_settlements_pending", a, AtomicLong::doubleValue)
                  .description("settlements broadcast or signed and not yet final")
                  .tag("network", k)
                  .register(registry);
              return a;
            })
        .set(n);
  }

  /**
   * Signer {@code signer}'s (1-based, the attested order; 1 is the identity key) balance on {@code
   * network}: the index, never the address, is the label.
   */
  public void balance(String network, int signer, BigInteger wei) {
    balances
        .computeIfAbsent(
            network + "\n" + signer,
            k -> {
              AtomicReference<Double> a = new AtomicReference<>(0.0);
              Gauge.builder("facilitator_account_balance_wei", a, AtomicReference::get)
                  .description("native balance of a settlement account (signer by index)")
                  .tag("network", network)
                  .tag("signer", Integer.toString(signer))
                  .register(registry);
              return a;
            })
        .set(wei.doubleValue());
  }

  /**
   * A request or outcome refused by a facilitator rule (no address in the labels): min_amount,
   * self_payment, pay_to_not_allowed, payer_rate, pay_to_rate, gas_budget, gas_cap, fee_cap,
   * replay, unauthorized, receipt_no_quorum.
   */
  public void refused(String network, String rule) {
    Counter.builder("facilitator_refused_total")
        .description("requests refused by a facilitator rule")
        .tag("network", tag(network))
        .tag("rule", rule)
        .register(registry)
        .increment();
  }

  /**
   * Gas reserved for a settlement (its signed gas limit) and what is left of the hour's budget (-1:
   * none).
   */
  public void gasReserved(String network, long gas, long left) {
    Counter.builder("facilitator_gas_reserved_total")
        .description("gas limit of settlement transactions signed")
        .tag("network", tag(network))
        .register(registry)
        .increment(gas);
    gasLeft
        .computeIfAbsent(
            network,
            k -> {
              AtomicLong a = new AtomicLong();
              Gauge.builder("facilitator_gas_budget_left", a, AtomicLong::doubleValue)
                  .description("gas left in this hour's budget (-1: no budget)")
                  .tag("network", k)
                  .register(registry);
              return a;
            })
        .set(left);
  }

  private Timer timer(String name, String description, String network) {
    return Timer.builder(name)
        .description(description)
        .tag("network", tag(network))
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(120))
        .register(registry);
  }

  private static String tag(String v) {
    return v == null || v.isEmpty() ? "none" : v;
  }
}
