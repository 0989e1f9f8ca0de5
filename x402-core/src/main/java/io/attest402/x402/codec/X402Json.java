package io.attest402.x402.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * JSON bodies (facilitator requests and responses): strict parsing with precise errors,
 * JSON.stringify output.
 */
public final class X402Json {
  private X402Json() {}

  /** Parses a JSON text (duplicate keys, trailing tokens and non-numbers are errors). */
  public static JsonNode parse(String text) {
    try {
      JsonNode n = Wire.JSON.readTree(text);
      if (n == null || n.isMissingNode()) {
        throw new X402FormatException("", "empty body, expected JSON");
      }
      return n;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null ? "" : " at character " + e.getLocation().getCharOffset();
      throw new X402FormatException(
          "", "not valid JSON" + where + ": " + e.getOriginalMessage(), e);
    }
  }

  public static JsonNode parse(byte[] utf8) {
    return parse(new String(utf8, StandardCharsets.UTF_8));
  }

  /** Parses and decodes a body with one of the types' {@code fromJson}. */
  public static <T> T read(String text, Function<JsonNode, T> reader) {
    return reader.apply(parse(text));
  }

  /** JSON.stringify of a tree. */
  public static String write(JsonNode json) {
    return JsStringify.stringify(json);
  }
}
