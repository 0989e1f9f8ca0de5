package io.attest402.x402.receipt;

import java.math.BigInteger;
import java.util.Objects;

/**
 * What happened to one settlement, as the facilitator's journal records it.
 *
 * @param network CAIP-2 network, e.g. {@code eip155:84532}
 * @param txHash transaction hash (0x, 32 bytes), or null when nothing was broadcast
 * @param payer the authorization's {@code from}
 * @param payTo the authorization's {@code to}
 * @param asset token contract address
 * @param amount base units
 * @param authorizationNonce the EIP-3009 nonce (0x, 32 bytes)
 * @param blockNumber block of the mined transaction, or null
 * @param time Unix seconds when the outcome was recorded (from the facilitator's Clock)
 * @param status settled or failed
 * @param error failure reason (x402 error code or message) for failed settlements, else null
 * @param sender the facilitator account that sent the transaction (one of its attested signers), or
 *     null when none was sent or the receipt predates several signers
 * @param maxAmount for an {@code upto} payment, the maximum the payer signed ({@code amount} is
 *     what was charged, never more); null for every other scheme (such receipts have no {@code
 *     maxAmount} claim and read as before)
 */
public record SettlementFacts(
    String network,
    String txHash,
    String payer,
    String payTo,
    String asset,
    BigInteger amount,
    String authorizationNonce,
    Long blockNumber,
    long time,
    ReceiptStatus status,
    String error,
    String sender,
    BigInteger maxAmount) {
  /** Facts without a signed maximum (every scheme but {@code upto}). */
  public SettlementFacts(
      String network,
      String txHash,
      String payer,
      String payTo,
      String asset,
      BigInteger amount,
      String authorizationNonce,
      Long blockNumber,
      long time,
      ReceiptStatus status,
      String error,
      String sender) {
    this(
        network,
        txHash,
        payer,
        payTo,
        asset,
        amount,
        authorizationNonce,
        blockNumber,
        time,
        status,
        error,
        sender,
        null);
  }

  /** These facts stating {@code max} as the maximum an {@code upto} payer signed. */
  public SettlementFacts withMaxAmount(BigInteger max) {
    return new SettlementFacts(
        network,
        txHash,
        payer,
        payTo,
        asset,
        amount,
        authorizationNonce,
        blockNumber,
        time,
        status,
        error,
        sender,
        max);
  }

  /** These facts naming {@code sender} as the account that sent the transaction. */
  public SettlementFacts withSender(String sender) {
    return new SettlementFacts(
        network,
        txHash,
        payer,
        payTo,
        asset,
        amount,
        authorizationNonce,
        blockNumber,
        time,
        status,
        error,
        sender,
        maxAmount);
  }

  public SettlementFacts {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(payer, "payer");
    Objects.requireNonNull(payTo, "payTo");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(authorizationNonce, "authorizationNonce");
    Objects.requireNonNull(status, "status");
    if (amount.signum() < 0) {
      throw new IllegalArgumentException("amount must not be negative");
    }
    if (maxAmount != null && maxAmount.compareTo(amount) < 0) {
      throw new IllegalArgumentException(
          "maxAmount " + maxAmount + " is below the charged amount " + amount);
    }
    if (status == ReceiptStatus.SETTLED && (txHash == null || blockNumber == null)) {
      throw new IllegalArgumentException("a settled receipt needs the tx hash and block number");
    }
  }

  /** A settled outcome, without a named sender (see {@link #withSender}). */
  public static SettlementFacts settled(
      String network,
      String txHash,
      String payer,
      String payTo,
      String asset,
      BigInteger amount,
      String authorizationNonce,
      long blockNumber,
      long time) {
    return new SettlementFacts(
        network,
        txHash,
        payer,
        payTo,
        asset,
        amount,
        authorizationNonce,
        blockNumber,
        time,
        ReceiptStatus.SETTLED,
        null,
        null);
  }

  /** A failed outcome, without a named sender (see {@link #withSender}). */
  public static SettlementFacts failed(
      String network,
      String txHash,
      String payer,
      String payTo,
      String asset,
      BigInteger amount,
      String authorizationNonce,
      long time,
      String error) {
    return new SettlementFacts(
        network,
        txHash,
        payer,
        payTo,
        asset,
        amount,
        authorizationNonce,
        null,
        time,
        ReceiptStatus.FAILED,
        error,
        null);
  }
}
