package io.attest402.demo.provider;

import io.attest402.demo.summary.Work;
import java.math.BigInteger;

/**
 * The price of a summary, in the token's base units: {@code perThousandWords} for every 1,000 words
 * (rounded up to the base unit), never less than {@code minimum}. Work counted in tokens (an LLM
 * backend's usage, for {@code upto}) costs {@code perThousandTokens} per 1,000 tokens, with the
 * same rounding and minimum.
 */
public record Pricing(
    BigInteger perThousandWords, BigInteger minimum, BigInteger perThousandTokens) {
  private static final BigInteger THOUSAND = BigInteger.valueOf(1000);

  public Pricing {
    if (perThousandWords.signum() < 0
        || minimum.signum() <= 0
        || (perThousandTokens != null && perThousandTokens.signum() < 0)) {
      throw new IllegalArgumentException("prices must be positive");
    }
    if (perThousandTokens == null) {
      // a token is about three quarters of an English word
      perThousandTokens =
          perThousandWords.multiply(BigInteger.valueOf(3)).divide(BigInteger.valueOf(4));
    }
  }

  /** Tokens priced at three quarters of the word price. */
  public Pricing(BigInteger perThousandWords, BigInteger minimum) {
    this(perThousandWords, minimum, null);
  }

  /**
   * The demo's default: 0.002 USDC per 1,000 words (0.0015 per 1,000 tokens), at least 0.001 USDC
   * (6 decimals).
   */
  public static Pricing defaults() {
    return new Pricing(BigInteger.valueOf(2_000), BigInteger.valueOf(1_000));
  }

  public BigInteger priceFor(int words) {
    if (words < 0) {
      throw new IllegalArgumentException("negative word count");
    }
    return price(words, perThousandWords);
  }

  /** The price of {@code work}, by its unit. */
  public BigInteger priceFor(Work work) {
    return price(
        work.units(), Work.TOKENS.equals(work.unit()) ? perThousandTokens : perThousandWords);
  }

  /**
   * What an {@code upto} payment authorized for {@code maximum} work is charged for {@code used}:
   * its price, never more than the maximum's; the maximum's when the work is not known ({@code
   * used} null, e.g. a backend that reports no usage).
   */
  public BigInteger charge(Work maximum, Work used) {
    BigInteger max = priceFor(maximum);
    return used == null ? max : priceFor(used).min(max);
  }

  private BigInteger price(long units, BigInteger perThousand) {
    BigInteger[] qr = BigInteger.valueOf(units).multiply(perThousand).divideAndRemainder(THOUSAND);
    BigInteger price = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    return price.max(minimum);
  }
}
