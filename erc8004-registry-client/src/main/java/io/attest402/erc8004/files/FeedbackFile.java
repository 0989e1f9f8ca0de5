package io.attest402.erc8004.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * The off-chain feedback file of the 2026-01-25 spec, with {@code proofOfPayment}. Reading is
 * lenient (Oct 2025 {@code score} and {@code proof_of_payment}, numeric or string chainId, plain or
 * CAIP-10 clientAddress); writing emits the spec's names only. Other keys (mcp, a2a, oasf, ...) are
 * kept as extensions.
 */
public record FeedbackFile(
    String agentRegistry,
    BigInteger agentId,
    String clientAddress,
    String createdAt,
    BigInteger value,
    int valueDecimals,
    String tag1,
    String tag2,
    String endpoint,
    ProofOfPayment proofOfPayment,
    Map<String, JsonNode> extensions) {

  private static final Set<String> KNOWN =
      Set.of(
          "agentRegistry",
          "agentId",
          "clientAddress",
          "createdAt",
          "value",
          "valueDecimals",
          "score",
          "tag1",
          "tag2",
          "endpoint",
          "proofOfPayment",
          "proof_of_payment");

  public FeedbackFile {
    extensions =
        extensions == null
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
  }

  /**
   * {@code proofOfPayment}: the payment the feedback is about (an x402 settlement, for example).
   */
  public record ProofOfPayment(
      String fromAddress, String toAddress, String chainId, String txHash) {}

  public Optional<ProofOfPayment> proof() {
    return Optional.ofNullable(proofOfPayment);
  }

  /** The reviewer's address whether clientAddress is plain or CAIP-10. */
  public Optional<String> clientAddressPlain() {
    if (clientAddress == null) {
      return Optional.empty();
    }
    String[] p = clientAddress.split(":");
    return Optional.of(p[p.length - 1]);
  }

  public static FeedbackFile parse(byte[] json) {
    return fromJson(Json.parse(json));
  }

  public static FeedbackFile fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("a feedback file is a JSON object");
    }
    BigInteger value = Json.integer(o, "value");
    BigInteger decimals = Json.integer(o, "valueDecimals");
    if (value == null) {
      value = Json.integer(o, "score");
      decimals = BigInteger.ZERO;
    }
    ProofOfPayment proof = null;
    JsonNode p = o.has("proofOfPayment") ? o.get("proofOfPayment") : o.get("proof_of_payment");
    if (p != null && p.isObject()) {
      proof =
          new ProofOfPayment(
              Json.text(p, "fromAddress", "from_address", "from"),
              Json.text(p, "toAddress", "to_address", "to"),
              Json.text(p, "chainId", "chain_id"),
              Json.text(p, "txHash", "tx_hash", "transactionHash"));
    }
    Map<String, JsonNode> ext = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> f : o.properties()) {
      if (!KNOWN.contains(f.getKey())) {
        ext.put(f.getKey(), f.getValue());
      }
    }
    return new FeedbackFile(
        Json.text(o, "agentRegistry"),
        Json.integer(o, "agentId"),
        Json.text(o, "clientAddress"),
        Json.text(o, "createdAt"),
        value,
        decimals == null ? 0 : decimals.intValue(),
        Json.text(o, "tag1"),
        Json.text(o, "tag2"),
        Json.text(o, "endpoint"),
        proof,
        ext);
  }

  /** Strict JSON in the spec's key order. */
  public ObjectNode toJsonNode() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("agentRegistry", agentRegistry);
    o.put("agentId", agentId);
    o.put("clientAddress", clientAddress);
    o.put("createdAt", createdAt);
    o.put("value", value);
    o.put("valueDecimals", valueDecimals);
    if (tag1 != null && !tag1.isEmpty()) {
      o.put("tag1", tag1);
    }
    if (tag2 != null && !tag2.isEmpty()) {
      o.put("tag2", tag2);
    }
    if (endpoint != null && !endpoint.isEmpty()) {
      o.put("endpoint", endpoint);
    }
    if (proofOfPayment != null) {
      ObjectNode p = o.putObject("proofOfPayment");
      p.put("fromAddress", proofOfPayment.fromAddress());
      p.put("toAddress", proofOfPayment.toAddress());
      p.put("chainId", proofOfPayment.chainId());
      p.put("txHash", proofOfPayment.txHash());
    }
    extensions.forEach(o::set);
    return o;
  }

  public byte[] toJsonBytes() {
    return Json.write(toJsonNode()).getBytes(StandardCharsets.UTF_8);
  }

  /** As an on-chain data: URI. */
  public String toDataUri() {
    return DataUris.json(toJsonBytes());
  }

  /**
   * keccak256 of the exact bytes {@link #toJsonBytes()} (the feedbackHash to post with them),
   * 0x-hex.
   */
  public String hashHex() {
    return Numeric.toHexString(Hash.sha3(toJsonBytes()));
  }
}
