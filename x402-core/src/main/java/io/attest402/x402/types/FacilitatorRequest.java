package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The body of {@code POST /verify} and {@code POST /settle}: {@code {"x402Version": n,
 * "paymentPayload": {...}, "paymentRequirements": {...}}}, where the top-level version is the
 * payload's (as the official client sends it).
 */
public record FacilitatorRequest(
    int x402Version, PaymentPayload paymentPayload, PaymentRequirements paymentRequirements) {

  public FacilitatorRequest {
    Objects.requireNonNull(paymentPayload, "paymentPayload");
    Objects.requireNonNull(paymentRequirements, "paymentRequirements");
  }

  public FacilitatorRequest(PaymentPayload payload, PaymentRequirements requirements) {
    this(payload.x402Version(), payload, requirements);
  }

  /**
   * Decodes a request. The top-level {@code x402Version} is optional (the official example
   * facilitator ignores it); when present it must be a number.
   */
  public static FacilitatorRequest fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    JsonNode p = Wire.required(o, "paymentPayload", "");
    PaymentPayload payload;
    try {
      payload = PaymentPayload.fromJson(p);
    } catch (X402FormatException e) {
      throw new X402FormatException(Wire.join("paymentPayload", e.path()), e.problem(), e);
    }
    int version =
        Wire.optional(o, "x402Version") == null
            ? payload.x402Version()
            : Wire.integer(o, "x402Version", "");
    PaymentRequirements req =
        PaymentRequirements.fromJson(
            Wire.required(o, "paymentRequirements", ""),
            "paymentRequirements",
            payload.x402Version());
    return new FacilitatorRequest(version, payload, req);
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("x402Version", x402Version);
    o.set("paymentPayload", paymentPayload.toJson());
    o.set("paymentRequirements", paymentRequirements.toJson(paymentPayload.x402Version()));
    return o;
  }
}
