package io.attest402.erc8004.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** The module's JSON mapper and lenient field readers. */
public final class Json {
  private Json() {}

  public static final ObjectMapper MAPPER = new ObjectMapper();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(4 * 1024 * 1024)
                .build());
  }

  /** Parses UTF-8 JSON; IllegalArgumentException with the parser's reason when it is not JSON. */
  public static JsonNode parse(byte[] bytes) {
    try {
      JsonNode n = MAPPER.readTree(bytes);
      if (n == null) {
        throw new IllegalArgumentException("empty document");
      }
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
    }
  }

  public static JsonNode parse(String s) {
    return parse(s.getBytes(StandardCharsets.UTF_8));
  }

  public static String write(Object node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] writeBytes(Object node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A text field, or null when absent/null; numbers and booleans are rendered as text. */
  static String text(JsonNode o, String... names) {
    for (String name : names) {
      JsonNode v = o.get(name);
      if (v != null && !v.isNull() && (v.isValueNode())) {
        return v.asText();
      }
    }
    return null;
  }

  /** A boolean field accepting true/false and "true"/"false"; null when absent or otherwise. */
  static Boolean bool(JsonNode o, String... names) {
    for (String name : names) {
      JsonNode v = o.get(name);
      if (v == null || v.isNull()) {
        continue;
      }
      if (v.isBoolean()) {
        return v.booleanValue();
      }
      if (v.isTextual()
          && (v.asText().equalsIgnoreCase("true") || v.asText().equalsIgnoreCase("false"))) {
        return Boolean.parseBoolean(v.asText());
      }
    }
    return null;
  }

  /**
   * An integer field given as a JSON number or a decimal / 0x-hex string; null when absent or not a
   * number.
   */
  static BigInteger integer(JsonNode o, String... names) {
    for (String name : names) {
      JsonNode v = o.get(name);
      if (v == null || v.isNull()) {
        continue;
      }
      if (v.isIntegralNumber()) {
        return v.bigIntegerValue();
      }
      if (v.isTextual()) {
        String s = v.asText().trim();
        try {
          return s.startsWith("0x") ? new BigInteger(s.substring(2), 16) : new BigInteger(s);
        } catch (NumberFormatException ignored) {
          return null;
        }
      }
    }
    return null;
  }
}
