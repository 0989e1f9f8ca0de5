package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the official resource server matches a payment to its offers ({@code
 * findMatchingRequirements}) and checks extension echoes ({@code validateExtensions}). Vert.x-free.
 */
public final class OfferMatching {
  private OfferMatching() {}

  /**
   * v2: every core field of an offer ({@code scheme, network, amount, asset, payTo,
   * maxTimeoutSeconds} and any other non-extra field) equals the payment's {@code accepted} exactly
   * (addresses compared as strings, case-sensitively), and the offer's {@code extra} is a recursive
   * subset of the accepted {@code extra} (the client may add keys). v1: scheme and network only,
   * and a v1 payment carries no {@code accepted}, so it never matches a v2 offer.
   */
  public static Optional<PaymentRequirements> find(
      List<PaymentRequirements> offers, PaymentPayload payment) {
    PaymentRequirements accepted = payment.accepted();
    if (accepted == null) {
      return Optional.empty();
    }
    if (payment.x402Version() == 1) {
      return offers.stream()
          .filter(
              o -> o.scheme().equals(accepted.scheme()) && o.network().equals(accepted.network()))
          .findFirst();
    }
    return offers.stream().filter(o -> matches(o, accepted)).findFirst();
  }

  public static boolean matches(PaymentRequirements offered, PaymentRequirements accepted) {
    boolean core =
        offered.scheme().equals(accepted.scheme())
            && offered.network().equals(accepted.network())
            && offered.amount().equals(accepted.amount())
            && offered.asset().equals(accepted.asset())
            && offered.payTo().equals(accepted.payTo())
            && offered.maxTimeoutSeconds() == accepted.maxTimeoutSeconds()
            && Objects.equals(offered.other(), accepted.other());
    if (!core) {
      return false;
    }
    return offered.extra() == null || containsSubset(offered.extra(), accepted.extra());
  }

  /**
   * Every member of {@code expected} is in {@code actual} with an equal (objects: recursively
   * contained) value.
   */
  public static boolean containsSubset(JsonNode expected, JsonNode actual) {
    if (expected == null || !expected.isObject()) {
      return Objects.equals(expected, actual)
          || (expected != null && actual != null && numericEqual(expected, actual));
    }
    if (actual == null || !actual.isObject()) {
      return false;
    }
    Iterator<Map.Entry<String, JsonNode>> it = expected.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!containsSubset(e.getValue(), actual.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean numericEqual(JsonNode a, JsonNode b) {
    return a.isNumber() && b.isNumber() && a.decimalValue().compareTo(b.decimalValue()) == 0;
  }

  /**
   * Extension echo check: for each extension the payment echoes that the server declared, the
   * declared {@code info} must be contained in the echoed {@code info}. Extensions the server did
   * not declare pass.
   */
  public static boolean extensionsEchoed(ObjectNode declared, ObjectNode echoed) {
    if (echoed == null || echoed.isEmpty() || declared == null) {
      return true;
    }
    Iterator<Map.Entry<String, JsonNode>> it = echoed.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!declared.has(e.getKey())) {
        continue;
      }
      JsonNode advertisedInfo = info(declared.get(e.getKey()));
      JsonNode echoedInfo = info(e.getValue());
      if (advertisedInfo != null && !containsSubset(advertisedInfo, echoedInfo)) {
        return false;
      }
    }
    return true;
  }

  private static JsonNode info(JsonNode ext) {
    return ext != null && ext.isObject() && ext.has("info") ? ext.get("info") : null;
  }
}
