package io.attest402.erc8004.reputation;

import io.attest402.erc8004.FeedbackSummary;
import java.math.BigInteger;
import java.util.List;

/**
 * The registry's getSummary arithmetic, off-chain: WAD-normalised mean in the most frequent
 * decimals.
 */
public final class Averages {
  private Averages() {}

  /** One value with its decimals. */
  public record Value(BigInteger value, int decimals) {}

  /**
   * Mean of {@code values} as the reference contract computes it: each value scaled to 18 decimals,
   * summed, divided by the count and scaled to the most frequent decimals (ties: fewer decimals),
   * truncating toward zero.
   */
  public static FeedbackSummary summarize(List<Value> values) {
    if (values.isEmpty()) {
      return FeedbackSummary.EMPTY;
    }
    BigInteger sum = BigInteger.ZERO;
    int[] perDecimals = new int[19];
    for (Value v : values) {
      if (v.decimals() < 0 || v.decimals() > 18) {
        throw new IllegalArgumentException("valueDecimals out of range: " + v.decimals());
      }
      sum = sum.add(v.value().multiply(BigInteger.TEN.pow(18 - v.decimals())));
      perDecimals[v.decimals()]++;
    }
    int mode = 0;
    for (int d = 1; d <= 18; d++) {
      if (perDecimals[d] > perDecimals[mode]) {
        mode = d;
      }
    }
    BigInteger avg =
        sum.divide(BigInteger.valueOf(values.size())).divide(BigInteger.TEN.pow(18 - mode));
    return new FeedbackSummary(values.size(), avg, mode);
  }
}
