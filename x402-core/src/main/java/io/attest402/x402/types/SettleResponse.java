package io.attest402.x402.types;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A facilitator's answer to {@code POST /settle}, and the {@code PAYMENT-RESPONSE} header. {@code
 * success}, {@code transaction} ({@code ""} when nothing was broadcast) and {@code network} are
 * always present; the rest is optional. {@code errorReason} {@value
 * ErrorReasons#SETTLEMENT_PENDING} is not final and carries the tx hash. {@code other} keeps {@code
 * extensions}, {@code extra}, {@code extensionResponses} and anything newer.
 */
public record SettleResponse(
    boolean success,
    String errorReason,
    String errorMessage,
    String payer,
    String transaction,
    String network,
    BigInteger amount,
    Map<String, JsonNode> other) {
  private static final Set<String> KNOWN =
      Set.of("success", "errorReason", "errorMessage", "payer", "transaction", "network", "amount");

  public SettleResponse {
    Objects.requireNonNull(transaction, "transaction");
    Objects.requireNonNull(network, "network");
    other = Wire.copy(other);
  }

  public static SettleResponse success(String transaction, String network, String payer) {
    return new SettleResponse(true, null, null, payer, transaction, network, null, Map.of());
  }

  public static SettleResponse failure(
      String reason, String message, String transaction, String network, String payer) {
    return new SettleResponse(
        false,
        reason,
        message,
        payer,
        transaction == null ? "" : transaction,
        network,
        null,
        Map.of());
  }

  /**
   * True for the non-terminal {@code settlement_pending} failure with a transaction hash (retry
   * once).
   */
  public boolean isPendingWithTransaction() {
    return !success
        && ErrorReasons.SETTLEMENT_PENDING.equals(errorReason)
        && !transaction.isEmpty();
  }

  /**
   * This response without {@code extensionResponses} (the facilitator's side channel, never shown
   * to buyers).
   */
  public SettleResponse forBuyer() {
    if (!other.containsKey("extensionResponses")) {
      return this;
    }
    Map<String, JsonNode> o = new LinkedHashMap<>(other);
    o.remove("extensionResponses");
    return new SettleResponse(
        success, errorReason, errorMessage, payer, transaction, network, amount, o);
  }

  public static SettleResponse fromJson(JsonNode node) {
    ObjectNode o = Wire.object(node, "");
    boolean success = Wire.bool(o, "success", "");
    String tx = Wire.optString(o, "transaction", "");
    String network = Wire.optString(o, "network", "");
    BigInteger amount =
        Wire.optional(o, "amount") == null ? null : Wire.uintString(o, "amount", "");
    return new SettleResponse(
        success,
        Wire.optString(o, "errorReason", ""),
        Wire.optString(o, "errorMessage", ""),
        Wire.optString(o, "payer", ""),
        tx == null ? "" : tx,
        network == null ? "" : network,
        amount,
        Wire.unknown(o, KNOWN));
  }

  public ObjectNode toJson() {
    ObjectNode o = Wire.newObject();
    o.put("success", success);
    Wire.putOpt(o, "errorReason", errorReason);
    Wire.putOpt(o, "errorMessage", errorMessage);
    Wire.putOpt(o, "payer", payer);
    o.put("transaction", transaction);
    o.put("network", network);
    if (amount != null) {
      o.put("amount", amount.toString());
    }
    Wire.putAll(o, other);
    return o;
  }
}
