package io.attest402.facilitator.chain;

import java.math.BigInteger;

/**
 * What the node says fees are: the latest block's base fee and its suggested tip (EIP-1559 chains),
 * or its gas price (legacy chains, {@code baseFee} null). Untrusted input: {@link
 * io.attest402.facilitator.settle.FeePolicy} caps it.
 */
public record FeeMarket(BigInteger baseFee, BigInteger suggestedTip, BigInteger gasPrice) {
  public boolean legacy() {
    return baseFee == null;
  }
}
