package io.attest402.facilitator.settle;

import io.attest402.facilitator.SettleLimits;
import io.attest402.facilitator.chain.FeeMarket;
import io.attest402.facilitator.chain.Fees;
import java.math.BigInteger;
import java.util.Optional;

/**
 * Turns what a node says about fees into the fees the facilitator signs, never above the configured
 * caps: the tip is at most {@code maxPriorityFeePerGas} and {@code k × baseFee}; {@code
 * maxFeePerGas} is {@code 2 × base + tip} lowered to the cap; a base fee (or legacy gas price) the
 * cap cannot cover is refused, nothing is signed. A lying or compromised node therefore costs at
 * most the caps.
 */
public final class FeePolicy {
  private final SettleLimits limits;

  public FeePolicy(SettleLimits limits) {
    this.limits = limits;
  }

  /** Fees above the caps: nothing is signed. */
  public static final class FeeCapExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FeeCapExceededException(String message) {
      super(message);
    }
  }

  /**
   * The fees to sign for {@code market}.
   *
   * @throws FeeCapExceededException when the base fee or gas price is above the cap
   */
  public Fees fees(FeeMarket market) {
    BigInteger cap = limits.maxFeePerGas();
    if (market.legacy()) {
      if (market.gasPrice().compareTo(cap) > 0) {
        throw new FeeCapExceededException(
            "the node's gas price "
                + market.gasPrice()
                + " wei is above the cap of "
                + cap
                + " wei: not sending");
      }
      return new Fees(market.gasPrice(), null);
    }
    BigInteger base = market.baseFee();
    BigInteger tip = market.suggestedTip().min(tipCap(base));
    if (base.add(tip).compareTo(cap) > 0) {
      throw new FeeCapExceededException(
          "the base fee "
              + base
              + " wei is above the max fee per gas cap of "
              + cap
              + " wei: not sending");
    }
    return new Fees(base.shiftLeft(1).add(tip).min(cap), tip);
  }

  /**
   * The tip bound at {@code baseFee}: the priority-fee cap, and {@code k × baseFee} when that bound
   * is on.
   */
  public BigInteger tipCap(BigInteger baseFee) {
    BigInteger c = limits.maxPriorityFeePerGas();
    if (limits.maxTipPerBaseFee() > 0 && baseFee != null) {
      c = c.min(baseFee.multiply(BigInteger.valueOf(limits.maxTipPerBaseFee())));
    }
    return c;
  }

  /**
   * A replacement for {@code previous}: raised by {@code percent} and at least what {@code market}
   * calls for, within the absolute caps (max fee, max priority fee; the tip-per-base-fee bound
   * applies to first offers); empty when the caps leave no room for a bump nodes accept (both fees
   * raised by at least {@code percent}).
   *
   * @throws FeeCapExceededException when the market itself is above the caps
   */
  public Optional<Fees> bumped(Fees previous, int percent, FeeMarket market) {
    Fees b = previous.bumped(percent, fees(market));
    BigInteger maxFee = b.maxFeePerGas().min(limits.maxFeePerGas());
    BigInteger hundred = BigInteger.valueOf(100);
    BigInteger need =
        previous
            .maxFeePerGas()
            .multiply(BigInteger.valueOf(100L + percent))
            .add(BigInteger.valueOf(99))
            .divide(hundred);
    if (maxFee.compareTo(need) < 0) {
      return Optional.empty();
    }
    if (b.legacy()) {
      return Optional.of(new Fees(maxFee, null));
    }
    // the k x baseFee bound shapes first offers only: a replacement must raise the tip by the bump,
    // and the absolute
    // caps still hold
    BigInteger tip = b.maxPriorityFeePerGas().min(limits.maxPriorityFeePerGas()).min(maxFee);
    BigInteger needTip =
        previous
            .maxPriorityFeePerGas()
            .multiply(BigInteger.valueOf(100L + percent))
            .add(BigInteger.valueOf(99))
            .divide(hundred);
    if (tip.compareTo(needTip) < 0) {
      return Optional.empty();
    }
    return Optional.of(new Fees(maxFee, tip));
  }
}
