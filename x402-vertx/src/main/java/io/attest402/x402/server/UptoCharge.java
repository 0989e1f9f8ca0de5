package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an {@code upto} payment is charged: the route's {@value PaidResponse#SETTLEMENT_OVERRIDES}
 * header ({@code {"amount": "1234"}} in base units, or {@code "50%"} / {@code "12.5%"} of the
 * maximum, as the official resource server resolves it), else the maximum. The header never leaves
 * the server. The settle request carries the charge as {@code paymentRequirements.amount}; the
 * facilitator refuses one above the signed maximum. Without {@code upto} the header is dropped and
 * the offer's amount stays.
 */
final class UptoCharge {
  private UptoCharge() {}

  private static final Pattern ATOMIC = Pattern.compile("[0-9]{1,78}");
  private static final Pattern PERCENT = Pattern.compile("([0-9]{1,6})(?:\\.([0-9]{0,2}))?%");

  /** The requirements to settle with, and the route's response without the internal header. */
  record Resolved(PaymentRequirements requirements, PaidResponse response) {}

  /**
   * @throws IllegalArgumentException when the route's header is not an amount the handler can
   *     resolve (a dollar amount, a negative or malformed one)
   */
  static Resolved resolve(PaymentRequirements offered, PaidResponse res) {
    String raw = null;
    Map<String, String> headers = new LinkedHashMap<>();
    for (var e : res.headers().entrySet()) {
      if (e.getKey().equalsIgnoreCase(PaidResponse.SETTLEMENT_OVERRIDES)) {
        raw = e.getValue();
      } else {
        headers.put(e.getKey(), e.getValue());
      }
    }
    PaidResponse clean = new PaidResponse(res.status(), headers, res.body());
    if (raw == null || !PaymentOption.UPTO.equals(offered.scheme())) {
      return new Resolved(offered, clean);
    }
    JsonNode amount;
    try {
      amount = X402Json.parse(raw).path("amount");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          PaidResponse.SETTLEMENT_OVERRIDES + " is not JSON: " + e.getMessage(), e);
    }
    if (amount.isMissingNode()) {
      return new Resolved(offered, clean);
    }
    if (!amount.isTextual()) {
      throw new IllegalArgumentException(
          PaidResponse.SETTLEMENT_OVERRIDES + ".amount must be a string, not " + amount);
    }
    return new Resolved(offered.withAmount(amountOf(amount.textValue(), offered.amount())), clean);
  }

  static BigInteger amountOf(String s, BigInteger maximum) {
    if (ATOMIC.matcher(s).matches()) {
      return new BigInteger(s);
    }
    Matcher m = PERCENT.matcher(s);
    if (m.matches()) {
      String dec = m.group(2) == null ? "" : m.group(2);
      BigInteger scaled =
          new BigInteger(m.group(1))
              .multiply(BigInteger.valueOf(100))
              .add(new BigInteger((dec + "00").substring(0, 2)));
      return maximum.multiply(scaled).divide(BigInteger.valueOf(10_000));
    }
    throw new IllegalArgumentException(
        PaidResponse.SETTLEMENT_OVERRIDES
            + ".amount must be base units or a percentage of the maximum, not \""
            + s
            + "\"");
  }
}
