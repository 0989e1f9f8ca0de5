package io.attest402.x402.server;

import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.VerifyResponse;

/**
 * A verified payment for the current request, given to the paid route (also at {@code
 * ctx.get(KEY)}).
 */
public record Payment(
    PaymentPayload payload, PaymentRequirements requirements, VerifyResponse verification) {
  /** The routing-context key under which the handler stores the payment. */
  public static final String KEY = "x402.payment";

  public String payer() {
    return verification.payer();
  }
}
