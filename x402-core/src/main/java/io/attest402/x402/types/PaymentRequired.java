package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of a 402: in v2 the {@code PAYMENT-REQUIRED} header, in v1 the response body. {@code
 * resource} is required in v2 (v1 carried it inside each offer); {@code accepts} has at least one
 * offer; {@code extensions} is the extension map ({@code {"<key>": {"info": ..., "schema": ...}}}),
 * kept verbatim.
 */
public record PaymentRequired(
    int x402Version,
    String error,
    ResourceInfo resource,
    List<PaymentRequirements> accepts,
    ObjectNode extensions,
    Map<String, JsonNode> other) {
  private static final Set<String> KNOWN =
      Set.of("x402Version", "error", "resource", "accepts", "extensions");

  public PaymentRequired {
    accepts = List.copyOf(accepts);
    extensions = Wire.copy(extensions);
    other = Wire.copy(other);
  }

  public PaymentRequired(
      String error,
      ResourceInfo resource,
      List<PaymentRequirements> accepts,
      ObjectNode extensions) {
    this(2, error, resource, accepts, extensions, Map.of());
  }

  public PaymentRequired withError(String newError) {
    return new PaymentRequired(x402Version, newError, resource, accepts, extensions, other);
  }

  public static PaymentRequired fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    int version = Wire.integer(o, "x402Version", "");
    if (version != 1 && version != 2) {
      throw new X402FormatException(
          "x402Version", "unsupported version " + version + " (expected 1 or 2)");
    }
    String error = Wire.optString(o, "error", "");
    ResourceInfo resource = null;
    JsonNode r = Wire.optional(o, "resource");
    if (version == 2) {
      resource = ResourceInfo.fromJson(Wire.required(o, "resource", ""), "resource");
    } else if (r != null && r.isObject()) {
      resource = ResourceInfo.fromJson(r, "resource");
    }
    JsonNode acc = Wire.required(o, "accepts", "");
    if (!acc.isArray()) {
      throw new X402FormatException("accepts", "must be an array, not " + Wire.describe(acc));
    }
    if (acc.isEmpty()) {
      throw new X402FormatException("accepts", "must offer at least one payment option");
    }
    List<PaymentRequirements> accepts = new ArrayList<>();
    for (int i = 0; i < acc.size(); i++) {
      accepts.add(PaymentRequirements.fromJson(acc.get(i), "accepts[" + i + "]", version));
    }
    ObjectNode ext = Wire.optObject(o, "extensions", "");
    return new PaymentRequired(version, error, resource, accepts, ext, Wire.unknown(o, KNOWN));
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("x402Version", x402Version);
    Wire.putOpt(o, "error", error);
    if (resource != null) {
      o.set("resource", resource.toJson());
    }
    ArrayNode arr = o.putArray("accepts");
    for (PaymentRequirements r : accepts) {
      arr.add(r.toJson(x402Version));
    }
    Wire.putOpt(o, "extensions", extensions);
    Wire.putAll(o, other);
    return o;
  }
}
