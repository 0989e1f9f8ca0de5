package io.attest402.erc8004.reputation;

import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.Feedback;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.FeedbackSummary;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * Reputation an agent about to pay can rely on, where the registry's plain average cannot be
 * (anyone can post feedback from fresh addresses):
 *
 * <ul>
 *   <li>{@link #trustedSummary}: the registry's own summary over reviewers the caller chose;
 *   <li>{@link #paymentBacked}: only feedback whose proofOfPayment checks out on chain, from the
 *       reviewer to the agent's wallet, each paid transaction counted at most once. A swarm of
 *       fresh addresses has paid nothing, so it cannot move this score.
 * </ul>
 */
public final class ReputationService {
  private final Erc8004Client client;
  private final UriResolver resolver;
  private final PaymentProofVerifier proofs;
  private final Function<BigInteger, List<FeedbackEvent>> feedbackSource;

  /**
   * @param fromBlock first block to read NewFeedback logs from (the reputation registry's
   *     deployment block on a public chain; 0 on a dev chain)
   */
  public ReputationService(
      Erc8004Client client, UriResolver resolver, PaymentProofVerifier proofs, long fromBlock) {
    this(
        client,
        resolver,
        proofs,
        agentId ->
            client.reputation().feedbackEvents(agentId, fromBlock, client.rpc().blockNumber()));
  }

  /**
   * With feedback events from elsewhere (an {@code RegistryIndexer}, for example), in chain order.
   */
  public ReputationService(
      Erc8004Client client,
      UriResolver resolver,
      PaymentProofVerifier proofs,
      Function<BigInteger, List<FeedbackEvent>> feedbackSource) {
    this.client = Objects.requireNonNull(client);
    this.resolver = Objects.requireNonNull(resolver);
    this.proofs = Objects.requireNonNull(proofs);
    this.feedbackSource = Objects.requireNonNull(feedbackSource);
  }

  /**
   * The registry's summary over {@code trustedReviewers} only (non-empty), optional tag filters.
   */
  public FeedbackSummary trustedSummary(
      BigInteger agentId, Collection<String> trustedReviewers, String tag1, String tag2) {
    if (trustedReviewers == null || trustedReviewers.isEmpty()) {
      throw new IllegalArgumentException(
          "name the reviewers you trust: an unfiltered summary is Sybil-prone");
    }
    return client.reputation().getSummary(agentId, trustedReviewers, tag1, tag2);
  }

  /**
   * Payment-backed summary, every feedback, no tag filter, payee = the agent's current agentWallet.
   */
  public PaymentBackedSummary paymentBacked(BigInteger agentId) {
    return paymentBacked(agentId, null, null, null);
  }

  /**
   * Judges every feedback of {@code agentId} and averages the payment-backed, non-revoked ones
   * matching the tags ("" or null: any). {@code paymentBackedCount} counts the non-revoked
   * payment-backed ones (any tag).
   *
   * @param payees addresses that count as the agent's (null: its current agentWallet; an agent
   *     whose wallet is unset has no payment-backed feedback)
   */
  public PaymentBackedSummary paymentBacked(
      BigInteger agentId, String tag1, String tag2, Set<String> payees) {
    Set<String> accepted = new HashSet<>();
    if (payees == null) {
      client
          .identity()
          .agentWallet(agentId)
          .ifPresent(w -> accepted.add(w.toLowerCase(Locale.ROOT)));
    } else {
      payees.forEach(p -> accepted.add(p.toLowerCase(Locale.ROOT)));
    }
    Map<String, Boolean> revoked = new HashMap<>();
    for (Feedback f : client.reputation().readAllFeedback(agentId, List.of(), "", "", true)) {
      revoked.put(key(f.client(), f.index()), f.revoked());
    }
    Map<String, String> claimedBy = new HashMap<>();
    List<FeedbackReport> reports = new ArrayList<>();
    List<Averages.Value> values = new ArrayList<>();
    long backed = 0;
    for (FeedbackEvent e : feedbackSource.apply(agentId)) {
      boolean isRevoked = revoked.getOrDefault(key(e.client(), e.index()), false);
      FeedbackReport r = judge(agentId, e, isRevoked, accepted, claimedBy);
      reports.add(r);
      if (r.paymentBacked() && !isRevoked) {
        backed++;
        if (matches(tag1, e.tag1()) && matches(tag2, e.tag2())) {
          values.add(new Averages.Value(e.value(), e.valueDecimals()));
        }
      }
    }
    return new PaymentBackedSummary(
        Averages.summarize(values), reports.size(), backed, List.copyOf(reports));
  }

  private FeedbackReport judge(
      BigInteger agentId,
      FeedbackEvent e,
      boolean isRevoked,
      Set<String> payees,
      Map<String, String> claimedBy) {
    if (e.feedbackURI() == null || e.feedbackURI().isBlank()) {
      return new FeedbackReport(e, isRevoked, false, "no feedback file", null, null);
    }
    byte[] bytes;
    try {
      bytes = resolver.resolve(e.feedbackURI());
    } catch (ResolutionException ex) {
      return new FeedbackReport(
          e, isRevoked, false, "feedback file unavailable: " + ex.getMessage(), null, null);
    }
    if (e.hasFeedbackHash()
        && !Numeric.toHexString(Hash.sha3(bytes)).equalsIgnoreCase(e.feedbackHash())) {
      return new FeedbackReport(
          e, isRevoked, false, "feedback file does not match its feedbackHash", null, null);
    }
    FeedbackFile file;
    try {
      file = FeedbackFile.parse(bytes);
    } catch (IllegalArgumentException ex) {
      return new FeedbackReport(
          e, isRevoked, false, "feedback file is not valid: " + ex.getMessage(), null, null);
    }
    if (file.agentId() != null && !file.agentId().equals(agentId)) {
      return new FeedbackReport(
          e, isRevoked, false, "feedback file is about agent " + file.agentId(), file, null);
    }
    if (file.agentRegistry() != null && !client.addresses().isAgentRegistry(file.agentRegistry())) {
      return new FeedbackReport(
          e, isRevoked, false, "feedback file names registry " + file.agentRegistry(), file, null);
    }
    Optional<FeedbackFile.ProofOfPayment> proof = file.proof();
    if (proof.isEmpty()) {
      return new FeedbackReport(e, isRevoked, false, "no proofOfPayment", file, null);
    }
    if (payees.isEmpty()) {
      return new FeedbackReport(
          e, isRevoked, false, "the agent has no agentWallet to have been paid at", file, null);
    }
    String payee = proof.get().toAddress();
    if (payee == null || !payees.contains(payee.toLowerCase(Locale.ROOT))) {
      return new FeedbackReport(
          e, isRevoked, false, "payee " + payee + " is not the agent's wallet", file, null);
    }
    ProofCheck check = proofs.check(proof.get(), e.client(), payee);
    if (!check.valid()) {
      return new FeedbackReport(e, isRevoked, false, check.reason(), file, check);
    }
    if (isRevoked) {
      // A revoked feedback does not use up its payment: the reviewer may post a corrected one.
      return new FeedbackReport(e, true, true, check.reason() + " (revoked)", file, check);
    }
    String txKey = check.txHash().toLowerCase(Locale.ROOT);
    String first = claimedBy.putIfAbsent(txKey, e.client() + "#" + e.index());
    if (first != null) {
      return new FeedbackReport(
          e,
          isRevoked,
          false,
          "payment " + check.txHash() + " already backs feedback " + first,
          file,
          check);
    }
    return new FeedbackReport(e, isRevoked, true, check.reason(), file, check);
  }

  private static boolean matches(String filter, String tag) {
    return filter == null || filter.isEmpty() || filter.equals(tag);
  }

  private static String key(String client, long index) {
    return client.toLowerCase(Locale.ROOT) + "#" + index;
  }
}
