package io.attest402.facilitator.chain;

import java.math.BigInteger;
import java.util.Objects;

/**
 * Transaction fees: EIP-1559 ({@code maxFeePerGas}, {@code maxPriorityFeePerGas}) when the chain
 * has a base fee, else a legacy {@code gasPrice} (held in {@code maxFeePerGas}, with {@code
 * priority} null).
 */
public record Fees(BigInteger maxFeePerGas, BigInteger maxPriorityFeePerGas) {
  public Fees {
    Objects.requireNonNull(maxFeePerGas, "maxFeePerGas");
  }

  public boolean legacy() {
    return maxPriorityFeePerGas == null;
  }

  /** These fees raised by {@code percent} (rounded up), and at least {@code floor}'s. */
  public Fees bumped(int percent, Fees floor) {
    BigInteger max = raise(maxFeePerGas, percent).max(floor.maxFeePerGas);
    if (legacy() || floor.legacy()) {
      return new Fees(max, null);
    }
    BigInteger tip = raise(maxPriorityFeePerGas, percent).max(floor.maxPriorityFeePerGas);
    return new Fees(max.max(tip), tip);
  }

  private static BigInteger raise(BigInteger v, int percent) {
    BigInteger hundred = BigInteger.valueOf(100);
    return v.multiply(BigInteger.valueOf(100L + percent))
        .add(hundred.subtract(BigInteger.ONE))
        .divide(hundred)
        .max(v.add(BigInteger.ONE));
  }
}
