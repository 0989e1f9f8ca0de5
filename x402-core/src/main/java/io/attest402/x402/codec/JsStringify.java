package io.attest402.x402.codec;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Serialises JSON exactly as JavaScript's {@code JSON.stringify} does (no whitespace, members in
 * insertion order, the same string escapes: {@code \b \f \n \r \t \" \\}, other controls and lone
 * surrogates as lowercase {@code \\u00xx}, everything else raw). The official SDK base64-encodes
 * {@code JSON.stringify} output, so this is what makes our headers byte-identical to its.
 */
public final class JsStringify {
  private JsStringify() {}

  public static String stringify(JsonNode node) {
    StringBuilder sb = new StringBuilder(256);
    write(node, sb);
    return sb.toString();
  }

  private static void write(JsonNode n, StringBuilder sb) {
    switch (n.getNodeType()) {
      case OBJECT -> {
        sb.append('{');
        boolean first = true;
        Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          if (e.getValue().isMissingNode()) {
            continue;
          }
          if (!first) {
            sb.append(',');
          }
          first = false;
          string(e.getKey(), sb);
          sb.append(':');
          write(e.getValue(), sb);
        }
        sb.append('}');
      }
      case ARRAY -> {
        sb.append('[');
        for (int i = 0; i < n.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          write(n.get(i), sb);
        }
        sb.append(']');
      }
      case STRING -> string(n.textValue(), sb);
      case NUMBER -> sb.append(number(n));
      case BOOLEAN -> sb.append(n.booleanValue());
      default -> sb.append("null");
    }
  }

  private static String number(JsonNode n) {
    if (n.isIntegralNumber()) {
      return n.bigIntegerValue().toString();
    }
    java.math.BigDecimal d = n.decimalValue().stripTrailingZeros();
    if (d.scale() <= 0) {
      return d.toBigInteger().toString();
    }
    return d.toPlainString();
  }

  static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            unicodeEscape(c, sb);
          } else if (Character.isHighSurrogate(c)) {
            if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
              sb.append(c).append(s.charAt(++i));
            } else {
              unicodeEscape(c, sb);
            }
          } else if (Character.isLowSurrogate(c)) {
            unicodeEscape(c, sb);
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static void unicodeEscape(char c, StringBuilder sb) {
    String hex = Integer.toHexString(c);
    sb.append("\\u");
    for (int k = hex.length(); k < 4; k++) {
      sb.append('0');
    }
    sb.append(hex);
  }
}
