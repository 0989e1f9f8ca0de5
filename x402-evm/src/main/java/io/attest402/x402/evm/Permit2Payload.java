package io.attest402.x402.evm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The Permit2 payload of {@code exact} ({@code assetTransferMethod: "permit2"}) and {@code upto}:
 * {@code {"permit2Authorization": {from, permitted: {token, amount}, spender, nonce, deadline,
 * witness: {to, validAfter[, facilitator]}}, "signature": "0x..."}}. {@code witness.facilitator} is
 * present for {@code upto} only. Decoding checks the JSON shape; the verifier judges the values.
 */
public record Permit2Payload(String signature, Authorization authorization) {
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,100}");

  public Permit2Payload {
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(authorization, "authorization");
  }

  /** What the payer signed: Permit2's {@code PermitWitnessTransferFrom} with x402's witness. */
  public record Authorization(
      String from,
      String token,
      BigInteger amount,
      String spender,
      BigInteger nonce,
      BigInteger deadline,
      String to,
      BigInteger validAfter,
      String facilitator) {
    public Authorization {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(amount, "amount");
      Objects.requireNonNull(spender, "spender");
      Objects.requireNonNull(nonce, "nonce");
      Objects.requireNonNull(deadline, "deadline");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(validAfter, "validAfter");
    }

    /**
     * This authorization with another witness {@code facilitator} (null: none, as the exact
     * witness, which binds no facilitator, is signed).
     */
    public Authorization withFacilitator(String facilitator) {
      return new Authorization(
          from, token, amount, spender, nonce, deadline, to, validAfter, facilitator);
    }

    /** The nonce as 0x + 64 hex digits (how the journal keys a payment). */
    public String nonceHex() {
      return "0x" + String.format("%064x", nonce);
    }
  }

  /** Decodes {@code paymentPayload.payload}; {@code path} prefixes error locations. */
  public static Permit2Payload fromJson(JsonNode node, String path) {
    ObjectNode o = Wire.object(node, path);
    String sig = Wire.hex(o, "signature", path);
    String ap = Wire.join(path, "permit2Authorization");
    ObjectNode a = Wire.object(Wire.required(o, "permit2Authorization", path), ap);
    String pp = Wire.join(ap, "permitted");
    ObjectNode p = Wire.object(Wire.required(a, "permitted", ap), pp);
    String wp = Wire.join(ap, "witness");
    ObjectNode w = Wire.object(Wire.required(a, "witness", ap), wp);
    JsonNode facilitator = w.get("facilitator");
    return new Permit2Payload(
        sig,
        new Authorization(
            Wire.address(a, "from", ap),
            Wire.address(p, "token", pp),
            uint(p, "amount", pp),
            Wire.address(a, "spender", ap),
            uint(a, "nonce", ap),
            uint(a, "deadline", ap),
            Wire.address(w, "to", wp),
            uint(w, "validAfter", wp),
            facilitator == null ? null : Wire.address(w, "facilitator", wp)));
  }

  private static BigInteger uint(ObjectNode o, String field, String path) {
    String s = Wire.string(o, field, path);
    if (!DIGITS.matcher(s).matches()) {
      throw new X402FormatException(
          Wire.join(path, field),
          "must be an unsigned decimal integer string, not \"" + Wire.abbreviate(s) + "\"");
    }
    return new BigInteger(s);
  }

  /** JSON in the official client's key order. */
  public ObjectNode toJson() {
    Authorization a = authorization;
    ObjectNode o = Wire.newObject();
    ObjectNode auth = o.putObject("permit2Authorization");
    auth.put("from", a.from());
    ObjectNode permitted = auth.putObject("permitted");
    permitted.put("token", a.token());
    permitted.put("amount", a.amount().toString());
    auth.put("spender", a.spender());
    auth.put("nonce", a.nonce().toString());
    auth.put("deadline", a.deadline().toString());
    ObjectNode witness = auth.putObject("witness");
    witness.put("to", a.to());
    if (a.facilitator() != null) {
      witness.put("facilitator", a.facilitator());
    }
    witness.put("validAfter", a.validAfter().toString());
    o.put("signature", signature);
    return o;
  }
}
