package io.attest402.facilitator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.KeyBinding;
import io.attest402.enclave.PerClientQuoteLimiter;
import io.attest402.facilitator.Facilitator;
import io.attest402.facilitator.RequestException;
import io.attest402.facilitator.chain.RpcUnavailableException;
import io.attest402.facilitator.identity.ServedIdentity;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface, a thin layer over {@link Facilitator}: decoding and chain work run on a worker
 * pool, never on the event loop. Status semantics: an answer about a payment is 200 ({@code
 * isValid:false}, {@code success:false}, {@code settlement_pending} included), as the official
 * facilitator answers; a request that is not a payment request it can serve is 400 with the
 * official body shape, the reason code and a precise message (413 past the body limit); a chain
 * node that cannot answer is 503 with the same shape; nothing answers 500 with a stack trace.
 */
public final class FacilitatorRoutes {
  private static final Logger log = LoggerFactory.getLogger(FacilitatorRoutes.class);
  private static final Pattern HEX32 = Pattern.compile("0x[0-9a-fA-F]{64}");

  /**
   * Idempotency-Key: 1 to 128 printable ASCII characters (no spaces at the ends, no control
   * characters).
   */
  private static final Pattern IDEMPOTENCY_KEY =
      Pattern.compile("[\\x21-\\x7e]([\\x20-\\x7e]{0,126}[\\x21-\\x7e])?");

  public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
  private static final String JSON = "application/json";

  private final Facilitator facilitator;
  private final WorkerExecutor workers;
  private final int bodyLimit;
  private final Duration settleBound;
  private final AtomicInteger inFlight = new AtomicInteger();

  private final ServedIdentity identity;

  /**
   * {@code POST /credentials} claims per client (remote address) and minute: each claim costs chain
   * reads, so a client that floods gets 429 from its own bucket (as fresh quotes do) while every
   * other client keeps its budget.
   */
  public static final int CREDENTIAL_CLAIMS_PER_CLIENT_PER_MINUTE = 60;

  private final PerClientQuoteLimiter credentialClaims =
      new PerClientQuoteLimiter(CREDENTIAL_CLAIMS_PER_CLIENT_PER_MINUTE, 10_000, Clock.systemUTC());

  /**
   * @param identity what to serve at /attestation and the registration file; null when no TEE
   *     identity exists
   */
  public FacilitatorRoutes(
      Facilitator facilitator,
      WorkerExecutor workers,
      int bodyLimit,
      Duration settleBound,
      ServedIdentity identity) {
    this.facilitator = facilitator;
    this.workers = workers;
    this.bodyLimit = bodyLimit;
    this.settleBound = settleBound;
    this.identity = identity;
  }

  /** Requests being answered right now (graceful shutdown waits for zero). */
  public int inFlight() {
    return inFlight.get();
  }

