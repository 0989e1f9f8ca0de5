package io.attest402.x402.extensions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.Wire;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The x402 {@code payment-identifier} extension ({@code @x402/extensions/payment-identifier}
 * 2.27.0): the server declares {@code {"info": {"required": bool}, "schema": ...}}; a client
 * echoing it adds {@code info.id}, 16 to 128 characters of {@code [A-Za-z0-9_-]}, which servers and
 * facilitators use as an idempotency key (same id and payment: the stored answer; same id, other
 * payment: 409; required and absent: 400).
 */
public final class PaymentIdentifier {
  public static final String KEY = "payment-identifier";
  public static final int MIN_LENGTH = 16;
  public static final int MAX_LENGTH = 128;
  private static final Pattern ID = Pattern.compile("[a-zA-Z0-9_-]+");
  private static final SecureRandom RANDOM = new SecureRandom();

  private PaymentIdentifier() {}

  /**
   * {@code pay_} and 32 random hex digits, as the official {@code generatePaymentId} makes them.
   */
  public static String generate() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "pay_" + HexFormat.of().formatHex(b);
  }

  public static boolean isValid(String id) {
    return id != null
        && id.length() >= MIN_LENGTH
        && id.length() <= MAX_LENGTH
        && ID.matcher(id).matches();
  }

  /** The server's declaration, as {@code declarePaymentIdentifierExtension(required)} builds it. */
  public static ObjectNode declaration(boolean required) {
    ObjectNode ext = Wire.newObject();
    ext.putObject("info").put("required", required);
    ObjectNode schema = ext.putObject("schema");
    schema.put("$schema", "https://json-schema.org/draft/2020-12/schema").put("type", "object");
    ObjectNode props = schema.putObject("properties");
    props.putObject("required").put("type", "boolean");
    props
        .putObject("id")
        .put("type", "string")
        .put("minLength", MIN_LENGTH)
        .put("maxLength", MAX_LENGTH)
        .put("pattern", "^[a-zA-Z0-9_-]+$");
    schema.putArray("required").add("required");
    return ext;
  }

  /** True when {@code extensions} declares the extension with {@code info.required} a boolean. */
  public static boolean isDeclared(JsonNode extensions) {
    JsonNode info = extensions == null ? null : extensions.path(KEY).path("info");
    return info != null && info.isObject() && info.path("required").isBoolean();
  }

  /** True when {@code extensions} declares the extension as required. */
  public static boolean isRequired(JsonNode extensions) {
    return isDeclared(extensions) && extensions.path(KEY).path("info").path("required").asBoolean();
  }

  /** What a payment carries: no id, a valid id, or a malformed one (with the problem). */
  public record Extracted(String id, String problem) {
    public boolean present() {
      return id != null;
    }
  }

  /**
   * Reads {@code extensions["payment-identifier"].info.id} from a payment (as {@code
   * extractAndValidate...}).
   */
  public static Extracted extract(PaymentPayload payment) {
    JsonNode ext = payment.extensions() == null ? null : payment.extensions().get(KEY);
    if (ext == null || ext.isNull()) {
      return new Extracted(null, null);
    }
    JsonNode id = ext.path("info").path("id");
    if (id.isMissingNode() || id.isNull()) {
      return new Extracted(null, null);
    }
    if (!id.isTextual() || !isValid(id.asText())) {
      return new Extracted(
          null,
          "payment-identifier id must be "
              + MIN_LENGTH
              + "-"
              + MAX_LENGTH
              + " characters of A-Z, a-z, 0-9, '_' and '-'");
    }
    return new Extracted(id.asText(), null);
  }

  /**
   * The client's side ({@code appendPaymentIdentifierToExtensions}): when the server declared the
   * extension, a copy of {@code extensions} with {@code info.id} set; otherwise {@code extensions}
   * unchanged.
   */
  public static ObjectNode appendTo(ObjectNode extensions, String id) {
    if (!isDeclared(extensions)) {
      return extensions;
    }
    if (!isValid(id)) {
      throw new IllegalArgumentException("invalid payment id \"" + id + "\"");
    }
    ObjectNode copy = extensions.deepCopy();
    ((ObjectNode) copy.get(KEY).get("info")).put("id", id);
    return copy;
  }
}
