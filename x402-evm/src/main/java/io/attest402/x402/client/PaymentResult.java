package io.attest402.x402.client;

import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import java.net.http.HttpResponse;
import java.util.Optional;

/**
 * The outcome of a request through {@link PayingHttpClient}: no payment was needed, it was paid
 * (with the decoded settlement), the client refused to pay (with the reason), or it paid and the
 * server did not deliver.
 */
public sealed interface PaymentResult<T> {

  /** The final HTTP response, when one was received and handed to the caller's body handler. */
  Optional<HttpResponse<T>> response();

  default boolean isPaid() {
    return this instanceof Paid;
  }

  /** The server did not ask for payment. */
  record NotRequired<T>(HttpResponse<T> httpResponse) implements PaymentResult<T> {
    @Override
    public Optional<HttpResponse<T>> response() {
      return Optional.of(httpResponse);
    }
  }

  /** Paid and served: {@code settlement} is the decoded {@code PAYMENT-RESPONSE}. */
  record Paid<T>(
      HttpResponse<T> httpResponse,
      PaymentRequirements requirements,
      PaymentPayload payment,
      SettleResponse settlement)
      implements PaymentResult<T> {
    @Override
    public Optional<HttpResponse<T>> response() {
      return Optional.of(httpResponse);
    }
  }

  /** Not paid, on purpose: the 402 (when it could be read) and why. */
  record Refused<T>(Refusal refusal, PaymentRequired paymentRequired, int status)
      implements PaymentResult<T> {
    @Override
    public Optional<HttpResponse<T>> response() {
      return Optional.empty();
    }
  }

  /**
   * A signed payment was sent but the server did not serve with a successful settlement: {@code
   * settlement} is the decoded {@code PAYMENT-RESPONSE} when there was one (e.g. a failed
   * settlement), {@code paymentRequired} the new 402 when the server refused the payment, {@code
   * reason} a summary.
   */
  record Failed<T>(
      HttpResponse<T> httpResponse,
      PaymentRequirements requirements,
      PaymentPayload payment,
      SettleResponse settlement,
      PaymentRequired paymentRequired,
      String reason)
      implements PaymentResult<T> {
    @Override
    public Optional<HttpResponse<T>> response() {
      return Optional.of(httpResponse);
    }
  }
}
