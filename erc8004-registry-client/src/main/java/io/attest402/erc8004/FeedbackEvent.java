package io.attest402.erc8004;

import java.math.BigInteger;

/**
 * A {@code NewFeedback} log: the stored fields plus those only the event carries (endpoint,
 * feedbackURI, feedbackHash), and where it was logged.
 */
public record FeedbackEvent(
    BigInteger agentId,
    String client,
    long index,
    BigInteger value,
    int valueDecimals,
    String tag1,
    String tag2,
    String endpoint,
    String feedbackURI,
    String feedbackHash,
    long blockNumber,
    String blockHash,
    String txHash,
    long logIndex) {

  /** True when a non-zero feedbackHash commits to the file's bytes. */
  public boolean hasFeedbackHash() {
    return feedbackHash != null && !feedbackHash.matches("0x0*");
  }
}
