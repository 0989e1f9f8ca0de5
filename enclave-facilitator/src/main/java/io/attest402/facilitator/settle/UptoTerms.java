package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.evm.UptoEvmVerifier;
import io.attest402.x402.types.PaymentRequirements;

/**
 * What the settlement engine treats differently for {@code upto}: at {@code /settle} the
 * requirements' amount is what the server actually charges (at most the maximum the payer signed,
 * {@code permitted.amount}); the transaction goes to the upto proxy from the signer the payer named
 * in the witness; the journal's amount is the charged one (the Transfer the proxy makes), the
 * maximum stays in the journaled payload.
 */
final class UptoTerms {
  private UptoTerms() {}

  static boolean isUpto(PaymentRequirements req) {
    return UptoEvmVerifier.SCHEME.equals(req.scheme());
  }

  static boolean isUpto(SettlementRecord r) {
    return UptoEvmVerifier.SCHEME.equals(
        r.request().path("paymentRequirements").path("scheme").asText(""));
  }

  /** The requirements as the payer signed them: the amount is the signed maximum. */
  static PaymentRequirements atMaximum(PaymentRequirements req, PaymentTerms terms) {
    return req.withAmount(terms.amount());
  }

  /** {@code permit2Authorization.witness.facilitator}, or null. */
  static String witnessFacilitator(JsonNode payload) {
    JsonNode f = payload.path("permit2Authorization").path("witness").path("facilitator");
    return f.isTextual() ? f.textValue() : null;
  }
}
