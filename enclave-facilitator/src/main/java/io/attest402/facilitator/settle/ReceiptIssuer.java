package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * Called exactly once for every final settlement outcome, in journal sequence order, inside the
 * journal transaction that records the outcome. What it returns is stored with the outcome, put
 * into the settle response's {@code extensions} under {@value #EXTENSION_KEY}, shown by {@code GET
 * /settlements/{id}} and listed by {@code GET /receipts?from=SEQ}. {@code previous} is the receipt
 * of the outcome before (sequence - 1), or null, so an implementation can chain receipts by hash.
 */
@FunctionalInterface
public interface ReceiptIssuer {
  String EXTENSION_KEY = "attest402-receipt";

  Optional<JsonNode> issue(JournaledOutcome facts, JsonNode previous);

  /** Issues nothing (settle responses then carry no receipt). */
  ReceiptIssuer NONE = (facts, previous) -> Optional.empty();
}
