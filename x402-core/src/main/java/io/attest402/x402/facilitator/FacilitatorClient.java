package io.attest402.x402.facilitator;

import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import java.util.concurrent.CompletableFuture;

/**
 * A facilitator: {@code POST /verify}, {@code POST /settle}, {@code GET /supported}. Asynchronous
 * and non-blocking: every method returns at once. A future completes normally with the
 * facilitator's answer, including invalid verifications and failed settlements (also when a
 * facilitator sends them with a non-2xx status, as CDP and Go facilitators do); it completes
 * exceptionally with a {@link FacilitatorException} when there is no usable answer (timeout,
 * transport error, other non-2xx, malformed body).
 */
public interface FacilitatorClient {
  CompletableFuture<VerifyResponse> verify(
      PaymentPayload payload, PaymentRequirements requirements);

  CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements);

  /**
   * {@code /settle} as one attempt of a paid request whose every attempt carries the same {@code
   * idempotencyKey} (opaque, at most 128 printable ASCII characters): a facilitator that honours it
   * answers a retry after a lost answer with the first outcome, and refuses the same authorization
   * from anyone else. Clients that cannot send it settle without it.
   */
  default CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements, String idempotencyKey) {
    return settle(payload, requirements);
  }

  CompletableFuture<SupportedResponse> supported();
}
