package io.attest402.demo.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.attest402.demo.summary.Work;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** Prices by words and tokens, and the upto charge's boundaries (unit test of one class). */
class PricingTest {
  private final Pricing pricing = Pricing.defaults();

  private static BigInteger n(long v) {
    return BigInteger.valueOf(v);
  }

  @Test
  void pricesRoundUpToTheBaseUnitAndNeverGoBelowTheMinimum() {
    assertEquals(n(1_000), pricing.priceFor(1), "the minimum");
    assertEquals(n(1_000), pricing.priceFor(500));
    assertEquals(n(1_002), pricing.priceFor(501));
    assertEquals(n(6_120), pricing.priceFor(3_060));
    assertEquals(pricing.priceFor(3_333), pricing.priceFor(Work.words(3_333)));
    // tokens at three quarters of the word price: 1,500 per 1,000 tokens
    assertEquals(n(1_500), pricing.perThousandTokens());
    assertEquals(n(3_000), pricing.priceFor(Work.tokens(2_000)));
    assertEquals(n(3_002), pricing.priceFor(Work.tokens(2_001)), "1.5 rounded up");
    assertEquals(n(7), new Pricing(n(2_000), n(1), n(7_000)).priceFor(Work.tokens(1)));
    assertThrows(IllegalArgumentException.class, () -> new Pricing(n(2_000), n(0)));
    assertThrows(IllegalArgumentException.class, () -> new Pricing(n(2_000), n(1), n(-1)));
  }

  @Test
  void uptoChargesTheWorksPriceAtMostTheMaximumAndTheMaximumWhenTheWorkIsUnknown() {
    Work max = Work.tokens(10_000); // 15,000 base units
    assertEquals(n(15_000), pricing.charge(max, null), "no usage reported: the maximum");
    assertEquals(n(4_500), pricing.charge(max, Work.tokens(3_000)), "less work: less");
    assertEquals(n(15_000), pricing.charge(max, Work.tokens(10_000)), "all of it: the maximum");
    assertEquals(n(15_000), pricing.charge(max, Work.tokens(10_001)), "more: cut to the maximum");
    assertEquals(n(1_000), pricing.charge(max, Work.tokens(0)), "no work: the minimum");
    assertEquals(n(1_000), pricing.charge(Work.words(3), Work.words(1)), "all at the minimum");
    assertEquals(n(2_000), pricing.charge(Work.words(3_060), Work.words(1_000)));
  }
}
