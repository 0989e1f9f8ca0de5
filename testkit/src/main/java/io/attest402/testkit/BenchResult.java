package io.attest402.testkit;

import java.util.Arrays;
import java.util.Map;

/**
 * One benchmark run: requests that did what was asked ({@code ok}) and the rest, the wall time, the
 * latencies of the ok ones in milliseconds and the failures counted by kind.
 */
public record BenchResult(
    String name,
    int ok,
    int failed,
    double seconds,
    double[] latenciesMs,
    Map<String, Integer> errors) {

  /** Ok requests per second. */
  public double throughput() {
    return ok / seconds;
  }

  /** The nearest-rank {@code p}-th percentile (0 to 100) of the latencies in ms; NaN with none. */
  public double percentileMs(double p) {
    if (latenciesMs.length == 0) {
      return Double.NaN;
    }
    double[] s = latenciesMs.clone();
    Arrays.sort(s);
    int i = (int) Math.min(s.length - 1, Math.ceil(p / 100.0 * s.length) - 1);
    return s[Math.max(0, i)];
  }
}
