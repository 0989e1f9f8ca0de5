package io.attest402.erc8004.reputation;

import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.files.FeedbackFile;

/**
 * One feedback as the reputation service judged it: whether it is revoked, whether it is
 * payment-backed (its file resolved, matched its hash, names this agent, and its proofOfPayment
 * checks out on chain from the reviewer to the agent's wallet, in a transaction no earlier feedback
 * claimed) and why not.
 */
public record FeedbackReport(
    FeedbackEvent event,
    boolean revoked,
    boolean paymentBacked,
    String reason,
    FeedbackFile file,
    ProofCheck proof) {}
