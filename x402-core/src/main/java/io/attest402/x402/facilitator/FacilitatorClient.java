package io.attest402.x402.facilitator;

import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import java.util.concurrent.CompletableFuture;

/**
 * A facilitator: {@code POST /verify}, {@code POST /settle}, {@code GET /supported}. Asynchronous and non-blocking:
 * every method returns at once. A future completes normally with the facilitator's answer, including invalid
 * verifications and failed settlements (also when a facilitator sends them with a non-2xx status, as CDP and Go
 * facilitators do); it completes exceptionally with a {@link FacilitatorException} when there is no usable answer
 * (timeout, transport error, other non-2xx, malformed body).
 */
public interface FacilitatorClient {
  CompletableFuture<VerifyResponse> verify(PaymentPayload payload, PaymentRequirements requirements);

  CompletableFuture<SettleResponse> settle(PaymentPayload payload, PaymentRequirements requirements);

  CompletableFuture<SupportedResponse> supported();
}
