package io.attest402.x402.extensions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.Wire;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The x402 {@code bazaar} discovery extension ({@code @x402/extensions/bazaar} 2.27.0): a resource
 * server declares {@code {"info": {"input": {...}, "output": {...}}, "schema": ...}} in its 402 so
 * a facilitator that settles a payment for it may list it at {@code GET /discovery/resources}. The
 * declaration is built as {@code declareDiscoveryExtension} builds it, with the HTTP method filled
 * in as the official server's {@code bazaarResourceServerExtension} does per request.
 */
public final class Bazaar {
  public static final String KEY = "bazaar";

  /** Methods whose input is query parameters (the SDK's {@code QueryDiscoveryInfo}). */
  public static final Set<String> QUERY_METHODS = Set.of("GET", "HEAD", "DELETE");

  /** Methods whose input is a body (the SDK's {@code BodyDiscoveryInfo}). */
  public static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

  /** Body encodings the SDK knows. */
  public static final Set<String> BODY_TYPES = Set.of("json", "form-data", "text");

  private Bazaar() {}

  /**
   * A declaration for an HTTP route.
   *
   * @param method the route's method
   * @param bodyType for body methods: {@code json}, {@code form-data} or {@code text}; ignored
   *     otherwise
   * @param input an example of the query parameters (query methods) or the body (body methods), or
   *     null
   * @param inputSchema JSON Schema of that input, or null
   * @param outputExample an example response body (JSON), or null
   */
  public static ObjectNode declaration(
      String method,
      String bodyType,
      JsonNode input,
      JsonNode inputSchema,
      JsonNode outputExample) {
    String m = Objects.requireNonNull(method, "method").toUpperCase(Locale.ROOT);
    boolean body = BODY_METHODS.contains(m);
    if (!body && !QUERY_METHODS.contains(m)) {
      throw new IllegalArgumentException("bazaar declares HTTP methods only, not " + method);
    }
    if (body && !BODY_TYPES.contains(bodyType)) {
      throw new IllegalArgumentException("bodyType must be one of " + BODY_TYPES);
    }
    ObjectNode ext = Wire.newObject();
    ObjectNode info = ext.putObject("info");
    ObjectNode in = info.putObject("input").put("type", "http").put("method", m);
    ObjectNode schema = ext.putObject("schema");
    schema.put("$schema", "https://json-schema.org/draft/2020-12/schema").put("type", "object");
    ObjectNode props = schema.putObject("properties");
    ObjectNode inSchema = props.putObject("input").put("type", "object");
    ObjectNode inProps = inSchema.putObject("properties");
    inProps.putObject("type").put("type", "string").put("const", "http");
    inProps.putObject("method").put("type", "string").putArray("enum").add(m);
    ArrayNode required = inSchema.putArray("required").add("type").add("method");
    if (body) {
      in.put("bodyType", bodyType);
      in.set("body", input == null ? Wire.newObject() : input.deepCopy());
      inProps.putObject("bodyType").put("type", "string").putArray("enum").add(bodyType);
      inProps.set("body", inputSchema == null ? Wire.newObject() : inputSchema.deepCopy());
      required.add("bodyType").add("body");
    } else if (input != null) {
      in.set("queryParams", input.deepCopy());
      ObjectNode q = inProps.putObject("queryParams").put("type", "object");
      if (inputSchema != null && inputSchema.has("properties")) {
        q.set("properties", inputSchema.get("properties").deepCopy());
      }
    }
    inSchema.put("additionalProperties", false);
    if (outputExample != null) {
      info.putObject("output").put("type", "json").set("example", outputExample.deepCopy());
      ObjectNode out = props.putObject("output").put("type", "object");
      ObjectNode outProps = out.putObject("properties");
      outProps.putObject("type").put("type", "string");
      outProps.putObject("example").put("type", outputExample.isObject() ? "object" : "array");
      out.putArray("required").add("type");
    }
    schema.putArray("required").add("input");
    return ext;
  }

  /** True when {@code extensions} carries a bazaar declaration for an HTTP route. */
  public static boolean isDeclared(JsonNode extensions) {
    JsonNode input = extensions == null ? null : extensions.path(KEY).path("info").path("input");
    return input != null
        && input.isObject()
        && "http".equals(input.path("type").asText(null))
        && (QUERY_METHODS.contains(input.path("method").asText(""))
            || BODY_METHODS.contains(input.path("method").asText("")));
  }
}
