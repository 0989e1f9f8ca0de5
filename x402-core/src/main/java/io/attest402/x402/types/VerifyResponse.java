package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.Set;

/**
 * A facilitator's answer to {@code POST /verify}: {@code isValid}, and when not valid the {@code
 * invalidReason} code (see {@link ErrorReasons}) and optionally {@code invalidMessage} (free text,
 * e.g. the raw revert). The official facilitator puts {@code payer} on every answer. {@code
 * extensions}, {@code extra} and unknown fields are kept.
 */
public record VerifyResponse(
    boolean isValid,
    String invalidReason,
    String invalidMessage,
    String payer,
    Map<String, JsonNode> other) {
  private static final Set<String> KNOWN =
      Set.of("isValid", "invalidReason", "invalidMessage", "payer");

  public VerifyResponse {
    other = Wire.copy(other);
  }

  public static VerifyResponse valid(String payer) {
    return new VerifyResponse(true, null, null, payer, Map.of());
  }

  public static VerifyResponse invalid(String reason, String payer) {
    return new VerifyResponse(false, reason, null, payer, Map.of());
  }

  public VerifyResponse withInvalidMessage(String message) {
    return new VerifyResponse(isValid, invalidReason, message, payer, other);
  }

  public static VerifyResponse fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    return new VerifyResponse(
        Wire.bool(o, "isValid", ""),
        Wire.optString(o, "invalidReason", ""),
        Wire.optString(o, "invalidMessage", ""),
        Wire.optString(o, "payer", ""),
        Wire.unknown(o, KNOWN));
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("isValid", isValid);
    Wire.putOpt(o, "invalidReason", invalidReason);
    Wire.putOpt(o, "invalidMessage", invalidMessage);
    Wire.putOpt(o, "payer", payer);
    Wire.putAll(o, other);
    return o;
  }
}
