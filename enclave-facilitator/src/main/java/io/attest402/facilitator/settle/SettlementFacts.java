package io.attest402.facilitator.settle;

import java.math.BigInteger;
import java.time.Instant;

/**
 * The facts of one final settlement outcome, as a receipt states them.
 *
 * @param sequence the journal sequence number of this outcome (0, 1, 2, ... with no gaps)
 * @param settlementId journal row id
 * @param success whether the transfer happened
 * @param errorReason the official reason when not
 * @param network CAIP-2 network
 * @param transaction the mined transaction hash ("" when none of ours was mined)
 * @param blockNumber its block, or null
 * @param payer authorization {@code from}
 * @param payTo authorization {@code to}
 * @param asset token address
 * @param amount authorization {@code value}
 * @param authorizationNonce the EIP-3009 nonce (0x + 64 hex)
 * @param facilitator the facilitator account that sent the transaction
 * @param time when the outcome was journaled (facilitator clock)
 * @param maxAmount for {@code upto}, the maximum the payer signed ({@code amount} is what was
 *     charged); null for every other scheme, whose receipts carry no such claim
 */
public record SettlementFacts(
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
    Instant time,
    BigInteger maxAmount) {

  /** Facts without a signed maximum (every scheme but {@code upto}). */
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
        time,
        null);
  }

  /** These facts with the maximum an {@code upto} payer signed (null: not upto). */
  public SettlementFacts withMaxAmount(BigInteger max) {
    return new SettlementFacts(
        sequence,
        settlementId,
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
        time,
        max);
  }
}
