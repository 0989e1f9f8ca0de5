package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.HeaderFormatException;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.credential.Credential;
import io.attest402.x402.credential.CredentialException;
import io.attest402.x402.credential.CredentialVerifier;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.facilitator.FacilitatorException;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * x402 for a Vert.x route, behaving as the official resource server ({@code @x402/express} 2.27.0)
 * does:
 *
 * <ul>
 *   <li>no {@code PAYMENT-SIGNATURE}: 402, {@code PAYMENT-REQUIRED} (error "Payment required"),
 *       body {@code {}}, {@code Cache-Control: no-store};
 *   <li>a header that does not decode: 400 with the precise problem in {@code {"error": ...}} and
 *       in the {@code PAYMENT-REQUIRED} it carries (the official server would silently treat it as
 *       unpaid);
 *   <li>a payment matching no offer: 402 "No matching payment requirements"; an extension echo that
 *       drops declared info: 402 "extension_echo_mismatch"; an invalid verification: 402 with the
 *       facilitator's invalidReason;
 *   <li>at most one delivery per payment (beyond the official server, which trusts the facilitator
 *       for it): before the facilitator is asked, the payment's authorization is claimed in a
 *       {@link DeliveryStore}; a replay of a claimed authorization gets 402 {@code
 *       invalid_exact_evm_nonce_already_used} and runs nothing. Where the offer declares the {@code
 *       payment-identifier} extension ({@link Builder#paymentIdentifier}), a payment carrying an id
 *       gets, on retry with the same payment, the stored response of its first delivery; the same
 *       id with another payment is 409; a required id that is absent or malformed is 400. A claim
 *       whose payment is refused or whose work fails before settlement is released, so the payer
 *       may try again;
 *   <li>verified: the {@link PaidRoute} runs; its response is held back; a failure or a status of
 *       400 or more is sent without settling; otherwise {@code /settle} (once more with the
 *       identical payload and the same {@code Idempotency-Key} on a {@code settlement_pending}
 *       carrying a transaction), then the response with {@code PAYMENT-RESPONSE} and {@code
 *       Cache-Control: private}, or 402 with the failed settlement in {@code PAYMENT-RESPONSE};
 *       either is stored before it is sent;
 *   <li>an offer with {@code extra.paymentFlow: "upfront"} ({@link PaymentFlow}, as the official
 *       server selects it): no {@code /verify}; {@code /settle} first, and the route runs only with
 *       the transfer on chain ({@link Payment#settlement()}); whatever the route answers then, a
 *       failure too, goes out with that settlement in {@code PAYMENT-RESPONSE} and is stored (the
 *       payment is spent); a settlement refused without a transaction releases the claim;
 *   <li>the facilitator failing (timeout, transport, malformed answer): 502 {@code {"error": ...}};
 *   <li>every response exposes {@code PAYMENT-REQUIRED, PAYMENT-RESPONSE} to browsers.
 * </ul>
 *
 * <p>Facilitator calls are asynchronous ({@link FacilitatorClient} futures, resumed on the
 * request's context), so the event loop never blocks. Routes with a request body need a {@code
 * BodyHandler} before this handler if the price depends on the body.
 */
public final class X402PaymentHandler implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(X402PaymentHandler.class);

  /** The routing-context key of the {@link Credential} a request was served for. */
  public static final String CREDENTIAL_KEY = "x402.credential";

  public static final String EXPOSED_HEADERS =
      HeaderCodec.PAYMENT_REQUIRED + ", " + HeaderCodec.PAYMENT_RESPONSE;

  private final FacilitatorClient facilitator;
  private final List<PaymentOption> options;
  private final PaidRoute route;
  private final String description;
  private final String mimeType;
  private final Function<RoutingContext, String> resourceUrl;
  private final Function<RoutingContext, ObjectNode> extensions;
  private final HeaderCodec codec;
  private final DeliveryStore deliveries;
  private final Duration retention;
  private final Clock clock;
  private final Boolean paymentIdRequired;
  private final ObjectNode bazaar;
  private final Supplier<? extends Collection<byte[]>> credentialIssuers;

  private X402PaymentHandler(Builder b) {
    this.facilitator = Objects.requireNonNull(b.facilitator, "facilitator");
    if (b.options.isEmpty()) {
      throw new IllegalArgumentException("at least one payment option is required");
    }
    this.options = List.copyOf(b.options);
    this.options.forEach(PaymentOption::paymentFlow);
    this.route = Objects.requireNonNull(b.route, "paid route");
    this.description = b.description;
    this.mimeType = b.mimeType;
    this.resourceUrl = b.resourceUrl;
    this.extensions = b.extensions;
    this.codec = b.codec;
    this.deliveries = b.deliveries != null ? b.deliveries : SharedDefault.STORE;
    this.retention = Objects.requireNonNull(b.retention, "retention");
    this.clock = Objects.requireNonNull(b.clock, "clock");
    this.paymentIdRequired = b.paymentIdRequired;
    this.bazaar = b.bazaar;
    this.credentialIssuers = b.credentialIssuers;
  }

  /**
   * Handlers built without a store share one in-memory store, so a payment cannot buy two of this
   * JVM's routes.
   */
  private static final class SharedDefault {
    static final DeliveryStore STORE = SqliteDeliveryStore.inMemory();
  }

  /** How long a delivery is remembered at least (longer when the authorization is valid longer). */
  public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);

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
    private DeliveryStore deliveries;
    private Duration retention = DEFAULT_RETENTION;
    private Clock clock = Clock.systemUTC();
    private Boolean paymentIdRequired;
    private ObjectNode bazaar;
    private Supplier<? extends Collection<byte[]>> credentialIssuers;

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
     * Static extensions for the 402 ({@code {"<key>": {"info": ..., "schema": ...}}}), e.g. the
     * facilitator's identity and attestation location.
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

    /**
     * Where claims and delivered responses are kept (default: one in-memory store shared by the
     * handlers of this JVM). Pass a {@link SqliteDeliveryStore#open file store} to keep them across
     * restarts, and share it between routes that accept the same payments.
     */
    public Builder deliveryStore(DeliveryStore store) {
      this.deliveries = store;
      return this;
    }

    /**
     * How long deliveries are remembered at least (default 24 h; never less than the authorization
     * is valid).
     */
    public Builder retention(Duration r) {
      this.retention = r;
      return this;
    }

    /** The clock for retention (tests pin it). */
    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    /**
     * Declares the {@code payment-identifier} extension in every 402 ({@code required}: a paid
     * request without an id is 400). Without this call the handler still honours ids of payments to
     * routes whose own extensions declare it.
     */
    public Builder paymentIdentifier(boolean required) {
      this.paymentIdRequired = required;
      return this;
    }

    /**
     * Declares the {@code bazaar} discovery extension in every 402 ({@link
     * io.attest402.x402.extensions.Bazaar#declaration}), so a facilitator that settles a payment
     * for this route may list it at {@code GET /discovery/resources}.
     */
    public Builder bazaar(ObjectNode declaration) {
      if (!io.attest402.x402.extensions.Bazaar.isDeclared(
          Wire.newObject().set(io.attest402.x402.extensions.Bazaar.KEY, declaration))) {
        throw new IllegalArgumentException(
            "not a bazaar declaration for an HTTP route (info.input.type http and a method)");
      }
      this.bazaar = declaration.deepCopy();
      return this;
    }

    /**
     * Accepts payer-settled credentials ({@code Authorization: Bearer <jwt>}, see {@link
     * io.attest402.x402.credential.Credential}) signed by these facilitators' attested keys
     * (65-byte uncompressed secp256k1, as the attestation documents carry them; asked per request,
     * so a trust hook may change the set). Verified offline; each transaction serves once.
     */
    public Builder credentialIssuers(Supplier<? extends Collection<byte[]>> attestedKeys) {
      this.credentialIssuers = Objects.requireNonNull(attestedKeys, "attestedKeys");
      return this;
    }

    public X402PaymentHandler build() {
      return new X402PaymentHandler(this);
    }
  }

  /**
   * A CORS handler for paid routes: allows the payment request headers and exposes the x402
   * response headers.
   *
   * @param originPattern allowed origins (regular expression), e.g. {@code ".*"} for any
   */
  public static CorsHandler cors(String originPattern) {
    return CorsHandler.create()
        .addOriginWithRegex(originPattern)
        .allowedMethods(
            Set.of(
                HttpMethod.GET,
                HttpMethod.POST,
                HttpMethod.PUT,
                HttpMethod.DELETE,
                HttpMethod.HEAD,
                HttpMethod.OPTIONS))
        .allowedHeaders(
            Set.of(
                "Content-Type",
                "Authorization",
                HeaderCodec.PAYMENT_SIGNATURE,
                HeaderCodec.X_PAYMENT,
                "Access-Control-Expose-Headers"))
        .exposedHeaders(
            Set.of(
                HeaderCodec.PAYMENT_REQUIRED,
                HeaderCodec.PAYMENT_RESPONSE,
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
      if (paymentIdRequired != null) {
        ext = ext == null ? Wire.newObject() : ext;
        ext.set(PaymentIdentifier.KEY, PaymentIdentifier.declaration(paymentIdRequired));
      }
      if (bazaar != null) {
        ext = ext == null ? Wire.newObject() : ext;
        ext.set(io.attest402.x402.extensions.Bazaar.KEY, bazaar.deepCopy());
      }
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
    String authorization = ctx.request().getHeader("Authorization");
    if (header == null
        && credentialIssuers != null
        && authorization != null
        && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      credential(ctx, offer, authorization.substring(7).trim());
      return;
    }
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
      badHeader(
          ctx,
          offer,
          HeaderCodec.PAYMENT_SIGNATURE + " header field " + e.path() + " " + e.problem());
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
    String paymentId = null;
    if (payment.x402Version() == 2 && PaymentIdentifier.isDeclared(ext)) {
      PaymentIdentifier.Extracted id = PaymentIdentifier.extract(payment);
      if (id.problem() != null) {
        badHeader(ctx, offer, id.problem());
        return;
      }
      if (!id.present() && PaymentIdentifier.isRequired(ext)) {
        badHeader(
            ctx,
            offer,
            "this resource requires a payment-identifier (extensions.payment-identifier.info.id)");
        return;
      }
      paymentId = id.id();
    }
    PaymentKey key = PaymentKey.of(payment, paymentId, clock.instant(), retention);
    claim(
        ctx,
        new Attempt(offer, payment, matched.get(), key, HttpFacilitatorClient.newIdempotencyKey()));
  }

  /**
   * One paid request on its way: the 402 it answers, the payment, the offer it matched, its key in
   * the delivery store and the {@code Idempotency-Key} all its {@code /settle} calls carry.
   */
  private record Attempt(
      PaymentRequired offer,
      PaymentPayload payment,
      PaymentRequirements requirements,
      PaymentKey key,
      String idempotencyKey) {}

  /**
   * Claims the payment before anything runs: a replay is answered here and never reaches the
   * facilitator.
   */
  private void claim(RoutingContext ctx, Attempt a) {
    blocking(ctx, () -> deliveries.claim(a.key(), clock.instant()))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                log.error("delivery store failed; refusing the payment", ar.cause());
                sendJson(
                    ctx,
                    503,
                    Map.of("Cache-Control", "no-store", "Retry-After", "5"),
                    "{\"error\":\"payment store unavailable\"}");
                return;
              }
              DeliveryStore.Claim c = ar.result();
              if (c instanceof DeliveryStore.Claim.Claimed) {
                if (PaymentFlow.of(a.requirements()) == PaymentFlow.UPFRONT) {
                  settleUpfront(ctx, a);
                } else {
                  verify(ctx, a);
                }
              } else if (c instanceof DeliveryStore.Claim.Stored stored) {
                DeliveryStore.StoredResponse r = stored.response();
                send(ctx, r.status(), r.headers(), io.vertx.core.buffer.Buffer.buffer(r.body()));
              } else if (c instanceof DeliveryStore.Claim.AuthorizationUsed) {
                paymentRequired(ctx, a.offer().withError(ErrorReasons.NONCE_ALREADY_USED));
              } else if (c instanceof DeliveryStore.Claim.IdConflict) {
                conflict(
                    ctx,
                    "payment-identifier "
                        + a.key().paymentId()
                        + " was already used with a different payment");
              } else if (c instanceof DeliveryStore.Claim.InProgress) {
                conflict(
                    ctx,
                    "a request with payment-identifier "
                        + a.key().paymentId()
                        + " is still being served"
                        + " or did not complete");
              } else if (c instanceof DeliveryStore.Claim.NotKept) {
                conflict(
                    ctx,
                    "payment-identifier "
                        + a.key().paymentId()
                        + " was served; its response was too large to"
                        + " keep for a retry");
              } else {
                sendJson(
                    ctx,
                    503,
                    Map.of("Cache-Control", "no-store", "Retry-After", "60"),
                    "{\"error\":\"too many outstanding payments; retry later\"}");
              }
            });
  }

  private void verify(RoutingContext ctx, Attempt a) {
    onContext(ctx, facilitator.verify(a.payment(), a.requirements()))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                release(ctx, a);
                facilitatorFailed(ctx, "verify", ar.cause());
                return;
              }
              VerifyResponse v = ar.result();
              if (!v.isValid()) {
                release(ctx, a);
                String reason =
                    v.invalidReason() == null || v.invalidReason().isEmpty()
                        ? ErrorReasons.VERIFICATION_FAILED
                        : v.invalidReason();
                paymentRequired(ctx, a.offer().withError(reason));
                return;
              }
              serve(ctx, a, new Payment(a.payment(), a.requirements(), v));
            });
  }

  // ---------------------------------------------------------------------------- payer-settled
  // credentials

  /**
   * A payer-settled credential: verified offline against the trusted facilitators' attested keys,
   * matched to this resource and one of its offers, claimed once per transaction in the delivery
   * store, then served without a facilitator call (the transfer is already on chain).
   */
  private void credential(RoutingContext ctx, PaymentRequired offer, String token) {
    Credential c;
    try {
      c = CredentialVerifier.verify(token, credentialIssuers.get(), clock.instant());
    } catch (CredentialException e) {
      credentialRefused(ctx, offer, e.getMessage());
      return;
    }
    if (!c.resource().equals(offer.resource().url())) {
      credentialRefused(
          ctx,
          offer,
          "credential is for resource " + c.resource() + ", not " + offer.resource().url());
      return;
    }
    Optional<PaymentRequirements> matched =
        offer.accepts().stream()
            .filter(
                o ->
                    o.network().equals(c.network())
                        && o.asset().equalsIgnoreCase(c.asset())
                        && o.payTo().equalsIgnoreCase(c.payTo()))
            .findFirst();
    if (matched.isEmpty()) {
      credentialRefused(
          ctx,
          offer,
          "credential pays "
              + c.asset()
              + " on "
              + c.network()
              + " to "
              + c.payTo()
              + ", which no offer of this resource accepts");
      return;
    }
    if (c.amount().compareTo(matched.get().amount()) < 0) {
      credentialRefused(
          ctx,
          offer,
          "credential is for " + c.amount() + ", less than the price " + matched.get().amount());
      return;
    }
    java.time.Instant keep = clock.instant().plus(retention);
    java.time.Instant afterExpiry = c.expiresAt().plus(PaymentKey.EXPIRY_MARGIN);
    PaymentKey key =
        new PaymentKey(
            ("credential|" + c.network() + "|" + c.tx()).toLowerCase(java.util.Locale.ROOT),
            null,
            PaymentKey.sha256(token),
            afterExpiry.isAfter(keep) ? afterExpiry : keep);
    Attempt a = new Attempt(offer, null, matched.get(), key, null);
    blocking(ctx, () -> deliveries.claim(key, clock.instant()))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                log.error("delivery store failed; refusing the credential", ar.cause());
                sendJson(
                    ctx,
                    503,
                    Map.of("Cache-Control", "no-store", "Retry-After", "5"),
                    "{\"error\":\"payment store unavailable\"}");
              } else if (ar.result() instanceof DeliveryStore.Claim.Claimed) {
                serveCredential(ctx, a, c);
              } else {
                credentialRefused(
                    ctx,
                    offer,
                    "a credential for transaction " + c.tx() + " was already used here");
              }
            });
  }

  private void serveCredential(RoutingContext ctx, Attempt a, Credential c) {
    ctx.put(CREDENTIAL_KEY, c);
    Payment payment = new Payment(null, a.requirements(), VerifyResponse.valid(c.payer()));
    ctx.put(Payment.KEY, payment);
    Future<PaidResponse> work;
    try {
      work = Objects.requireNonNull(route.handle(ctx, payment), "paid route returned no future");
    } catch (RuntimeException e) {
      work = Future.failedFuture(e);
    }
    work.onComplete(
        ar -> {
          if (ar.failed() || ar.result() == null) {
            log.error(
                "paid route failed for {}; credential free again",
                ctx.request().path(),
                ar.cause());
            release(ctx, a);
            sendJson(ctx, 500, Map.of(), "{\"error\":\"Internal Server Error\"}");
            return;
          }
          PaidResponse res = ar.result();
          if (res.status() >= 400) {
            release(ctx, a);
            send(ctx, res.status(), res.headers(), res.body());
            return;
          }
          Map<String, String> headers = new java.util.LinkedHashMap<>(res.headers());
          headers.keySet().removeIf(k -> k.equalsIgnoreCase("Cache-Control"));
          headers.put(
              "Cache-Control", withPrivate(headerIgnoringCase(res.headers(), "Cache-Control")));
          storeAndSend(ctx, a, res.status(), headers, res.body());
        });
  }

  /**
   * 401 (RFC 6750 invalid_token) with the reason, and the 402 offer so the client may pay
   * otherwise.
   */
  private void credentialRefused(RoutingContext ctx, PaymentRequired offer, String problem) {
    ObjectNode body = Wire.newObject();
    body.put("error", problem);
    String quoted = problem.replace("\\", "\\\\").replace("\"", "'");
    sendJson(
        ctx,
        401,
        Map.of(
            "WWW-Authenticate",
            "Bearer error=\"invalid_token\", error_description=\"" + quoted + "\"",
            HeaderCodec.PAYMENT_REQUIRED,
            codec.encodePaymentRequired(offer.withError(ErrorReasons.PAYMENT_REQUIRED)),
            "Cache-Control",
            "no-store"),
        X402Json.write(body));
  }

  /** Gives a claim back when nothing was settled (the payer was not charged and may retry). */
  private void release(RoutingContext ctx, Attempt a) {
    blocking(
            ctx,
            () -> {
              deliveries.release(a.key());
              return null;
            })
        .onFailure(e -> log.warn("cannot release a payment claim: {}", e.toString()));
  }

  private <T> Future<T> blocking(RoutingContext ctx, Callable<T> work) {
    return ctx.vertx().executeBlocking(work, false);
  }

  private void conflict(RoutingContext ctx, String problem) {
    ObjectNode body = Wire.newObject();
    body.put("error", problem);
    sendJson(ctx, 409, Map.of("Cache-Control", "no-store"), X402Json.write(body));
  }

  /**
   * The exact/EVM payload inside the header must have its shape too (Permit2 payloads are left to
   * the facilitator).
   */
  private static void checkSchemePayload(PaymentPayload payment) {
    if ("exact".equals(payment.scheme())
        && payment.network() != null
        && payment.network().startsWith("eip155:")
        && !ExactEvmPayload.isPermit2(payment.payload())) {
      ExactEvmPayload.fromJson(payment.payload(), "payload");
    }
  }

  private void badHeader(RoutingContext ctx, PaymentRequired offer, String problem) {
    ObjectNode body = Wire.newObject();
    body.put("error", problem);
    sendJson(
        ctx,
        400,
        Map.of(
            HeaderCodec.PAYMENT_REQUIRED,
            codec.encodePaymentRequired(offer.withError(problem)),
            "Cache-Control",
            "no-store"),
        X402Json.write(body));
  }

  private void serve(RoutingContext ctx, Attempt a, Payment payment) {
    ctx.put(Payment.KEY, payment);
    Future<PaidResponse> work;
    try {
      work = Objects.requireNonNull(route.handle(ctx, payment), "paid route returned no future");
    } catch (RuntimeException e) {
      work = Future.failedFuture(e);
    }
    SettleResponse settled = payment.settlement();
    work.onComplete(
        ar -> {
          if (settled != null) {
            deliverSettled(ctx, a, settled, ar.failed() ? null : ar.result(), ar.cause());
            return;
          }
          if (ar.failed() || ar.result() == null) {
            log.error("paid route failed for {}; not settling", ctx.request().path(), ar.cause());
            release(ctx, a);
            sendJson(ctx, 500, Map.of(), "{\"error\":\"Internal Server Error\"}");
            return;
          }
          PaidResponse res = ar.result();
          if (res.status() >= 400) {
            release(ctx, a);
            send(ctx, res.status(), res.headers(), res.body());
            return;
          }
          settle(ctx, a, res);
        });
  }

  /**
   * The upfront flow: {@code /settle} first, no {@code /verify} (settlement establishes the
   * payment, as in the official server). A refusal without a transaction cannot have moved funds,
   * so the claim is released; a lost answer keeps it (the payment may have been taken).
   */
  private void settleUpfront(RoutingContext ctx, Attempt a) {
    onContext(ctx, settleWithPendingRetry(a))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                facilitatorFailed(ctx, "settle", ar.cause());
                return;
              }
              SettleResponse s = ar.result();
              if (s.success()) {
                serve(
                    ctx,
                    a,
                    new Payment(a.payment(), a.requirements(), VerifyResponse.valid(s.payer()), s));
              } else if (s.transaction() == null || s.transaction().isEmpty()) {
                release(ctx, a);
                settlementFailed(ctx, a, s, false);
              } else {
                settlementFailed(ctx, a, s, true);
              }
            });
  }

  /**
   * After an upfront settlement the payment is spent whatever the route does: its response (a
   * failure too, or 500 when it failed to answer) goes out with the settlement in {@code
   * PAYMENT-RESPONSE} and {@code Cache-Control: private}, as the official server echoes the
   * before-handler settlement; it is stored, and the claim is never released.
   */
  private void deliverSettled(
      RoutingContext ctx, Attempt a, SettleResponse s, PaidResponse res, Throwable failure) {
    if (res == null) {
      log.error(
          "paid route failed for {} after an upfront settlement", ctx.request().path(), failure);
      res =
          new PaidResponse(
              500,
              Map.of("Content-Type", "application/json"),
              io.vertx.core.buffer.Buffer.buffer("{\"error\":\"Internal Server Error\"}"));
    }
    storeAndSend(ctx, a, res.status(), withSettlement(res.headers(), s), res.body());
  }

  /** The route's headers plus {@code PAYMENT-RESPONSE} and {@code private} caching. */
  private Map<String, String> withSettlement(Map<String, String> routeHeaders, SettleResponse s) {
    Map<String, String> headers = new java.util.LinkedHashMap<>(routeHeaders);
    headers.put(HeaderCodec.PAYMENT_RESPONSE, codec.encodePaymentResponse(s));
    headers.keySet().removeIf(k -> k.equalsIgnoreCase("Cache-Control"));
    headers.put("Cache-Control", withPrivate(headerIgnoringCase(routeHeaders, "Cache-Control")));
    return headers;
  }

  /**
   * Settles, then stores and sends the outcome. A settlement whose outcome is unknown (the
   * facilitator failed) keeps its claim without a stored response: the payment may have been taken,
   * so it buys nothing else.
   */
  private void settle(RoutingContext ctx, Attempt offered, PaidResponse routeResponse) {
    UptoCharge.Resolved charge;
    try {
      charge = UptoCharge.resolve(offered.requirements(), routeResponse);
    } catch (IllegalArgumentException e) {
      log.error("paid route for {} set a bad charge; not settling", ctx.request().path(), e);
      release(ctx, offered);
      sendJson(ctx, 500, Map.of(), "{\"error\":\"Internal Server Error\"}");
      return;
    }
    PaidResponse res = charge.response();
    Attempt a =
        new Attempt(
            offered.offer(),
            offered.payment(),
            charge.requirements(),
            offered.key(),
            offered.idempotencyKey());
    onContext(ctx, settleWithPendingRetry(a))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                facilitatorFailed(ctx, "settle", ar.cause());
                return;
              }
              SettleResponse s = ar.result();
              if (s.success()) {
                storeAndSend(ctx, a, res.status(), withSettlement(res.headers(), s), res.body());
                return;
              }
              settlementFailed(ctx, a, s, true);
            });
  }

  /** 402 with the failed settlement in {@code PAYMENT-RESPONSE}; stored when {@code keep}. */
  private void settlementFailed(RoutingContext ctx, Attempt a, SettleResponse s, boolean keep) {
    String reason =
        s.errorReason() == null || s.errorReason().isEmpty()
            ? ErrorReasons.SETTLEMENT_FAILED
            : s.errorReason();
    SettleResponse failure =
        new SettleResponse(
            false,
            reason,
            s.errorMessage() == null || s.errorMessage().isEmpty() ? reason : s.errorMessage(),
            s.payer(),
            s.transaction(),
            s.network().isEmpty() ? a.requirements().network() : s.network(),
            s.amount(),
            s.other());
    Map<String, String> headers = new java.util.LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put(HeaderCodec.PAYMENT_RESPONSE, codec.encodePaymentResponse(failure));
    headers.put("Cache-Control", "no-store");
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer("{}");
    if (keep) {
      storeAndSend(ctx, a, 402, headers, body);
    } else {
      send(ctx, 402, headers, body);
    }
  }

  /**
   * Stores the final response before sending it, so that a retry after a lost response gets exactly
   * this one.
   */
  private void storeAndSend(
      RoutingContext ctx,
      Attempt a,
      int status,
      Map<String, String> headers,
      io.vertx.core.buffer.Buffer body) {
    DeliveryStore.StoredResponse stored =
        new DeliveryStore.StoredResponse(status, headers, body.getBytes());
    blocking(
            ctx,
            () -> {
              deliveries.complete(a.key(), stored);
              return null;
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                log.error("cannot store a delivered response (a retry will get 409)", ar.cause());
              }
              send(ctx, status, headers, body);
            });
  }

  /**
   * One {@code /settle}, and exactly one more with the identical request and key on
   * settlement_pending with a tx.
   */
  private CompletableFuture<SettleResponse> settleWithPendingRetry(Attempt a) {
    return facilitator
        .settle(a.payment(), a.requirements(), a.idempotencyKey())
        .thenCompose(
            first ->
                first.isPendingWithTransaction()
                    ? facilitator.settle(a.payment(), a.requirements(), a.idempotencyKey())
                    : CompletableFuture.completedFuture(first));
  }

  private static <T> Future<T> onContext(RoutingContext ctx, CompletableFuture<T> cf) {
    return Future.fromCompletionStage(cf, ctx.vertx().getOrCreateContext());
  }

  private void paymentRequired(RoutingContext ctx, PaymentRequired pr) {
    sendJson(
        ctx,
        ErrorReasons.PERMIT2_ALLOWANCE_REQUIRED.equals(pr.error()) ? 412 : 402,
        Map.of(
            HeaderCodec.PAYMENT_REQUIRED,
            codec.encodePaymentRequired(pr),
            "Cache-Control",
            "no-store"),
        "{}");
  }

  private void facilitatorFailed(RoutingContext ctx, String what, Throwable cause) {
    Throwable t =
        cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null
            ? cause.getCause()
            : cause;
    String message =
        t instanceof FacilitatorException
            ? t.getMessage()
            : "Facilitator " + what + " failed: " + t;
    log.warn("facilitator {} failed for {}: {}", what, ctx.request().path(), message);
    ObjectNode body = Wire.newObject();
    body.put("error", message);
    sendJson(ctx, 502, Map.of("Cache-Control", "no-store"), X402Json.write(body));
  }

  private static void sendJson(
      RoutingContext ctx, int status, Map<String, String> headers, String body) {
    Map<String, String> h = new java.util.LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.putAll(headers);
    send(ctx, status, h, io.vertx.core.buffer.Buffer.buffer(body));
  }

  private static void send(
      RoutingContext ctx,
      int status,
      Map<String, String> headers,
      io.vertx.core.buffer.Buffer body) {
    HttpServerResponse r = ctx.response();
    if (r.ended() || r.closed()) {
      return;
    }
    r.setStatusCode(status);
    headers.forEach(r::putHeader);
    String exposed = r.headers().get("Access-Control-Expose-Headers");
    r.putHeader(
        "Access-Control-Expose-Headers",
        exposed == null || exposed.isEmpty() ? EXPOSED_HEADERS : exposed + ", " + EXPOSED_HEADERS);
    r.end(body);
  }

  private static String headerIgnoringCase(Map<String, String> headers, String name) {
    return headers.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(null);
  }

  /**
   * Adds {@code private} to a Cache-Control value (as the official server's {@code
   * withPrivateCacheControl}).
   */
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
