package io.attest402.erc8004;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * One stored feedback entry ({@code readFeedback} / {@code readAllFeedback}). {@code index} is
 * 1-based.
 */
public record Feedback(
    BigInteger agentId,
    String client,
    long index,
    BigInteger value,
    int valueDecimals,
    String tag1,
    String tag2,
    boolean revoked) {

  /** value / 10^valueDecimals. */
  public BigDecimal decimalValue() {
    return new BigDecimal(value, valueDecimals);
  }
}