  public Router router(Vertx vertx) {
    Router r = Router.router(vertx);
    r.route()
        .handler(
            ctx -> {
              inFlight.incrementAndGet();
              ctx.addEndHandler(v -> inFlight.decrementAndGet());
              ctx.next();
            });
    r.post("/verify")
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit))
        .handler(this::verify);
    r.post("/settle")
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit))
        .handler(this::settle);
    r.post("/credentials")
        .handler(BodyHandler.create(false).setBodyLimit(bodyLimit))
        .handler(this::credentials);
    r.get("/.well-known/jwks.json")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("content-type", "application/jwk-set+json")
                    .putHeader("cache-control", "max-age=300")
                    .end(facilitator.credentials().jwks()));
    r.get("/supported").handler(ctx -> send(ctx, 200, facilitator.supported().toJson()));
    r.get("/settlements/:id").handler(this::settlement);
    r.get("/discovery/resources").handler(this::discoveryResources);
    r.get("/receipts").handler(this::receipts);
    r.get("/health").handler(this::health);
    r.get("/attestation").handler(this::attestation);
    r.get("/.well-known/agent-registration.json").handler(this::registrationFile);
    r.get("/metrics")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("content-type", "text/plain; version=0.0.4")
                    .end(facilitator.metrics().scrape()));
    r.errorHandler(
        404,
        ctx -> error(ctx, 404, "no route " + ctx.request().method() + " " + ctx.request().path()));
    r.errorHandler(
        405,
        ctx ->
            error(
                ctx,
                405,
                "method " + ctx.request().method() + " not allowed on " + ctx.request().path()));
    r.errorHandler(413, ctx -> tooLarge(ctx));
    r.errorHandler(400, ctx -> error(ctx, 400, "bad request"));
    r.errorHandler(
        500,
        ctx -> {
          log.error(
              "unhandled error on {} {}",
              ctx.request().method(),
              ctx.request().path(),
              ctx.failure());
          error(ctx, 500, "internal error; see the facilitator log");
        });
    return r;
  }

  private void tooLarge(RoutingContext ctx) {
    String msg = "request body exceeds " + bodyLimit + " bytes";
    if (ctx.request().path().equals("/settle")) {
      sendSettle(
          ctx, 413, SettleResponse.failure(ErrorReasons.INVALID_PAYLOAD, msg, "", "", null), msg);
    } else if (ctx.request().path().equals("/verify")) {
      sendVerify(
          ctx,
          413,
          VerifyResponse.invalid(ErrorReasons.INVALID_PAYLOAD, null).withInvalidMessage(msg),
          msg);
    } else {
      error(ctx, 413, msg);
    }
  }

  // ------------------------------------------------------------------------------------------------ /verify

  /**
   * The API key check of {@code scope}; false (answered 401) when keys are configured and this one
   * is not.
   */
  private boolean authorized(RoutingContext ctx, io.attest402.facilitator.ApiKeys.Scope scope) {
    io.attest402.facilitator.ApiKeys keys = facilitator.apiKeys();
    if (!keys.enabled()) {
      return true;
    }
    String key = ctx.request().getHeader("X-API-Key");
    String auth = ctx.request().getHeader("Authorization");
    if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = auth.substring(7).trim();
    }
    if (keys.allows(key, scope)) {
      return true;
    }
    facilitator.metrics().refused("", "unauthorized");
    ctx.response().putHeader("WWW-Authenticate", "Bearer");
    error(
        ctx,
        401,
        (key == null ? "an API key is required" : "this API key is not valid")
            + " for "
            + scope.name().toLowerCase(java.util.Locale.ROOT)
            + " on this facilitator (X-API-Key or Authorization: "
            + "Bearer)");
    return false;
  }

  private void verify(RoutingContext ctx) {
    if (!authorized(ctx, io.attest402.facilitator.ApiKeys.Scope.VERIFY)) {
      return;
    }
    long t0 = System.nanoTime();
    String body = ctx.body().asString();
    workers
        .<VerifyResponse>executeBlocking(
            () -> {
              FacilitatorRequest req = facilitator.decode(body == null ? "" : body);
              return facilitator.verify(req);
            },
            false)
        .onComplete(
            ar -> {
              Duration took = Duration.ofNanos(System.nanoTime() - t0);
              if (ar.succeeded()) {
                VerifyResponse v = ar.result();
                facilitator
                    .metrics()
                    .verified(
                        network(body), v.isValid() ? "valid" : "invalid", v.invalidReason(), took);
                sendVerify(ctx, 200, v, null);
                return;
              }
              Throwable e = ar.cause();
              if (e instanceof RequestException re) {
                facilitator.metrics().verified(network(body), "rejected", re.reason(), took);
                sendVerify(
                    ctx,
                    re.status(),
                    VerifyResponse.invalid(re.reason(), payer(body))
                        .withInvalidMessage(re.getMessage()),
                    re.getMessage());
              } else if (e instanceof RpcUnavailableException) {
                facilitator
                    .metrics()
                    .verified(network(body), "error", ErrorReasons.UNEXPECTED_VERIFY_ERROR, took);
                sendVerify(
                    ctx,
                    503,
                    VerifyResponse.invalid(ErrorReasons.UNEXPECTED_VERIFY_ERROR, payer(body))
                        .withInvalidMessage(
                            "chain node unavailable: " + facilitator.redact(e.getMessage())),
                    "chain node unavailable");
              } else {
                log.error("verify failed unexpectedly", e);
                facilitator
                    .metrics()
                    .verified(network(body), "error", ErrorReasons.UNEXPECTED_VERIFY_ERROR, took);
                sendVerify(
                    ctx,
                    500,
                    VerifyResponse.invalid(ErrorReasons.UNEXPECTED_VERIFY_ERROR, payer(body))
                        .withInvalidMessage("internal error; see the facilitator log"),
                    "internal error");
              }
            });
  }

  // ------------------------------------------------------------------------------------------------ /settle

  private void settle(RoutingContext ctx) {
    if (!authorized(ctx, io.attest402.facilitator.ApiKeys.Scope.SETTLE)) {
      return;
    }
    long t0 = System.nanoTime();
    String body = ctx.body().asString();
    List<String> keys = ctx.request().headers().getAll(IDEMPOTENCY_HEADER);
    String idempotencyKey = keys.isEmpty() ? null : keys.get(0);
    if (keys.size() > 1
        || (idempotencyKey != null && !IDEMPOTENCY_KEY.matcher(idempotencyKey).matches())) {
      String msg =
          keys.size() > 1
              ? "send one Idempotency-Key header, not " + keys.size()
              : "Idempotency-Key must be 1 to 128 printable ASCII characters without leading or trailing spaces (got "
                  + idempotencyKey.length()
                  + " characters"
                  + (idempotencyKey.chars().allMatch(c -> c >= 0x20 && c < 0x7f)
                      ? ""
                      : ", some not printable ASCII")
                  + ")";
      facilitator
          .metrics()
          .settled(
              network(body),
              "rejected",
              ErrorReasons.INVALID_PAYLOAD,
              Duration.ofNanos(System.nanoTime() - t0));
      sendSettle(
          ctx,
          400,
          SettleResponse.failure(
              ErrorReasons.INVALID_PAYLOAD, msg, "", rawNetwork(body), payer(body)),
          msg);
      return;
    }
    workers
        .<CompletableFuture<SettleResponse>>executeBlocking(
            () -> {
              FacilitatorRequest req = facilitator.decode(body == null ? "" : body);
              return facilitator.settle(req, idempotencyKey);
            },
            false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                settleFailed(ctx, body, ar.cause(), t0);
                return;
              }
              ar.result()
                  .orTimeout(settleBound.toMillis(), TimeUnit.MILLISECONDS)
                  .whenComplete(
                      (resp, err) ->
                          ctx.vertx()
                              .runOnContext(
                                  v -> {
                                    if (err != null) {
                                      settleFailed(ctx, body, err, t0);
                                      return;
                                    }
                                    Duration took = Duration.ofNanos(System.nanoTime() - t0);
                                    String outcome =
                                        resp.success()
                                            ? "success"
                                            : ErrorReasons.SETTLEMENT_PENDING.equals(
                                                    resp.errorReason())
                                                ? "pending"
                                                : "failed";
                                    facilitator
                                        .metrics()
                                        .settled(resp.network(), outcome, resp.errorReason(), took);
                                    sendSettle(ctx, 200, resp, null);
                                  }));
            });
  }

  private void settleFailed(RoutingContext ctx, String body, Throwable e, long t0) {
    Throwable cause =
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause()
            : e;
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    String network = network(body);
    String sentNetwork = rawNetwork(body);
    if (cause instanceof RequestException re) {
      facilitator.metrics().settled(network, "rejected", re.reason(), took);
      sendSettle(
          ctx,
          re.status(),
          SettleResponse.failure(re.reason(), re.getMessage(), "", sentNetwork, payer(body)),
          re.getMessage());
    } else if (cause instanceof io.attest402.facilitator.RateLimitedException rl) {
      facilitator.metrics().settled(network, "limited", ErrorReasons.UNEXPECTED_SETTLE_ERROR, took);
      ctx.response().putHeader("Retry-After", Long.toString(rl.retryAfterSeconds()));
      String msg = rl.getMessage() + "; nothing was broadcast";
      sendSettle(
          ctx,
          503,
          SettleResponse.failure(
              ErrorReasons.UNEXPECTED_SETTLE_ERROR, msg, "", network, payer(body)),
          "rate limited");
    } else if (cause instanceof RpcUnavailableException) {
      facilitator.metrics().settled(network, "error", ErrorReasons.UNEXPECTED_SETTLE_ERROR, took);
      String msg =
          "chain node unavailable, nothing was broadcast; retry: "
              + facilitator.redact(cause.getMessage());
      sendSettle(
          ctx,
          503,
          SettleResponse.failure(
              ErrorReasons.UNEXPECTED_SETTLE_ERROR, msg, "", network, payer(body)),
          "chain node unavailable");
    } else if (cause instanceof TimeoutException) {
      facilitator.metrics().settled(network, "error", ErrorReasons.UNEXPECTED_SETTLE_ERROR, took);
      String msg = "settlement did not resolve in time; settle again for its status";
      sendSettle(
          ctx,
          503,
          SettleResponse.failure(
              ErrorReasons.UNEXPECTED_SETTLE_ERROR, msg, "", network, payer(body)),
          msg);
    } else {
      log.error("settle failed unexpectedly", cause);
      facilitator.metrics().settled(network, "error", ErrorReasons.UNEXPECTED_SETTLE_ERROR, took);
      sendSettle(
          ctx,
          500,
          SettleResponse.failure(
              ErrorReasons.UNEXPECTED_SETTLE_ERROR,
              "internal error; see the facilitator log",
              "",
              network,
              payer(body)),
          "internal error");
    }
  }

  /** The client a per-client limit counts against: its remote address. */
  private static String client(RoutingContext ctx) {
    return ctx.request().remoteAddress() == null
        ? "unknown"
        : ctx.request().remoteAddress().hostAddress();
  }

  // ------------------------------------------------------------------------------------------------ /credentials

  /**
   * Payer-settled credentials: the claim's checks (chain reads included) run on the worker pool; a
   * refusal is {@code {"error": message, "reason": code}} with its status (409 with {@code
   * Retry-After} for too few confirmations).
   */
  private void credentials(RoutingContext ctx) {
    String client = client(ctx);
    if (!credentialClaims.tryAcquire(client)) {
      long wait = Math.max(1, credentialClaims.retryAfter(client).toSeconds());
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      ObjectNode o = Wire.newObject();
      o.put(
          "error",
          "credential claims are rate-limited to "
              + CREDENTIAL_CLAIMS_PER_CLIENT_PER_MINUTE
              + " per minute per client; retry in "
              + wait
              + " s");
      o.put("reason", "rate_limited");
      send(ctx, 429, o);
      return;
    }
    String body = ctx.body().asString();
    workers
        .<ObjectNode>executeBlocking(() -> facilitator.issueCredential(body), false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                send(ctx, 200, ar.result());
                return;
              }
              Throwable e = ar.cause();
              ObjectNode o = Wire.newObject();
              if (e instanceof RequestException re) {
                if ("insufficient_confirmations".equals(re.reason())) {
                  ctx.response().putHeader("Retry-After", "2");
                }
                o.put("error", re.getMessage());
                o.put("reason", re.reason());
                send(ctx, re.status(), o);
              } else if (e instanceof RpcUnavailableException) {
                o.put("error", "chain node unavailable: " + facilitator.redact(e.getMessage()));
                o.put("reason", "rpc_unavailable");
                send(ctx, 503, o);
              } else {
                log.error("credential issuance failed unexpectedly", e);
                error(ctx, 500, "internal error; see the facilitator log");
              }
            });
  }

  // ------------------------------------------------------------------------------------------------ lookups

  /** {@code GET /discovery/resources}: the bazaar catalog, paged and filtered as the SDK asks. */
  private void discoveryResources(RoutingContext ctx) {
    var q = ctx.queryParams();
    workers
        .<JsonNode>executeBlocking(
            () ->
                facilitator
                    .discovery()
                    .list(
                        q.get("type"),
                        q.get("payTo"),
                        q.get("scheme"),
                        q.get("network"),
                        q.get("extensions"),
                        q.get("limit"),
                        q.get("offset")),
            false)
        .onComplete(
            ar -> {
              if (ar.succeeded()) {
                send(ctx, 200, ar.result());
              } else if (ar.cause() instanceof IllegalArgumentException e) {
                error(ctx, 400, e.getMessage());
              } else {
                log.error("discovery listing failed", ar.cause());
                error(ctx, 500, "internal error; see the facilitator log");
              }
            });
  }

  private void settlement(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id == null || !HEX32.matcher(id).matches()) {
      error(
          ctx,
          400,
          "settlement id must be an authorization nonce or a transaction hash: 0x and 64 hex digits");
      return;
    }
    String idempotencyKey = ctx.request().getHeader(IDEMPOTENCY_HEADER);
    workers
        .<List<SettlementRecord>>executeBlocking(() -> facilitator.settlements(id), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                log.error("settlement lookup failed", ar.cause());
                error(ctx, 500, "journal lookup failed; see the facilitator log");
              } else if (ar.result().isEmpty()) {
                error(ctx, 404, "no settlement with authorization nonce or transaction hash " + id);
              } else if (ar.result().size() == 1) {
                send(ctx, 200, facilitator.statusOf(ar.result().get(0), idempotencyKey));
              } else {
                ObjectNode o = Wire.newObject();
                ArrayNode a = o.putArray("settlements");
                ar.result().forEach(r -> a.add(facilitator.statusOf(r, idempotencyKey)));
                send(ctx, 200, o);
              }
            });
  }

  private void receipts(RoutingContext ctx) {
    long from;
    int limit;
    try {
      String f = ctx.queryParams().get("from");
      String l = ctx.queryParams().get("limit");
      from = f == null ? 0 : Long.parseLong(f);
      limit = l == null ? 100 : Integer.parseInt(l);
      if (from < 0 || limit < 1 || limit > 1000) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      error(ctx, 400, "from must be a sequence number >= 0 and limit 1..1000");
      return;
    }
    workers
        .<List<SettlementStore.ReceiptEntry>>executeBlocking(
            () -> facilitator.receipts(from, limit), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                error(ctx, 500, "journal read failed; see the facilitator log");
                return;
              }
              ObjectNode o = Wire.newObject();
              ArrayNode a = o.putArray("receipts");
              long next = from;
              for (SettlementStore.ReceiptEntry e : ar.result()) {
                a.addObject()
                    .put("sequence", e.sequence())
                    .put("settlementId", e.settlementId())
                    .set("receipt", e.receipt());
                next = e.sequence() + 1;
              }
              o.put("next", next);
              send(ctx, 200, o);
            });
  }

  // ------------------------------------------------------------------------------------------------ identity

  /**
   * {@code GET /attestation}: the startup document. {@code ?nonce=HEX32}: the startup quote plus
   * the enclave key's signature over the nonce and the time (as fresh as a new quote, since the key
   * never leaves the enclave; no rate limit). {@code ?nonce=HEX32&fresh=1}: a new quote whose
   * report data carries the nonce, rate-limited per client (remote address) because each one is a
   * round trip to the TEE's quoting service.
   */
  private void attestation(RoutingContext ctx) {
    // Public, credential-free data that a payer's web page (on the provider's origin) verifies
    // itself before paying: readable from any origin (a simple GET, no preflight).
    ctx.response().putHeader("Access-Control-Allow-Origin", "*");
    if (identity == null) {
      error(
          ctx,
          404,
          "this facilitator runs without a TEE identity (plain key file): it has no attestation");
      return;
    }
    String nonceParam = ctx.request().getParam("nonce");
    String freshParam = ctx.request().getParam("fresh");
    boolean fresh =
        freshParam != null && (freshParam.equals("1") || freshParam.equalsIgnoreCase("true"));
    if (freshParam != null
        && !fresh
        && !freshParam.equals("0")
        && !freshParam.equalsIgnoreCase("false")) {
      error(ctx, 400, "fresh must be 1 or 0");
      return;
    }
    if (nonceParam == null) {
      if (fresh) {
        error(ctx, 400, "fresh=1 needs a nonce: GET /attestation?nonce=HEX32&fresh=1");
        return;
      }
      sendRaw(ctx, 200, identity.enclave().startupDocument().toJson());
      return;
    }
    byte[] nonce;
    try {
      nonce = KeyBinding.parseNonce(nonceParam);
    } catch (IllegalArgumentException e) {
      error(ctx, 400, "nonce: " + e.getMessage());
      return;
    }
    if (!fresh) {
      workers
          .<String>executeBlocking(() -> identity.enclave().document(nonce).toJson(), false)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  log.warn("signed-nonce attestation failed: {}", ar.cause().toString());
                  error(ctx, 503, "cannot sign the nonce: " + ar.cause().getMessage());
                } else {
                  sendRaw(ctx, 200, ar.result());
                }
              });
      return;
    }
    String client = client(ctx);
    if (!identity.freshQuotes().tryAcquire(client)) {
      long wait = Math.max(1, identity.freshQuotes().retryAfter(client).toSeconds());
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      error(
          ctx,
          429,
          "fresh quotes are rate-limited to "
              + identity.freshQuotes().perMinute()
              + " per minute per "
              + "client; retry in "
              + wait
              + " s, or drop fresh=1: the signed-nonce answer is as fresh and unlimited");
      return;
    }
    workers
        .<String>executeBlocking(() -> identity.enclave().freshQuoteDocument(nonce).toJson(), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                log.warn("quote for a fresh nonce failed: {}", ar.cause().toString());
                error(ctx, 503, "the TEE could not produce a quote: " + ar.cause().getMessage());
              } else {
                sendRaw(ctx, 200, ar.result());
              }
            });
  }

  private void registrationFile(RoutingContext ctx) {
    var file =
        identity == null ? java.util.Optional.<String>empty() : identity.registrationFile().get();
    if (file.isEmpty()) {
      error(ctx, 404, "this facilitator has not registered an ERC-8004 identity");
    } else {
      sendRaw(ctx, 200, file.get());
    }
  }

  private static void sendRaw(RoutingContext ctx, int status, String json) {
    ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(json);
  }

  private void health(RoutingContext ctx) {
    workers
        .<ObjectNode>executeBlocking(facilitator::health, false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                error(
                    ctx,
                    503,
                    "health check failed: " + facilitator.redact(ar.cause().getMessage()));
              } else {
                // halted (receipt chain contradicts its on-chain anchor, or not checked yet): 503
                // with the reason
                send(
                    ctx,
                    "halted".equals(ar.result().path("status").asText()) ? 503 : 200,
                    ar.result());
              }
            });
  }

  // ------------------------------------------------------------------------------------------------ output

  private static void sendVerify(RoutingContext ctx, int status, VerifyResponse v, String error) {
    ObjectNode o = v.toJson();
    if (error != null) {
      o.put("error", error);
    }
    send(ctx, status, o);
  }

  private static void sendSettle(RoutingContext ctx, int status, SettleResponse s, String error) {
    ObjectNode o = s.toJson();
    if (error != null) {
      o.put("error", error);
    }
    send(ctx, status, o);
  }

  private static void error(RoutingContext ctx, int status, String message) {
    ObjectNode o = Wire.newObject();
    o.put("error", message);
    send(ctx, status, o);
  }

  private static void send(RoutingContext ctx, int status, JsonNode body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response()
        .setStatusCode(status)
        .putHeader("content-type", JSON)
        .putHeader("cache-control", "no-store")
        .end(X402Json.write(body));
  }

  /**
   * Best-effort network of a request body, for metrics labels and error bodies ("" when unknown).
   */
  private String network(String body) {
    JsonNode b = peek(body);
    JsonNode n = b.path("paymentRequirements").path("network");
    if (!n.isTextual()) {
      return "";
    }
    // a v1 legacy name counts under its CAIP-2 id, so metrics labels stay the configured set
    String s =
        io.attest402.x402.evm.Networks.canonical(
            b.path("paymentPayload").path("x402Version").asInt(2), n.textValue());
    return facilitator.networks().network(s) != null ? s : "other";
  }

  private static String payer(String body) {
    JsonNode payload = peek(body).path("paymentPayload").path("payload");
    JsonNode n =
        (payload.has("permit2Authorization")
                ? payload.path("permit2Authorization")
                : payload.path("authorization"))
            .path("from");
    return n.isTextual() && Wire.isAddress(n.textValue()) ? n.textValue() : null;
  }

  private static JsonNode peek(String body) {
    try {
      return body == null || body.length() > 1 << 20 ? Wire.newObject() : X402Json.parse(body);
    } catch (RuntimeException e) {
      return Wire.newObject();
    }
  }

  /** The request's network as sent, for error bodies ("" when unreadable). */
  private static String rawNetwork(String body) {
    JsonNode n = peek(body).path("paymentRequirements").path("network");
    return n.isTextual() ? n.textValue() : "";
  }
}
