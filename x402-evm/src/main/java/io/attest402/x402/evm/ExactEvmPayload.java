package io.attest402.x402.evm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The exact/EVM EIP-3009 payload: {@code {"authorization": {from, to, value, validAfter,
 * validBefore, nonce}, "signature": "0x..."}}. Numbers are decimal strings on the wire and {@link
 * BigInteger} here. Decoding checks the JSON shape only; whether the values make a valid payment is
 * the verifier's job (so that its reason codes match the official facilitator's).
 */
public record ExactEvmPayload(String signature, Authorization authorization) {
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,100}");

  public ExactEvmPayload {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(authorization, "authorization");
  }

  /** The authorization: who pays whom how much, in which time window, under which 32-byte nonce. */
  public record Authorization(
      String from,
      String to,
      BigInteger value,
      BigInteger validAfter,
      BigInteger validBefore,
      String nonce) {
    public Authorization {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(value, "value");
      Objects.requireNonNull(validAfter, "validAfter");
      Objects.requireNonNull(validBefore, "validBefore");
      Objects.requireNonNull(nonce, "nonce");
    }

    public byte[] nonceBytes() {
      return Hex.decode(nonce);
    }

    public ObjectNode toJson() {
      ObjectNode o = Wire.newObject();
      o.put("from", from);
      o.put("to", to);
      o.put("value", value.toString());
      o.put("validAfter", validAfter.toString());
      o.put("validBefore", validBefore.toString());
      o.put("nonce", nonce);
      return o;
    }
  }

  /**
   * True when the payload is a Permit2 one (the official facilitator routes on the presence of this
   * key).
   */
  public static boolean isPermit2(JsonNode payload) {
    return payload != null && payload.isObject() && payload.has("permit2Authorization");
  }

  /**
   * Decodes {@code paymentPayload.payload}; {@code path} prefixes error locations (e.g. "payload").
   */
  public static ExactEvmPayload fromJson(JsonNode node, String path) {
    ObjectNode o = Wire.object(node, path);
    String sig = Wire.hex(o, "signature", path);
    String ap = Wire.join(path, "authorization");
    ObjectNode a = Wire.object(Wire.required(o, "authorization", path), ap);
    Authorization auth =
        new Authorization(
            Wire.address(a, "from", ap),
            Wire.address(a, "to", ap),
            uint(a, "value", ap),
            uint(a, "validAfter", ap),
            uint(a, "validBefore", ap),
            Wire.hex(a, "nonce", ap));
    return new ExactEvmPayload(sig, auth);
  }

  public static ExactEvmPayload fromJson(JsonNode node) {
    return fromJson(node, "payload");
  }

  /**
   * A decimal string; range is left to the verifier (viem refuses values above uint256 at hashing
   * time).
   */
  private static BigInteger uint(ObjectNode o, String field, String path) {
    String s = Wire.string(o, field, path);
    if (!DIGITS.matcher(s).matches()) {
      throw new X402FormatException(
          Wire.join(path, field),
          "must be an unsigned decimal integer string, not \"" + Wire.abbreviate(s) + "\"");
    }
    return new BigInteger(s);
  }

  /** JSON in the official client's key order: authorization, then signature. */
  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.set("authorization", authorization.toJson());
    o.put("signature", signature);
    return o;
  }

  public byte[] signatureBytes() {
    return Hex.decode(signature);
  }
}
