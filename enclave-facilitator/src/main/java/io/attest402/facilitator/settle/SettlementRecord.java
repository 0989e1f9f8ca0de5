package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;

/**
 * One journal entry: an authorization being settled, its transactions, and its outcome.
 *
 * @param id journal row id (the settlement id in logs)
 * @param request the {@code /settle} body ({@code paymentPayload} and {@code paymentRequirements}),
 *     kept so the settlement can be re-signed after a crash
 * @param account the facilitator account that pays gas
 * @param accountNonce that account's nonce of the current transaction (null before signing)
 * @param txHash the mined transaction when final, else the latest attempt
 * @param outcomeSeq the journal sequence number of the final outcome (receipt chain order), null
 *     while in flight
 * @param receipt what the receipt issuer returned for the final outcome, or null
 * @param attempts every transaction signed for this settlement, oldest first
 * @param idempotencyKeyHash SHA-256 (hex) of the {@code Idempotency-Key} of the request that
 *     claimed it, null when it had none: only a request with the same key may be answered with this
 *     settlement's outcome
 */
public record SettlementRecord(
    long id,
    SettlementKey key,
    String payTo,
    BigInteger amount,
    BigInteger validBefore,
    JsonNode request,
    SettlementState state,
    String account,
    Long accountNonce,
    String txHash,
    Long blockNumber,
    String errorReason,
    String errorMessage,
    Long outcomeSeq,
    JsonNode receipt,
    Instant createdAt,
    Instant updatedAt,
    List<TxAttempt> attempts,
    String idempotencyKeyHash) {

  public SettlementRecord {
    attempts = List.copyOf(attempts);
  }

  /**
   * For an {@code upto} settlement, the maximum the payer signed ({@code
   * permit2Authorization.permitted.amount} of the journaled payload; {@link #amount} is what was
   * charged); null for every other scheme.
   */
  public BigInteger uptoMaximum() {
    if (!UptoTerms.isUpto(this)) {
      return null;
    }
    JsonNode m =
        request
            .path("paymentPayload")
            .path("payload")
            .path("permit2Authorization")
            .path("permitted")
            .path("amount");
    return m.isTextual() && m.textValue().matches("[0-9]{1,78}")
        ? new BigInteger(m.textValue())
        : null;
  }

  public TxAttempt latestAttempt() {
    return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
  }

  /** Attempts at the current account nonce (replacements of one another). */
  public List<TxAttempt> currentAttempts() {
    return attempts.stream()
        .filter(a -> accountNonce != null && a.accountNonce() == accountNonce)
        .toList();
  }
}
