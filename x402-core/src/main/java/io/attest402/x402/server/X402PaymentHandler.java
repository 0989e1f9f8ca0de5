package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.HeaderFormatException;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.facilitator.FacilitatorException;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import io.attest402.x402.evm.ExactEvmPayload;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * x402 for a Vert.x route, behaving as the official resource server ({@code @x402/express} 2.27.0) does:
 *
 * <ul>
 *   <li>no {@code PAYMENT-SIGNATURE}: 402, {@code PAYMENT-REQUIRED} (error "Payment required"), body {@code {}},
 *       {@code Cache-Control: no-store};</li>
 *   <li>a header that does not decode: 400 with the precise problem in {@code {"error": ...}} and in the
 *       {@code PAYMENT-REQUIRED} it carries (the official server would silently treat it as unpaid);</li>
 *   <li>a payment matching no offer: 402 "No matching payment requirements"; an extension echo that drops declared
 *       info: 402 "extension_echo_mismatch"; an invalid verification: 402 with the facilitator's invalidReason;</li>
 *   <li>verified: the {@link PaidRoute} runs; its response is held back; a failure or a status of 400 or more is sent
 *       without settling; otherwise {@code /settle} (once more with the identical payload on a
 *       {@code settlement_pending} carrying a transaction), then the response with {@code PAYMENT-RESPONSE} and
 *       {@code Cache-Control: private}, or 402 with the failed settlement in {@code PAYMENT-RESPONSE};</li>
 *   <li>the facilitator failing (timeout, transport, malformed answer): 502 {@code {"error": ...}};</li>
 *   <li>every response exposes {@code PAYMENT-REQUIRED, PAYMENT-RESPONSE} to browsers.</li>
 * </ul>
 *
 * <p>Facilitator calls are asynchronous ({@link FacilitatorClient} futures, resumed on the request's context), so
 * the event loop never blocks. Routes with a request body need a {@code BodyHandler} before this handler if the price
 * depends on the body.
 */
public final class X402PaymentHandler implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(X402PaymentHandler.class);

  public static final String EXPOSED_HEADERS = HeaderCodec.PAYMENT_REQUIRED + ", " + HeaderCodec.PAYMENT_RESPONSE;

  private final FacilitatorClient facilitator;
  private final List<PaymentOption> options;
  private final PaidRoute route;
  private final String description;
  private final String mimeType;
  private final Function<RoutingContext, String> resourceUrl;
  private final Function<RoutingContext, ObjectNode> extensions;
  private final HeaderCodec codec;

  private X402PaymentHandler(Builder b) {
    this.facilitator = Objects.requireNonNull(b.facilitator, "facilitator");
    if (b.options.isEmpty()) {
      throw new IllegalArgumentException("at least one payment option is required");
    }
    this.options = List.copyOf(b.options);
    this.route = Objects.requireNonNull(b.route, "paid route");
    this.description = b.description;
    this.mimeType = b.mimeType;
    this.resourceUrl = b.resourceUrl;
    this.extensions = b.extensions;
    this.codec = b.codec;
  }

  public static Builder builder(FacilitatorClient facilitator) {
    return new Builder(facilitator);
  }

  /** Configuration. */
  public static final class Builder {
    private final FacilitatorClient facilitator;
    private final List<PaymentOption> options = new ArrayList<>();
    private PaidRoute route;
    private String description = "";
    private String mimeType = "";
    private Function<RoutingContext, String> resourceUrl = ctx -> ctx.request().absoluteURI();
    private Function<RoutingContext, ObjectNode> extensions = ctx -> null;
    private HeaderCodec codec = HeaderCodec.DEFAULT;

    private Builder(FacilitatorClient facilitator) {
      this.facilitator = facilitator;
    }

    /** Adds a way to pay (offers appear in {@code accepts} in this order). */
    public Builder accept(PaymentOption option) {
      options.add(Objects.requireNonNull(option));
      return this;
    }

    /** The work being sold. */
    public Builder route(PaidRoute paidRoute) {
      this.route = paidRoute;
      return this;
    }

    public Builder description(String d) {
      this.description = d;
      return this;
    }

    public Builder mimeType(String m) {
      this.mimeType = m;
      return this;
    }

    /** The {@code resource.url} of the 402 (default: the request's absolute URI). */
    public Builder resourceUrl(Function<RoutingContext, String> url) {
      this.resourceUrl = url;
      return this;
    }

    /**
     * Static extensions for the 402 ({@code {"<key>": {"info": ..., "schema": ...}}}), e.g. the facilitator's
     * identity and attestation location.
     */
    public Builder extensions(Map<String, JsonNode> ext) {
      ObjectNode o = Wire.newObject();
      ext.forEach((k, v) -> o.set(k, v.deepCopy()));
      ObjectNode frozen = o;
      this.extensions = ctx -> frozen.deepCopy();
      return this;
    }

    /** Extensions computed per request. */
    public Builder extensions(Function<RoutingContext, ObjectNode> perRequest) {
      this.extensions = perRequest;
      return this;
    }

    public Builder headerCodec(HeaderCodec c) {
      this.codec = c;
      return this;
    }

    public X402PaymentHandler build() {
      return new X402PaymentHandler(this);
    }
  }

  /**
   * A CORS handler for paid routes: allows the payment request headers and exposes the x402 response headers.
   *
   * @param originPattern allowed origins (regular expression), e.g. {@code ".*"} for any
   */
  public static CorsHandler cors(String originPattern) {
    return CorsHandler.create().addOriginWithRegex(originPattern)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.HEAD,
            HttpMethod.OPTIONS))
        .allowedHeaders(Set.of("Content-Type", "Authorization", HeaderCodec.PAYMENT_SIGNATURE, HeaderCodec.X_PAYMENT,
            "Access-Control-Expose-Headers"))
        .exposedHeaders(Set.of(HeaderCodec.PAYMENT_REQUIRED, HeaderCodec.PAYMENT_RESPONSE,
            HeaderCodec.X_PAYMENT_RESPONSE));
  }

  @Override
  public void handle(RoutingContext ctx) {
    List<PaymentRequirements> offers;
    ResourceInfo resource;
    ObjectNode ext;
    try {
      offers = new ArrayList<>();
      for (PaymentOption o : options) {
        offers.add(o.requirementsFor(ctx));
      }
      resource = new ResourceInfo(resourceUrl.apply(ctx), description, mimeType);
      ext = extensions.apply(ctx);
      if (ext != null && ext.isEmpty()) {
        ext = null;
      }
    } catch (RuntimeException e) {
      log.error("cannot build the payment requirements for {}", ctx.request().path(), e);
      sendJson(ctx, 500, Map.of(), "{\"error\":\"Internal Server Error\"}");
      return;
    }
    PaymentRequired offer = new PaymentRequired(2, null, resource, offers, ext, Map.of());

    String header = ctx.request().getHeader(HeaderCodec.PAYMENT_SIGNATURE);
    if (header == null) {
      paymentRequired(ctx, offer.withError(ErrorReasons.PAYMENT_REQUIRED));
      return;
    }
    PaymentPayload payment;
    try {
      payment = codec.decodePaymentSignature(header);
      checkSchemePayload(payment);
    } catch (HeaderFormatException e) {
      badHeader(ctx, offer, e.getMessage());
      return;
    } catch (X402FormatException e) {
      badHeader(ctx, offer, HeaderCodec.PAYMENT_SIGNATURE + " header field " + e.path() + " " + e.problem());
      return;
    }
    Optional<PaymentRequirements> matched = OfferMatching.find(offers, payment);
    if (matched.isEmpty()) {
      paymentRequired(ctx, offer.withError(ErrorReasons.NO_MATCHING_REQUIREMENTS));
      return;
    }
    if (payment.x402Version() == 2 && !OfferMatching.extensionsEchoed(ext, payment.extensions())) {
      paymentRequired(ctx, offer.withError(ErrorReasons.EXTENSION_ECHO_MISMATCH));
      return;
    }
    PaymentRequirements requirements = matched.get();
    onContext(ctx, facilitator.verify(payment, requirements)).onComplete(ar -> {
      if (ar.failed()) {
        facilitatorFailed(ctx, "verify", ar.cause());
        return;
      }
      VerifyResponse v = ar.result();
      if (!v.isValid()) {
        String reason = v.invalidReason() == null || v.invalidReason().isEmpty() ? ErrorReasons.VERIFICATION_FAILED
            : v.invalidReason();
        paymentRequired(ctx, offer.withError(reason));
        return;
      }
      serve(ctx, new Payment(payment, requirements, v));
    });
  }

  /** The exact/EVM payload inside the header must have its shape too (Permit2 payloads are left to the facilitator). */
  private static void checkSchemePayload(PaymentPayload payment) {
    if ("exact".equals(payment.scheme()) && payment.network() != null && payment.network().startsWith("eip155:")
        && !ExactEvmPayload.isPermit2(payment.payload())) {
      ExactEvmPayload.fromJson(payment.payload(), "payload");
    }
  }

  private void badHeader(RoutingContext ctx, PaymentRequired offer, String problem) {
    ObjectNode body = Wire.newObject();
    body.put("error", problem);
    sendJson(ctx, 400, Map.of(HeaderCodec.PAYMENT_REQUIRED, codec.encodePaymentRequired(offer.withError(problem)),
        "Cache-Control", "no-store"), X402Json.write(body));
  }

  private void serve(RoutingContext ctx, Payment payment) {
    ctx.put(Payment.KEY, payment);
    Future<PaidResponse> work;
    try {
      work = Objects.requireNonNull(route.handle(ctx, payment), "paid route returned no future");
    } catch (RuntimeException e) {
      work = Future.failedFuture(e);
    }
    work.onComplete(ar -> {
      if (ar.failed() || ar.result() == null) {
        log.error("paid route failed for {}; not settling", ctx.request().path(), ar.cause());
        sendJson(ctx, 500, Map.of(), "{\"error\":\"Internal Server Error\"}");
        return;
      }
      PaidResponse res = ar.result();
      if (res.status() >= 400) {
        send(ctx, res.status(), res.headers(), res.body());
        return;
      }
      settle(ctx, payment, res);
    });
  }

  private void settle(RoutingContext ctx, Payment payment, PaidResponse res) {
    onContext(ctx, settleWithPendingRetry(payment)).onComplete(ar -> {
      if (ar.failed()) {
        facilitatorFailed(ctx, "settle", ar.cause());
        return;
      }
      SettleResponse s = ar.result();
      if (s.success()) {
        Map<String, String> headers = new java.util.LinkedHashMap<>(res.headers());
        headers.put(HeaderCodec.PAYMENT_RESPONSE, codec.encodePaymentResponse(s));
        headers.put("Cache-Control", withPrivate(headerIgnoringCase(res.headers(), "Cache-Control")));
        headers.keySet().removeIf(k -> !k.equals("Cache-Control") && k.equalsIgnoreCase("Cache-Control"));
        send(ctx, res.status(), headers, res.body());
        return;
      }
      String reason = s.errorReason() == null || s.errorReason().isEmpty() ? ErrorReasons.SETTLEMENT_FAILED
          : s.errorReason();
      SettleResponse failure = new SettleResponse(false, reason,
          s.errorMessage() == null || s.errorMessage().isEmpty() ? reason : s.errorMessage(), s.payer(),
          s.transaction(), s.network().isEmpty() ? payment.requirements().network() : s.network(), s.amount(),
          s.other());
      sendJson(ctx, 402, Map.of(HeaderCodec.PAYMENT_RESPONSE, codec.encodePaymentResponse(failure),
          "Cache-Control", "no-store"), "{}");
    });
  }

  /** One {@code /settle}, and exactly one more with the identical request on settlement_pending with a tx. */
  private CompletableFuture<SettleResponse> settleWithPendingRetry(Payment p) {
    return facilitator.settle(p.payload(), p.requirements()).thenCompose(first -> first.isPendingWithTransaction()
        ? facilitator.settle(p.payload(), p.requirements())
        : CompletableFuture.completedFuture(first));
  }

  private static <T> Future<T> onContext(RoutingContext ctx, CompletableFuture<T> cf) {
    return Future.fromCompletionStage(cf, ctx.vertx().getOrCreateContext());
  }

  private void paymentRequired(RoutingContext ctx, PaymentRequired pr) {
    sendJson(ctx, ErrorReasons.PERMIT2_ALLOWANCE_REQUIRED.equals(pr.error()) ? 412 : 402,
        Map.of(HeaderCodec.PAYMENT_REQUIRED, codec.encodePaymentRequired(pr), "Cache-Control", "no-store"), "{}");
  }

  private void facilitatorFailed(RoutingContext ctx, String what, Throwable cause) {
    Throwable t = cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null
        ? cause.getCause() : cause;
    String message = t instanceof FacilitatorException ? t.getMessage() : "Facilitator " + what + " failed: " + t;
    log.warn("facilitator {} failed for {}: {}", what, ctx.request().path(), message);
    ObjectNode body = Wire.newObject();
    body.put("error", message);
    sendJson(ctx, 502, Map.of("Cache-Control", "no-store"), X402Json.write(body));
  }

  private static void sendJson(RoutingContext ctx, int status, Map<String, String> headers, String body) {
    Map<String, String> h = new java.util.LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.putAll(headers);
    send(ctx, status, h, io.vertx.core.buffer.Buffer.buffer(body));
  }

  private static void send(RoutingContext ctx, int status, Map<String, String> headers,
      io.vertx.core.buffer.Buffer body) {
    HttpServerResponse r = ctx.response();
    if (r.ended() || r.closed()) {
      return;
    }
    r.setStatusCode(status);
    headers.forEach(r::putHeader);
    String exposed = r.headers().get("Access-Control-Expose-Headers");
    r.putHeader("Access-Control-Expose-Headers", exposed == null || exposed.isEmpty() ? EXPOSED_HEADERS
        : exposed + ", " + EXPOSED_HEADERS);
    r.end(body);
  }

  private static String headerIgnoringCase(Map<String, String> headers, String name) {
    return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
        .findFirst().orElse(null);
  }

  /** Adds {@code private} to a Cache-Control value (as the official server's {@code withPrivateCacheControl}). */
  static String withPrivate(String value) {
    if (value == null || value.isEmpty()) {
      return "private";
    }
    for (String d : value.split(",")) {
      if (d.trim().equalsIgnoreCase("private")) {
        return value;
      }
    }
    return value + ", private";
  }
}
