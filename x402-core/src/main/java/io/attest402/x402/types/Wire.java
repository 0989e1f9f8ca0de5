package io.attest402.x402.types;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict readers and writers for x402 JSON: every reader names the JSON path of the offending
 * value. Public because the scheme packages ({@code evm}) decode their payloads with the same
 * rules.
 */
public final class Wire {
  private Wire() {}

  /**
   * The module's JSON mapper: duplicate keys are errors, numbers stay exact, nothing is coerced.
   */
  public static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static {
    JSON.getFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  }

  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final Pattern UINT_DECIMAL = Pattern.compile("[0-9]+");
  private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F]*");
  private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");
  public static final BigInteger UINT256_MAX =
      BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE);

  public static String join(String path, String field) {
    return path == null || path.isEmpty() ? field : path + "." + field;
  }

  /** Requires {@code node} to be a JSON object. */
  public static ObjectNode object(JsonNode node, String path) {
    if (node == null || node.isMissingNode()) {
      throw new X402FormatException(path, "is required");
    }
    if (!node.isObject()) {
      throw new X402FormatException(path, "must be a JSON object, not " + describe(node));
    }
    return (ObjectNode) node;
  }

  /** A present, non-null member, or an error naming it. */
  public static JsonNode required(ObjectNode obj, String field, String path) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) {
      throw new X402FormatException(join(path, field), "is required");
    }
    return v;
  }

  /**
   * A member that may be absent; {@code null} on the wire counts as absent (as the official SDK's
   * zod schemas do).
   */
  public static JsonNode optional(ObjectNode obj, String field) {
    JsonNode v = obj.get(field);
    return v == null || v.isNull() ? null : v;
  }

  public static String string(ObjectNode obj, String field, String path) {
    return text(required(obj, field, path), field, path);
  }

  public static String nonEmptyString(ObjectNode obj, String field, String path) {
    String s = string(obj, field, path);
    if (s.isEmpty()) {
      throw new X402FormatException(join(path, field), "must not be empty");
    }
    return s;
  }

  public static String optString(ObjectNode obj, String field, String path) {
    JsonNode v = optional(obj, field);
    return v == null ? null : text(v, field, path);
  }

  private static String text(JsonNode v, String field, String path) {
    if (!v.isTextual()) {
      throw new X402FormatException(join(path, field), "must be a string, not " + describe(v));
    }
    return v.textValue();
  }

  public static boolean bool(ObjectNode obj, String field, String path) {
    JsonNode v = required(obj, field, path);
    if (!v.isBoolean()) {
      throw new X402FormatException(join(path, field), "must be true or false, not " + describe(v));
    }
    return v.booleanValue();
  }

  /** A JSON integer that fits an int (x402Version, maxTimeoutSeconds). */
  public static int integer(ObjectNode obj, String field, String path) {
    JsonNode v = required(obj, field, path);
    return asInt(v, join(path, field));
  }

  public static int asInt(JsonNode v, String path) {
    if (!v.isNumber()) {
      throw new X402FormatException(path, "must be a number, not " + describe(v));
    }
    if (!v.isIntegralNumber()) {
      if (v.isBigDecimal() || v.isDouble() || v.isFloat()) {
        java.math.BigDecimal d = v.decimalValue();
        if (d.stripTrailingZeros().scale() <= 0
            && d.abs().compareTo(java.math.BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0) {
          return d.intValueExact();
        }
      }
      throw new X402FormatException(path, "must be a whole number, not " + v.asText());
    }
    if (!v.canConvertToInt()) {
      throw new X402FormatException(path, "is out of range: " + v.asText());
    }
    return v.intValue();
  }

  /**
   * An unsigned integer carried as a decimal string (amounts, times): digits only, at most 78 of
   * them (uint256).
   */
  public static BigInteger uintString(ObjectNode obj, String field, String path) {
    JsonNode v = required(obj, field, path);
    String p = join(path, field);
    if (!v.isTextual()) {
      throw new X402FormatException(
          p,
          "must be a decimal string (amounts and times are strings in x402), not " + describe(v));
    }
    return parseUint(v.textValue(), p);
  }

  public static BigInteger parseUint(String s, String path) {
    if (s.isEmpty()) {
      throw new X402FormatException(path, "must not be empty");
    }
    if (s.length() > 78 || !UINT_DECIMAL.matcher(s).matches()) {
      throw new X402FormatException(
          path, "must be an unsigned decimal integer, not \"" + abbreviate(s) + "\"");
    }
    BigInteger b = new BigInteger(s);
    if (b.compareTo(UINT256_MAX) > 0) {
      throw new X402FormatException(path, "exceeds uint256");
    }
    return b;
  }

  /** A 0x-prefixed hex string of even length. */
  public static String hex(ObjectNode obj, String field, String path) {
    String s = string(obj, field, path);
    String p = join(path, field);
    if (!HEX.matcher(s).matches()) {
      throw new X402FormatException(p, "must be 0x-prefixed hex, not \"" + abbreviate(s) + "\"");
    }
    if (s.length() % 2 != 0) {
      throw new X402FormatException(p, "has an odd number of hex digits");
    }
    return s;
  }

  /**
   * A 20-byte address as 0x + 40 hex digits, case preserved (x402 compares some addresses as
   * strings).
   */
  public static String address(ObjectNode obj, String field, String path) {
    String s = string(obj, field, path);
    if (!ADDRESS.matcher(s).matches()) {
      throw new X402FormatException(
          join(path, field),
          "must be a 0x-prefixed 20-byte hex address, not \"" + abbreviate(s) + "\"");
    }
    return s;
  }

  public static boolean isAddress(String s) {
    return s != null && ADDRESS.matcher(s).matches();
  }

  public static ObjectNode optObject(ObjectNode obj, String field, String path) {
    JsonNode v = optional(obj, field);
    if (v == null) {
      return null;
    }
    return object(v, join(path, field)).deepCopy();
  }

  /**
   * Members not in {@code known}, in wire order (kept so that extensions and newer fields survive a
   * round trip).
   */
  public static Map<String, JsonNode> unknown(ObjectNode obj, Set<String> known) {
    Map<String, JsonNode> rest = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = obj.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!known.contains(e.getKey()) && !e.getValue().isNull()) {
        rest.put(e.getKey(), e.getValue().deepCopy());
      }
    }
    return rest.isEmpty() ? Map.of() : Collections.unmodifiableMap(rest);
  }

  public static Map<String, JsonNode> copy(Map<String, JsonNode> m) {
    if (m == null || m.isEmpty()) {
      return Map.of();
    }
    Map<String, JsonNode> c = new LinkedHashMap<>();
    m.forEach((k, v) -> c.put(k, v == null ? NODES.nullNode() : v.deepCopy()));
    return Collections.unmodifiableMap(c);
  }

  public static ObjectNode copy(ObjectNode n) {
    return n == null ? null : n.deepCopy();
  }

  public static ObjectNode newObject() {
    return NODES.objectNode();
  }

  /**
   * Writes {@code value} under {@code field} unless it is null (optional fields are omitted, never
   * null).
   */
  public static void putOpt(ObjectNode obj, String field, String value) {
    if (value != null) {
      obj.put(field, value);
    }
  }

  public static void putOpt(ObjectNode obj, String field, JsonNode value) {
    if (value != null) {
      obj.set(field, value.deepCopy());
    }
  }

  public static void putAll(ObjectNode obj, Map<String, JsonNode> extra) {
    extra.forEach(
        (k, v) -> {
          if (!obj.has(k)) {
            obj.set(k, v.deepCopy());
          }
        });
  }

  public static String describe(JsonNode v) {
    if (v == null || v.isMissingNode()) {
      return "nothing";
    }
    return switch (v.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NUMBER -> "the number " + abbreviate(v.asText());
      case STRING -> "the string \"" + abbreviate(v.textValue()) + "\"";
      case BOOLEAN -> v.asText();
      case NULL -> "null";
      default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  public static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
