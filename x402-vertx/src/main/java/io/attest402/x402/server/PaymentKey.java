package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.PaymentPayload;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a {@link DeliveryStore} knows a payment again.
 *
 * @param authorization what the chain spends exactly once: {@code network|asset|payer|nonce} for
 *     EIP-3009, {@code network|permit2|payer|nonce} for Permit2, otherwise a hash of the scheme
 *     payload; lower case
 * @param paymentId the x402 {@code payment-identifier} the client attached, or null
 * @param payloadHash SHA-256 of the whole payment payload in canonical JSON (sorted keys): "the
 *     same payment"
 * @param expiresAt when the store may forget it: not before the authorization itself expires, so a
 *     forgotten authorization can no longer be spent
 */
public record PaymentKey(
    String authorization, String paymentId, String payloadHash, Instant expiresAt) {
  /**
   * Kept this long past the authorization's own expiry (clock skew between us, the facilitator and
   * the chain).
   */
  public static final Duration EXPIRY_MARGIN = Duration.ofMinutes(10);

  public PaymentKey {
    Objects.requireNonNull(authorization, "authorization");
    Objects.requireNonNull(payloadHash, "payloadHash");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The key of {@code payment}, kept at least {@code retention} from {@code now}. */
  public static PaymentKey of(
      PaymentPayload payment, String paymentId, Instant now, Duration retention) {
    JsonNode p = payment.payload();
    String network = String.valueOf(payment.network());
    String authorization;
    BigInteger validUntil = null;
    JsonNode eip3009 = p.path("authorization");
    JsonNode permit2 = p.path("permit2Authorization");
    if (eip3009.isObject()
        && eip3009.path("nonce").isTextual()
        && eip3009.path("from").isTextual()) {
      String asset = payment.accepted() == null ? "" : payment.accepted().asset();
      authorization =
          String.join(
              "|",
              "eip3009",
              network,
              asset,
              eip3009.path("from").asText(),
              eip3009.path("nonce").asText());
      validUntil = number(eip3009.path("validBefore"));
    } else if (permit2.isObject()
        && permit2.path("nonce").isTextual()
        && permit2.path("from").isTextual()) {
      authorization =
          String.join(
              "|",
              "permit2",
              network,
              permit2.path("from").asText(),
              permit2.path("nonce").asText());
      validUntil = number(permit2.path("deadline"));
    } else {
      authorization = "payload|" + network + "|" + sha256(canonical(p));
    }
    Instant keep = now.plus(retention);
    if (validUntil != null) {
      // far-future expiries (up to uint256) are held at 2^40 s, some 34,000 years
      Instant authExpiry =
          Instant.ofEpochSecond(
              validUntil.bitLength() > 40 ? 1L << 40 : validUntil.longValueExact());
      Instant afterAuth = authExpiry.plus(EXPIRY_MARGIN);
      if (afterAuth.isAfter(keep)) {
        keep = afterAuth;
      }
    }
    return new PaymentKey(
        authorization.toLowerCase(Locale.ROOT),
        paymentId,
        sha256(canonical(payment.toJson())),
        keep);
  }

  private static BigInteger number(JsonNode n) {
    if (n.isTextual() && n.asText().matches("[0-9]{1,78}")) {
      return new BigInteger(n.asText());
    }
    return n.isIntegralNumber() ? n.bigIntegerValue() : null;
  }

  /**
   * JSON with object keys sorted at every level, so that equal payloads hash equally whatever their
   * key order.
   */
  static String canonical(JsonNode n) {
    return X402Json.write(sorted(n));
  }

  private static JsonNode sorted(JsonNode n) {
    if (n.isObject()) {
      TreeMap<String, JsonNode> m = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        m.put(e.getKey(), sorted(e.getValue()));
      }
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      m.forEach(o::set);
      return o;
    }
    if (n.isArray()) {
      var a = JsonNodeFactory.instance.arrayNode();
      n.forEach(x -> a.add(sorted(x)));
      return a;
    }
    return n;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
