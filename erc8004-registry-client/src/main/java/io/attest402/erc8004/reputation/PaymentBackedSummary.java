package io.attest402.erc8004.reputation;

import io.attest402.erc8004.FeedbackSummary;
import java.util.List;

/**
 * Reputation that counts only payment-backed feedback (at most one per paid transaction). {@code
 * summary} is over the payment-backed, non-revoked entries that match the tag filters; {@code
 * reports} lists every feedback seen.
 */
public record PaymentBackedSummary(
    FeedbackSummary summary,
    long totalFeedback,
    long paymentBackedCount,
    List<FeedbackReport> reports) {}
