package io.attest402.x402.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import io.vertx.ext.web.RoutingContext;
import java.math.BigInteger;
import java.util.Objects;
import java.util.function.Function;

/**
 * One way to pay for a route: an exact/EVM offer on {@code network} in {@code asset} (whose EIP-712
 * domain is {@code tokenName}/{@code tokenVersion}), to {@code payTo}, at a price in the token's
 * base units. Price and payee are functions of the request so a route can price by document size or
 * pay a per-tenant wallet; use {@link #fixed} for constants.
 */
public record PaymentOption(
    String network,
    String asset,
    String tokenName,
    String tokenVersion,
    Function<RoutingContext, String> payTo,
    Function<RoutingContext, BigInteger> price,
    int maxTimeoutSeconds,
    ObjectNode extraFields,
    String scheme) {

  /** The official server's default {@code maxTimeoutSeconds}. */
  public static final int DEFAULT_MAX_TIMEOUT_SECONDS = 300;

  public PaymentOption {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(tokenName, "tokenName");
    Objects.requireNonNull(tokenVersion, "tokenVersion");
    Objects.requireNonNull(payTo, "payTo");
    Objects.requireNonNull(price, "price");
    if (maxTimeoutSeconds <= 0) {
      throw new IllegalArgumentException("maxTimeoutSeconds must be positive");
    }
    extraFields = Wire.copy(extraFields);
    if (scheme == null) {
      scheme = "exact";
    }
    if (!scheme.equals("exact") && !scheme.equals(UPTO)) {
      throw new IllegalArgumentException("scheme must be exact or upto, not " + scheme);
    }
  }

  /** The {@code upto} scheme: the price is the maximum; the route says what it charges. */
  public static final String UPTO = "upto";

  /** An {@code exact} option. */
  public PaymentOption(
      String network,
      String asset,
      String tokenName,
      String tokenVersion,
      Function<RoutingContext, String> payTo,
      Function<RoutingContext, BigInteger> price,
      int maxTimeoutSeconds,
      ObjectNode extraFields) {
    this(
        network,
        asset,
        tokenName,
        tokenVersion,
        payTo,
        price,
        maxTimeoutSeconds,
        extraFields,
        "exact");
  }

  /**
   * An {@code upto} option (Permit2, as the official upto server offers it): {@code maximum} is
   * what the payer authorizes at most; the paid route charges what it actually used with {@link
   * PaidResponse#charging} (the whole maximum when it does not). {@code facilitatorAddress} is the
   * facilitator signer the payer binds the authorization to: the {@code extra.facilitatorAddress}
   * of the facilitator's {@code upto} kind in {@code /supported}.
   */
  public static PaymentOption upto(
      String network,
      String asset,
      String tokenName,
      String tokenVersion,
      Function<RoutingContext, String> payTo,
      Function<RoutingContext, BigInteger> maximum,
      int maxTimeoutSeconds,
      String facilitatorAddress) {
    ObjectNode extra = Wire.newObject();
    extra.put("assetTransferMethod", "permit2");
    extra.put(
        "facilitatorAddress", Objects.requireNonNull(facilitatorAddress, "facilitatorAddress"));
    return new PaymentOption(
        network, asset, tokenName, tokenVersion, payTo, maximum, maxTimeoutSeconds, extra, UPTO);
  }

  /** A fixed price to a fixed payee. */
  public static PaymentOption fixed(
      String network,
      String asset,
      String tokenName,
      String tokenVersion,
      String payTo,
      BigInteger price) {
    return new PaymentOption(
        network,
        asset,
        tokenName,
        tokenVersion,
        ctx -> payTo,
        ctx -> price,
        DEFAULT_MAX_TIMEOUT_SECONDS,
        null);
  }

  public PaymentOption withPrice(Function<RoutingContext, BigInteger> newPrice) {
    return new PaymentOption(
        network,
        asset,
        tokenName,
        tokenVersion,
        payTo,
        newPrice,
        maxTimeoutSeconds,
        extraFields,
        scheme);
  }

  public PaymentOption withPayTo(Function<RoutingContext, String> newPayTo) {
    return new PaymentOption(
        network,
        asset,
        tokenName,
        tokenVersion,
        newPayTo,
        price,
        maxTimeoutSeconds,
        extraFields,
        scheme);
  }

  public PaymentOption withMaxTimeoutSeconds(int seconds) {
    return new PaymentOption(
        network, asset, tokenName, tokenVersion, payTo, price, seconds, extraFields, scheme);
  }

  /**
   * This option with {@code extra.paymentFlow} set (the official server's wire form: {@code
   * authorization}, the default, is left out).
   */
  public PaymentOption withPaymentFlow(PaymentFlow flow) {
    ObjectNode extra = extraFields == null ? Wire.newObject() : extraFields.deepCopy();
    if (flow == PaymentFlow.AUTHORIZATION) {
      extra.remove(PaymentFlow.EXTRA_KEY);
    } else {
      extra.put(PaymentFlow.EXTRA_KEY, flow.wireName());
    }
    return new PaymentOption(
        network, asset, tokenName, tokenVersion, payTo, price, maxTimeoutSeconds, extra, scheme);
  }

  /**
   * The flow this option's offers select.
   *
   * @throws IllegalArgumentException when {@code extra.paymentFlow} names one exact does not
   *     support
   */
  public PaymentFlow paymentFlow() {
    return PaymentFlow.of(
        new PaymentRequirements(scheme, network, BigInteger.ZERO, asset, "", 1, extraFields));
  }

  /** The offer for this request: {@code extra} is {name, version} plus any extra fields. */
  public PaymentRequirements requirementsFor(RoutingContext ctx) {
    BigInteger amount = Objects.requireNonNull(price.apply(ctx), "price function returned null");
    if (amount.signum() < 0) {
      throw new IllegalArgumentException("negative price " + amount);
    }
    ObjectNode extra = Wire.newObject();
    extra.put("name", tokenName);
    extra.put("version", tokenVersion);
    if (extraFields != null) {
      extraFields.properties().forEach(e -> extra.set(e.getKey(), e.getValue().deepCopy()));
    }
    return new PaymentRequirements(
        scheme,
        network,
        amount,
        asset,
        Objects.requireNonNull(payTo.apply(ctx), "payTo function returned null"),
        maxTimeoutSeconds,
        extra);
  }
}
