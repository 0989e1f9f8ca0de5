package io.attest402.erc8004.validator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.files.DataUris;
import io.attest402.erc8004.files.Json;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.web3j.crypto.Hash;

/**
 * What attest402 puts behind a tee-attestation {@code requestURI}: which agent, and optionally
 * where its facilitator's attestation document is (else the validator takes it from the agent's
 * registration file). The requestHash is keccak256 of these exact bytes.
 *
 * <pre>
 * {@code {"type":"attest402-tee-validation-request-v1","agentRegistry":"eip155:..:0x..","agentId":3,
 *  "attestationUrl":"https://facilitator.example/attestation","createdAt":"2026-01-15T12:00:00Z"}}
 * </pre>
 */
public record ValidationRequestDocument(
    String agentRegistry, BigInteger agentId, String attestationUrl, String createdAt) {
  public static final String TYPE = "attest402-tee-validation-request-v1";

  public byte[] toJsonBytes() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", TYPE);
    o.put("agentRegistry", agentRegistry);
    o.put("agentId", agentId);
    if (attestationUrl != null) {
      o.put("attestationUrl", attestationUrl);
    }
    o.put("createdAt", createdAt);
    return Json.write(o).getBytes(StandardCharsets.UTF_8);
  }

  public String toDataUri() {
    return DataUris.json(toJsonBytes());
  }

  /** keccak256 of {@link #toJsonBytes()}: the requestHash. */
  public byte[] requestHash() {
    return Hash.sha3(toJsonBytes());
  }

  /** Reads a request document; empty when the bytes are not one. */
  public static Optional<ValidationRequestDocument> parse(byte[] bytes) {
    try {
      JsonNode o = Json.parse(bytes);
      if (!o.isObject() || !TYPE.equals(o.path("type").asText())) {
        return Optional.empty();
      }
      BigInteger id =
          o.path("agentId").isIntegralNumber()
              ? o.get("agentId").bigIntegerValue()
              : new BigInteger(o.path("agentId").asText());
      return Optional.of(
          new ValidationRequestDocument(
              o.path("agentRegistry").asText(null),
              id,
              o.path("attestationUrl").asText(null),
              o.path("createdAt").asText(null)));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
