package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One payment offer ({@code accepts[i]} of a 402, {@code accepted} of a payment, {@code
 * paymentRequirements} of a facilitator request). Scheme-agnostic: {@code asset} and {@code payTo}
 * are kept exactly as sent (the official resource server compares them as strings). {@code amount}
 * is the v2 {@code amount} or the v1 {@code maxAmountRequired}; {@code extra} is the scheme's
 * object (for exact/EVM: the token's EIP-712 {@code name} and {@code version}). Fields this type
 * does not name (v1's {@code resource}, {@code description}, newer fields) are kept in {@code
 * other} and written back.
 */
public record PaymentRequirements(
    String scheme,
    String network,
    BigInteger amount,
    String asset,
    String payTo,
    int maxTimeoutSeconds,
    ObjectNode extra,
    Map<String, JsonNode> other) {

  private static final Set<String> KNOWN_V2 =
      Set.of("scheme", "network", "amount", "asset", "payTo", "maxTimeoutSeconds", "extra");
  private static final Set<String> KNOWN_V1 =
      Set.of(
          "scheme", "network", "maxAmountRequired", "asset", "payTo", "maxTimeoutSeconds", "extra");

  public PaymentRequirements {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(payTo, "payTo");
    extra = Wire.copy(extra);
    other = Wire.copy(other);
  }

  /** A v2 offer without unknown fields. */
  public PaymentRequirements(
      String scheme,
      String network,
      BigInteger amount,
      String asset,
      String payTo,
      int maxTimeoutSeconds,
      ObjectNode extra) {
    this(scheme, network, amount, asset, payTo, maxTimeoutSeconds, extra, Map.of());
  }

  /** An exact/EVM offer: {@code extra = {name, version}} (the token's EIP-712 domain). */
  public static PaymentRequirements exactEvm(
      String network,
      BigInteger amount,
      String asset,
      String payTo,
      int maxTimeoutSeconds,
      String tokenName,
      String tokenVersion) {
    ObjectNode extra = Wire.newObject();
    extra.put("name", tokenName);
    extra.put("version", tokenVersion);
    return new PaymentRequirements(
        "exact", network, amount, asset, payTo, maxTimeoutSeconds, extra);
  }

  /** A string member of {@code extra}, or null. */
  public String extraString(String key) {
    if (extra == null) {
      return null;
    }
    JsonNode v = extra.get(key);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  public PaymentRequirements withAmount(BigInteger newAmount) {
    return new PaymentRequirements(
        scheme, network, newAmount, asset, payTo, maxTimeoutSeconds, extra, other);
  }

  public PaymentRequirements withExtra(ObjectNode newExtra) {
    return new PaymentRequirements(
        scheme, network, amount, asset, payTo, maxTimeoutSeconds, newExtra, other);
  }

  /** Decodes a v2 offer. */
  public static PaymentRequirements fromJson(JsonNode node, String path) {
    return fromJson(node, path, 2);
  }

  /** Decodes an offer of the given protocol version (1 reads {@code maxAmountRequired}). */
  public static PaymentRequirements fromJson(JsonNode node, String path, int x402Version) {
    ObjectNode o = Wire.object(node, path);
    boolean v1 = x402Version == 1;
    String scheme = Wire.nonEmptyString(o, "scheme", path);
    String network = Wire.nonEmptyString(o, "network", path);
    if (!v1 && !network.contains(":")) {
      throw new X402FormatException(
          Wire.join(path, "network"),
          "must be a CAIP-2 network id such as eip155:8453, not \""
              + Wire.abbreviate(network)
              + "\"");
    }
    BigInteger amount = Wire.uintString(o, v1 ? "maxAmountRequired" : "amount", path);
    String asset = Wire.nonEmptyString(o, "asset", path);
    String payTo = Wire.nonEmptyString(o, "payTo", path);
    int timeout = Wire.integer(o, "maxTimeoutSeconds", path);
    if (timeout <= 0) {
      throw new X402FormatException(
          Wire.join(path, "maxTimeoutSeconds"), "must be positive, not " + timeout);
    }
    ObjectNode extra = Wire.optObject(o, "extra", path);
    return new PaymentRequirements(
        scheme,
        network,
        amount,
        asset,
        payTo,
        timeout,
        extra,
        Wire.unknown(o, v1 ? KNOWN_V1 : KNOWN_V2));
  }

  /** Encodes as v2. */
  public ObjectNode toJson() {
    return toJson(2);
  }

  public ObjectNode toJson(int x402Version) {
    ObjectNode o = Wire.newObject();
    o.put("scheme", scheme);
    o.put("network", network);
    if (x402Version == 1) {
      o.put("maxAmountRequired", amount.toString());
      Map<String, JsonNode> rest = new LinkedHashMap<>(other);
      for (String k : new String[] {"resource", "description", "mimeType"}) {
        JsonNode v = rest.remove(k);
        if (v != null) {
          o.set(k, v.deepCopy());
        }
      }
      o.put("payTo", payTo);
      o.put("maxTimeoutSeconds", maxTimeoutSeconds);
      o.put("asset", asset);
      Wire.putAll(o, rest);
      Wire.putOpt(o, "extra", extra);
      return o;
    }
    o.put("amount", amount.toString());
    o.put("asset", asset);
    o.put("payTo", payTo);
    o.put("maxTimeoutSeconds", maxTimeoutSeconds);
    Wire.putOpt(o, "extra", extra);
    Wire.putAll(o, other);
    return o;
  }
}
