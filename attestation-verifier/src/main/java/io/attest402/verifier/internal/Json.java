package io.attest402.verifier.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Strict field access on Jackson trees, with IllegalArgumentException naming the missing or bad
 * field.
 */
public final class Json {
  private Json() {}

  static JsonNode obj(JsonNode n, String f) {
    JsonNode v = n.get(f);
    if (v == null || !v.isObject()) {
      throw new IllegalArgumentException("missing object field '" + f + "'");
    }
    return v;
  }

  static JsonNode array(JsonNode n, String f) {
    JsonNode v = n.get(f);
    if (v == null || !v.isArray()) {
      throw new IllegalArgumentException("missing array field '" + f + "'");
    }
    return v;
  }

  static String text(JsonNode n, String f) {
    JsonNode v = n.get(f);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("missing string field '" + f + "'");
    }
    return v.asText();
  }

  static int intField(JsonNode n, String f) {
    JsonNode v = n == null ? null : n.get(f);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("missing integer field '" + f + "'");
    }
    return v.intValue();
  }

  static byte[] hex(JsonNode n, String f, int len) {
    byte[] b = Hex.decode(text(n, f));
    if (b.length != len) {
      throw new IllegalArgumentException("field '" + f + "' must be " + len + " bytes");
    }
    return b;
  }

  static Instant instant(JsonNode n, String f) {
    try {
      return Instant.parse(text(n, f));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("field '" + f + "' is not an ISO-8601 instant");
    }
  }

  static List<String> advisories(JsonNode l) {
    List<String> out = new ArrayList<>();
    if (l.has("advisoryIDs")) {
      for (JsonNode a : array(l, "advisoryIDs")) {
        if (!a.isTextual()) {
          throw new IllegalArgumentException("advisory ID must be a string");
        }
        out.add(a.asText());
      }
    }
    return List.copyOf(out);
  }

  static TcbLevel isvLevel(JsonNode l) {
    return new TcbLevel(
        null,
        -1,
        null,
        intField(obj(l, "tcb"), "isvsvn"),
        l.hasNonNull("tcbDate") ? text(l, "tcbDate") : "",
        text(l, "tcbStatus"),
        advisories(l));
  }

  /**
   * The exact source text of the value of top-level field {@code field} in a JSON object, e.g. the
   * {@code tcbInfo} object of a PCS response, whose signature covers exactly those bytes.
   */
  public static String rawField(String json, String field) {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        int start = (int) p.currentTokenLocation().getCharOffset();
        if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          p.skipChildren();
        }
        int end = (int) (p.currentTokenLocation().getCharOffset() + (t.isStructStart() ? 1 : 0));
        if (name.equals(field)) {
          if (!t.isStructStart()) {
            p.getText();
            end = (int) p.currentLocation().getCharOffset();
          }
          return json.substring(start, end);
        }
      }
      throw new IllegalArgumentException("field '" + field + "' not found");
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getMessage(), e);
    }
  }
}
