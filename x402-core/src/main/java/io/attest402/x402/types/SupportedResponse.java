package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /supported}: a flat list of kinds (each with its own {@code x402Version}), extension
 * keys, and signer addresses by CAIP family pattern ({@code "eip155:*"}). Missing {@code
 * extensions}/{@code signers} read as empty, as the official client does.
 */
public record SupportedResponse(
    List<Kind> kinds,
    List<String> extensions,
    Map<String, List<String>> signers,
    Map<String, JsonNode> other) {
  private static final Set<String> KNOWN = Set.of("kinds", "extensions", "signers");

  public SupportedResponse {
    kinds = List.copyOf(kinds);
    extensions = List.copyOf(extensions);
    Map<String, List<String>> s = new LinkedHashMap<>();
    signers.forEach((k, v) -> s.put(k, List.copyOf(v)));
    signers = java.util.Collections.unmodifiableMap(s);
    other = Wire.copy(other);
  }

  /** One supported (version, scheme, network), with the scheme's optional {@code extra}. */
  public record Kind(int x402Version, String scheme, String network, ObjectNode extra) {
    public Kind {
      extra = Wire.copy(extra);
    }

    public ObjectNode toJson() {
      ObjectNode o = Wire.newObject();
      o.put("x402Version", x402Version);
      o.put("scheme", scheme);
      o.put("network", network);
      Wire.putOpt(o, "extra", extra);
      return o;
    }
  }

  /** Whether a kind matches exactly (no wildcard networks appear in kinds). */
  public boolean supports(int x402Version, String scheme, String network) {
    return kinds.stream()
        .anyMatch(
            k ->
                k.x402Version() == x402Version
                    && k.scheme().equals(scheme)
                    && k.network().equals(network));
  }

  public static SupportedResponse fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    JsonNode k = Wire.required(o, "kinds", "");
    if (!k.isArray()) {
      throw new X402FormatException("kinds", "must be an array, not " + Wire.describe(k));
    }
    List<Kind> kinds = new ArrayList<>();
    for (int i = 0; i < k.size(); i++) {
      String p = "kinds[" + i + "]";
      ObjectNode ko = Wire.object(k.get(i), p);
      kinds.add(
          new Kind(
              Wire.integer(ko, "x402Version", p),
              Wire.nonEmptyString(ko, "scheme", p),
              Wire.nonEmptyString(ko, "network", p),
              Wire.optObject(ko, "extra", p)));
    }
    List<String> exts = new ArrayList<>();
    JsonNode e = Wire.optional(o, "extensions");
    if (e != null) {
      if (!e.isArray()) {
        throw new X402FormatException(
            "extensions", "must be an array of strings, not " + Wire.describe(e));
      }
      for (int i = 0; i < e.size(); i++) {
        if (!e.get(i).isTextual()) {
          throw new X402FormatException(
              "extensions[" + i + "]", "must be a string, not " + Wire.describe(e.get(i)));
        }
        exts.add(e.get(i).textValue());
      }
    }
    Map<String, List<String>> signers = new LinkedHashMap<>();
    JsonNode s = Wire.optional(o, "signers");
    if (s != null) {
      ObjectNode so = Wire.object(s, "signers");
      Iterator<Map.Entry<String, JsonNode>> it = so.properties().iterator();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> en = it.next();
        String p = "signers." + en.getKey();
        if (!en.getValue().isArray()) {
          throw new X402FormatException(
              p, "must be an array of addresses, not " + Wire.describe(en.getValue()));
        }
        List<String> list = new ArrayList<>();
        for (JsonNode a : en.getValue()) {
          if (!a.isTextual()) {
            throw new X402FormatException(p, "must hold strings, not " + Wire.describe(a));
          }
          list.add(a.textValue());
        }
        signers.put(en.getKey(), list);
      }
    }
    return new SupportedResponse(kinds, exts, signers, Wire.unknown(o, KNOWN));
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    ArrayNode k = o.putArray("kinds");
    kinds.forEach(kind -> k.add(kind.toJson()));
    ArrayNode e = o.putArray("extensions");
    extensions.forEach(e::add);
    ObjectNode s = o.putObject("signers");
    signers.forEach(
        (fam, list) -> {
          ArrayNode a = s.putArray(fam);
          list.forEach(a::add);
        });
    Wire.putAll(o, other);
    return o;
  }
}
