package io.attest402.demo.provider;

import java.math.BigInteger;

/**
 * The price of a summary, in the token's base units: {@code perThousandWords} for every 1,000 words
 * (rounded up to the base unit), never less than {@code minimum}.
 */
public record Pricing(BigInteger perThousandWords, BigInteger minimum) {
  private static final BigInteger THOUSAND = BigInteger.valueOf(1000);

  public Pricing {
    if (perThousandWords.signum() < 0 || minimum.signum() <= 0) {
      throw new IllegalArgumentException("prices must be positive");
    }
  }

  /** The demo's default: 0.002 USDC per 1,000 words, at least 0.001 USDC (6 decimals). */
  public static Pricing defaults() {
    return new Pricing(BigInteger.valueOf(2_000), BigInteger.valueOf(1_000));
  }

  public BigInteger priceFor(int words) {
    if (words < 0) {
      throw new IllegalArgumentException("negative word count");
    }
    BigInteger[] qr =
        BigInteger.valueOf(words).multiply(perThousandWords).divideAndRemainder(THOUSAND);
    BigInteger price = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    return price.max(minimum);
  }
}
