package io.attest402.facilitator.settle;

import io.attest402.x402.receipt.ReceiptStatus;
import io.attest402.x402.receipt.SettlementFacts;
import java.math.BigInteger;
import java.time.Instant;

/**
 * One final settlement outcome as the journal hands it to the {@link ReceiptIssuer}: its place in
 * the journal ({@code sequence}, {@code settlementId}) and x402-core's {@link SettlementFacts},
 * what the receipt states. The accessors below read the receipt facts.
 *
 * @param sequence the journal sequence number of this outcome (0, 1, 2, ... with no gaps)
 * @param settlementId journal row id
 * @param receipt what the receipt states
 */
public record JournaledOutcome(long sequence, long settlementId, SettlementFacts receipt) {

  /**
   * The journal's {@code outcome} of {@code settlement} at {@code sequence}: settled when it
   * succeeded and the transaction was mined (hash and block given), else failed with its reason;
   * {@code facilitator} is named as the receipt's sender when a transaction was sent; the receipt's
   * time is {@code time} in Unix seconds; an {@code upto} settlement's receipt carries the maximum
   * the payer signed.
   */
  public static JournaledOutcome of(
      long sequence,
      SettlementRecord settlement,
      Outcome outcome,
      String facilitator,
      Instant time) {
    SettlementKey key = settlement.key();
    long seconds = time.getEpochSecond();
    String tx = outcome.txHash() == null || outcome.txHash().isEmpty() ? null : outcome.txHash();
    SettlementFacts facts =
        outcome.success() && tx != null && outcome.blockNumber() != null
            ? SettlementFacts.settled(
                key.network(),
                tx,
                key.payer(),
                settlement.payTo(),
                key.asset(),
                settlement.amount(),
                key.nonce(),
                outcome.blockNumber(),
                seconds)
            : SettlementFacts.failed(
                key.network(),
                tx,
                key.payer(),
                settlement.payTo(),
                key.asset(),
                settlement.amount(),
                key.nonce(),
                seconds,
                outcome.errorReason());
    // the receipt names the signer that sent the transaction
    if (tx != null && facilitator != null) {
      facts = facts.withSender(facilitator);
    }
    BigInteger max = settlement.uptoMaximum();
    if (max != null) {
      facts = facts.withMaxAmount(max);
    }
    return new JournaledOutcome(sequence, settlement.id(), facts);
  }

  /** Whether the transfer happened. */
  public boolean success() {
    return receipt.status() == ReceiptStatus.SETTLED;
  }

  /** The official reason when it did not. */
  public String errorReason() {
    return receipt.error();
  }

  /** The mined transaction hash, "" when none of ours was mined. */
  public String transaction() {
    return receipt.txHash() == null ? "" : receipt.txHash();
  }

  /** The mined transaction's block, or null. */
  public Long blockNumber() {
    return receipt.blockNumber();
  }
}
