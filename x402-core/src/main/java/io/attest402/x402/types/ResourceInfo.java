package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The paid resource ({@code resource} of PaymentRequired and PaymentPayload): {@code url} is
 * required; {@code description}, {@code mimeType} and anything else (serviceName, tags, iconUrl,
 * future fields) are optional and kept as they came.
 */
public record ResourceInfo(
    String url, String description, String mimeType, Map<String, JsonNode> other) {
  private static final Set<String> KNOWN = Set.of("url", "description", "mimeType");

  public ResourceInfo {
    Objects.requireNonNull(url, "url");
    other = Wire.copy(other);
  }

  public ResourceInfo(String url, String description, String mimeType) {
    this(url, description, mimeType, Map.of());
  }

  public static ResourceInfo fromJson(JsonNode node, String path) {
    ObjectNode o = Wire.object(node, path);
    return new ResourceInfo(
        Wire.nonEmptyString(o, "url", path),
        Wire.optString(o, "description", path),
        Wire.optString(o, "mimeType", path),
        Wire.unknown(o, KNOWN));
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("url", url);
    Wire.putOpt(o, "description", description);
    Wire.putOpt(o, "mimeType", mimeType);
    Wire.putAll(o, other);
    return o;
  }
}
