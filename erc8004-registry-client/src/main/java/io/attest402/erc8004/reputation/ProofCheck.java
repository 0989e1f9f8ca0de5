package io.attest402.erc8004.reputation;

import java.math.BigInteger;

/**
 * The outcome of checking a proofOfPayment against the chain. When {@code valid}, {@code amount} of
 * {@code asset} moved from the stated payer to the stated payee in {@code txHash} (block {@code
 * blockNumber}).
 */
public record ProofCheck(
    boolean valid,
    String reason,
    String txHash,
    String asset,
    BigInteger amount,
    long blockNumber) {

  static ProofCheck fail(String txHash, String reason) {
    return new ProofCheck(false, reason, txHash, null, BigInteger.ZERO, -1);
  }
}
