package io.attest402.x402.client;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * Token amounts as people write them ("0.01" of a 6-decimal token) and as the chain counts them
 * (10000 base units). Exact: an amount with more fractional digits than the token has is an error,
 * never rounded.
 */
public final class TokenAmount {
  /** A uint256 has 78 decimal digits: no ERC-20 can use more decimals than that. */
  public static final int MAX_DECIMALS = 77;

  private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]+)?");

  private TokenAmount() {}

  /** "0.01" with 6 decimals: 10000. */
  public static BigInteger toBaseUnits(String amount, int decimals) {
    checkDecimals(decimals);
    if (amount == null || !DECIMAL.matcher(amount).matches()) {
      throw new IllegalArgumentException(
          "amount \"" + amount + "\" must be a non-negative decimal number such as" + " 0.01");
    }
    BigDecimal d = new BigDecimal(amount);
    int fraction = Math.max(0, d.stripTrailingZeros().scale());
    if (fraction > decimals) {
      throw new IllegalArgumentException(
          "amount " + amount + " has " + fraction + " decimal places; the token has " + decimals);
    }
    return d.movePointRight(decimals).toBigIntegerExact();
  }

  /** 10000 base units with 6 decimals: "0.01" (no trailing zeros). */
  public static String format(BigInteger baseUnits, int decimals) {
    checkDecimals(decimals);
    BigDecimal d = new BigDecimal(baseUnits, decimals).stripTrailingZeros();
    return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
  }

  private static void checkDecimals(int decimals) {
    if (decimals < 0 || decimals > MAX_DECIMALS) {
      throw new IllegalArgumentException(
          "decimals must be 0 to " + MAX_DECIMALS + ", not " + decimals);
    }
  }
}
