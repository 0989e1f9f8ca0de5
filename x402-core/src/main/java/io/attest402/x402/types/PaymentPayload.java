package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A signed payment: the {@code PAYMENT-SIGNATURE} header (v2) or {@code X-PAYMENT} (v1). In v2
 * {@code accepted} is the offer the client chose, copied from {@code accepts}; in v1 only {@code
 * scheme} and {@code network} were sent (kept here in {@code v1Scheme}/{@code v1Network}). {@code
 * payload} is scheme-specific and kept as JSON; for exact/EVM read it with {@code
 * io.attest402.x402.evm.ExactEvmPayload#fromJson}.
 */
public record PaymentPayload(
    int x402Version,
    ResourceInfo resource,
    PaymentRequirements accepted,
    ObjectNode payload,
    ObjectNode extensions,
    String v1Scheme,
    String v1Network,
    Map<String, JsonNode> other) {
  private static final Set<String> KNOWN_V2 =
      Set.of("x402Version", "resource", "accepted", "payload", "extensions");
  private static final Set<String> KNOWN_V1 = Set.of("x402Version", "scheme", "network", "payload");

  public PaymentPayload {
    Objects.requireNonNull(payload, "payload");
    payload = payload.deepCopy();
    extensions = Wire.copy(extensions);
    other = Wire.copy(other);
    if (x402Version == 2) {
      Objects.requireNonNull(accepted, "accepted");
    }
  }

  /** A v2 payment. */
  public PaymentPayload(
      ResourceInfo resource,
      PaymentRequirements accepted,
      ObjectNode payload,
      ObjectNode extensions) {
    this(2, resource, accepted, payload, extensions, null, null, Map.of());
  }

  /** The scheme: {@code accepted.scheme} in v2, the top-level {@code scheme} in v1. */
  public String scheme() {
    return accepted != null ? accepted.scheme() : v1Scheme;
  }

  /** The network: {@code accepted.network} in v2, the top-level {@code network} in v1. */
  public String network() {
    return accepted != null ? accepted.network() : v1Network;
  }

  public static PaymentPayload fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    int version = Wire.integer(o, "x402Version", "");
    ObjectNode payload = Wire.object(Wire.required(o, "payload", ""), "payload").deepCopy();
    if (version == 1) {
      return new PaymentPayload(
          1,
          null,
          null,
          payload,
          null,
          Wire.nonEmptyString(o, "scheme", ""),
          Wire.nonEmptyString(o, "network", ""),
          Wire.unknown(o, KNOWN_V1));
    }
    if (version != 2) {
      throw new X402FormatException(
          "x402Version", "unsupported version " + version + " (expected 1 or 2)");
    }
    ResourceInfo resource = null;
    JsonNode r = Wire.optional(o, "resource");
    if (r != null) {
      resource = ResourceInfo.fromJson(r, "resource");
    }
    PaymentRequirements accepted =
        PaymentRequirements.fromJson(Wire.required(o, "accepted", ""), "accepted", 2);
    ObjectNode ext = Wire.optObject(o, "extensions", "");
    return new PaymentPayload(
        2, resource, accepted, payload, ext, null, null, Wire.unknown(o, KNOWN_V2));
  }

  /**
   * JSON in the official client's key order: x402Version, payload, extensions, resource, accepted.
   */
  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("x402Version", x402Version);
    if (x402Version == 1) {
      o.put("scheme", v1Scheme);
      o.put("network", v1Network);
      o.set("payload", payload.deepCopy());
      Wire.putAll(o, other);
      return o;
    }
    o.set("payload", payload.deepCopy());
    Wire.putOpt(o, "extensions", extensions);
    if (resource != null) {
      o.set("resource", resource.toJson());
    }
    o.set("accepted", accepted.toJson(2));
    Wire.putAll(o, other);
    return o;
  }
}
