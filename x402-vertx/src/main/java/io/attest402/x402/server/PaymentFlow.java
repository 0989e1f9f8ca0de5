package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.types.PaymentRequirements;

/**
 * When a resource server verifies and settles, chosen per offer by {@code extra.paymentFlow} as the
 * official server does ({@code @x402/core} {@code resolvePaymentFlow}; absent means the scheme's
 * default). exact/EVM supports {@link #AUTHORIZATION} (its default) and {@link #UPFRONT}, as
 * {@code @x402/evm}'s {@code ExactEvmScheme.paymentFlows}; the SDK's {@code escrow} is not offered
 * by any EVM scheme that pays once, so it is refused.
 */
public enum PaymentFlow {
  /**
   * {@code /verify}, the handler, then {@code /settle} (nothing is charged for a failed handler).
   */
  AUTHORIZATION("authorization"),
  /**
   * {@code /settle} before the handler and no {@code /verify}: the handler runs only once the
   * transfer is on chain; a failing handler's response still carries the settlement.
   */
  UPFRONT("upfront");

  /** The {@code extra} member that selects the flow. */
  public static final String EXTRA_KEY = "paymentFlow";

  private final String wireName;

  PaymentFlow(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /**
   * The flow an offer asks for.
   *
   * @throws IllegalArgumentException for a flow this scheme does not support (a configuration
   *     error, as the official server's {@code RouteConfigurationError})
   */
  public static PaymentFlow of(PaymentRequirements offer) {
    JsonNode v = offer.extra() == null ? null : offer.extra().get(EXTRA_KEY);
    if (v == null || v.isNull()) {
      return AUTHORIZATION;
    }
    PaymentFlow flow = null;
    for (PaymentFlow f : values()) {
      if (v.isTextual() && f.wireName.equals(v.textValue())) {
        flow = f;
      }
    }
    if (flow == null || (flow == UPFRONT && !"exact".equals(offer.scheme()))) {
      throw new IllegalArgumentException(
          "scheme "
              + offer.scheme()
              + " does not support paymentFlow "
              + v
              + "; supported: "
              + ("exact".equals(offer.scheme()) ? "authorization, upfront" : "authorization")
              + " (default: authorization)");
    }
    return flow;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
