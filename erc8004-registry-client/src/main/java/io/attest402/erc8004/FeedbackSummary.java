package io.attest402.erc8004;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * An average of feedback values as the registry's {@code getSummary} computes it: every value
 * brought to 18 decimals, averaged with integer truncation, expressed in the most frequent
 * valueDecimals.
 */
public record FeedbackSummary(long count, BigInteger value, int valueDecimals) {
  public static final FeedbackSummary EMPTY = new FeedbackSummary(0, BigInteger.ZERO, 0);

  /** value / 10^valueDecimals. */
  public BigDecimal average() {
    return new BigDecimal(value, valueDecimals);
  }
}
