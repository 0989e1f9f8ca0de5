package io.attest402.facilitator.settle;

import io.attest402.x402.receipt.ReceiptStatus;
import java.math.BigInteger;
import java.time.Instant;

/**
 * One final settlement outcome as the journal hands it to the {@link ReceiptIssuer}: its place in
 * the journal ({@code sequence}, {@code settlementId}) and x402-core's {@link
 * io.attest402.x402.receipt.SettlementFacts}, what the receipt states. The accessors below read the
 * receipt facts.
 *
 * @param sequence the journal sequence number of this outcome (0, 1, 2, ... with no gaps)
 * @param settlementId journal row id
 * @param receipt what the receipt states
 */
public record SettlementFacts(
    long sequence, long settlementId, io.attest402.x402.receipt.SettlementFacts receipt) {

  /**
   * The journal's outcome in the journal's terms: settled when {@code success} and the transaction
   * was mined ({@code transaction} and {@code blockNumber} given), else failed with {@code
   * errorReason}; {@code facilitator} is named as the receipt's sender when a transaction was sent;
   * the receipt's time is {@code time} in Unix seconds.
   *
   * @param transaction the mined transaction hash ("" or null when none of ours was mined)
   */
  public SettlementFacts(
      long sequence,
      long settlementId,
      boolean success,
      String errorReason,
      String network,
      String transaction,
      Long blockNumber,
      String payer,
      String payTo,
      String asset,
      BigInteger amount,
      String authorizationNonce,
      String facilitator,
      Instant time) {
    this(
        sequence,
        settlementId,
        receiptFacts(
            success,
            errorReason,
            network,
            transaction,
            blockNumber,
            payer,
            payTo,
            asset,
            amount,
            authorizationNonce,
            facilitator,
            time));
  }

  private static io.attest402.x402.receipt.SettlementFacts receiptFacts(
      boolean success,
      String errorReason,
      String network,
      String transaction,
      Long blockNumber,
      String payer,
      String payTo,
      String asset,
      BigInteger amount,
      String authorizationNonce,
      String facilitator,
      Instant time) {
    long seconds = time.getEpochSecond();
    String tx = transaction == null || transaction.isEmpty() ? null : transaction;
    io.attest402.x402.receipt.SettlementFacts facts =
        success && tx != null && blockNumber != null
            ? io.attest402.x402.receipt.SettlementFacts.settled(
                network, tx, payer, payTo, asset, amount, authorizationNonce, blockNumber, seconds)
            : io.attest402.x402.receipt.SettlementFacts.failed(
                network, tx, payer, payTo, asset, amount, authorizationNonce, seconds, errorReason);
    // the receipt names the signer that sent the transaction
    return tx != null && facilitator != null ? facts.withSender(facilitator) : facts;
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

  /**
   * These facts with the maximum an {@code upto} payer signed (null: not upto, nothing changes).
   */
  public SettlementFacts withMaxAmount(BigInteger max) {
    return max == null
        ? this
        : new SettlementFacts(sequence, settlementId, receipt.withMaxAmount(max));
  }
}
