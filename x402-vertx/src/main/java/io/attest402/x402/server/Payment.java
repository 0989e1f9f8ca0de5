package io.attest402.x402.server;

import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;

/**
 * A verified payment for the current request, given to the paid route (also at {@code
 * ctx.get(KEY)}). {@code settlement} is the settlement already on chain when the route runs (the
 * {@link PaymentFlow#UPFRONT upfront} flow), null when settlement follows the route.
 */
public record Payment(
    PaymentPayload payload,
    PaymentRequirements requirements,
    VerifyResponse verification,
    SettleResponse settlement) {
  /** The routing-context key under which the handler stores the payment. */
  public static final String KEY = "x402.payment";

  /** A payment verified, not yet settled. */
  public Payment(
      PaymentPayload payload, PaymentRequirements requirements, VerifyResponse verification) {
    this(payload, requirements, verification, null);
  }

  public String payer() {
    return verification.payer();
  }
}
