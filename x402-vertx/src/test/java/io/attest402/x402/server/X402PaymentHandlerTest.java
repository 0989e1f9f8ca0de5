package io.attest402.x402.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.facilitator.FacilitatorException;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;

/** The handler's HTTP behaviour against a scripted facilitator (no chain needed). */
class X402PaymentHandlerTest {
  static final String NETWORK = "eip155:31337";
  static final String ASSET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  static final String PAY_TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final BigInteger PRICE = BigInteger.valueOf(1000);
  static final Credentials PAYER =
      Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");

  static Vertx vertx;
  static HttpServer server;
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final Scripted FACILITATOR = new Scripted();
  static final AtomicInteger SERVED = new AtomicInteger();
  static volatile CompletableFuture<Void> slowEntered = new CompletableFuture<>();
  static volatile io.vertx.core.Promise<PaidResponse> slowResult;

  /** A facilitator whose answers the test sets. */
  static final class Scripted implements FacilitatorClient {
    volatile Supplier<CompletableFuture<VerifyResponse>> verify;
    final Deque<Supplier<CompletableFuture<SettleResponse>>> settles = new ArrayDeque<>();
    final List<PaymentPayload> settleCalls = new CopyOnWriteArrayList<>();
    final List<PaymentRequirements> settleRequirements = new CopyOnWriteArrayList<>();

    @Override
    public CompletableFuture<VerifyResponse> verify(
        PaymentPayload payload, PaymentRequirements requirements) {
      return verify.get();
    }

    @Override
    public synchronized CompletableFuture<SettleResponse> settle(
        PaymentPayload payload, PaymentRequirements requirements) {
      settleCalls.add(payload);
      settleRequirements.add(requirements);
      Supplier<CompletableFuture<SettleResponse>> next = settles.poll();
      return next == null
          ? CompletableFuture.failedFuture(new IllegalStateException("unexpected settle"))
          : next.get();
    }

    @Override
    public CompletableFuture<SupportedResponse> supported() {
      return CompletableFuture.failedFuture(new UnsupportedOperationException());
    }
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    ObjectNode facilitatorInfo = Wire.newObject();
    facilitatorInfo
        .putObject("info")
        .put("url", "http://facilitator")
        .put("attestation", "http://facilitator/attestation");
    PaymentOption option =
        PaymentOption.fixed(NETWORK, ASSET, "USD Coin", "2", PAY_TO, PRICE)
            .withMaxTimeoutSeconds(60);
    router
        .get("/paid")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option)
                .description("d")
                .mimeType("application/json")
                .extensions(Map.of("attest402-facilitator", facilitatorInfo))
                .route(
                    (ctx, p) -> {
                      SERVED.incrementAndGet();
                      return Future.succeededFuture(PaidResponse.json("{\"served\":true}"));
                    })
                .build());
    router
        .get("/broken")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option)
                .route((ctx, p) -> Future.failedFuture(new RuntimeException("boom")))
                .build());
    router
        .get("/missing")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option)
                .route(
                    (ctx, p) ->
                        Future.succeededFuture(
                            PaidResponse.of(
                                404, "text/plain", io.vertx.core.buffer.Buffer.buffer("no"))))
                .build());
    router
        .post("/sized")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option.withPrice(ctx -> BigInteger.valueOf(10L * ctx.body().length())))
                .route((ctx, p) -> Future.succeededFuture(PaidResponse.text("ok")))
                .build());
    router
        .get("/bounded")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option)
                .deliveryStore(SqliteDeliveryStore.inMemory(1, 1024))
                .route((ctx, p) -> Future.succeededFuture(PaidResponse.text("ok")))
                .build());
    router
        .get("/slow")
        .handler(
            X402PaymentHandler.builder(FACILITATOR)
                .accept(option)
                .paymentIdentifier(false)
                .route(
                    (ctx, p) -> {
                      slowResult = io.vertx.core.Promise.promise();
                      slowEntered.complete(null);
                      return slowResult.future();
                    })
                .build());
    // headers up to the codec's own limit must reach the handler, past Vert.x's 8 KiB default
    server =
        vertx
            .createHttpServer(
                new io.vertx.core.http.HttpServerOptions().setMaxHeaderSize(64 * 1024))
            .requestHandler(router)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    VertxTesting.await(vertx.close());
  }

  @BeforeEach
  void reset() {
    FACILITATOR.verify = () -> CompletableFuture.completedFuture(VerifyResponse.valid("0xpayer"));
    FACILITATOR.settles.clear();
    FACILITATOR.settleCalls.clear();
    FACILITATOR.settleRequirements.clear();
    SERVED.set(0);
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.actualPort() + path);
  }

  static HttpResponse<String> get(String path, String paymentSignature) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (paymentSignature != null) {
      b.header("PAYMENT-SIGNATURE", paymentSignature);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static PaymentRequired offer(HttpResponse<?> r) {
    return HeaderCodec.DEFAULT.decodePaymentRequired(
        r.headers().firstValue("PAYMENT-REQUIRED").orElseThrow());
  }

  /** Asks for the 402, signs the first offer as the official client would. */
  static String pay(String path) throws Exception {
    PaymentRequired pr = offer(get(path, null));
    PaymentRequirements chosen = pr.accepts().get(0);
    var signed = new Eip3009Signer(PAYER, Clock.systemUTC()).sign(chosen);
    return HeaderCodec.DEFAULT.encodePaymentSignature(
        new PaymentPayload(pr.resource(), chosen, signed.toJson(), pr.extensions()));
  }

  @Test
  void unpaidRequestGets402WithTheOfferAndExtensions() throws Exception {
    HttpResponse<String> r = get("/paid", null);
    assertEquals(402, r.statusCode());
    assertEquals("{}", r.body());
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
    assertTrue(
        r.headers()
            .firstValue("Access-Control-Expose-Headers")
            .orElseThrow()
            .contains("PAYMENT-REQUIRED"));
    PaymentRequired pr = offer(r);
    assertEquals("Payment required", pr.error());
    assertEquals(uri("/paid").toString(), pr.resource().url());
    assertEquals(
        PaymentRequirements.exactEvm(NETWORK, PRICE, ASSET, PAY_TO, 60, "USD Coin", "2"),
        pr.accepts().get(0));
    assertEquals(
        "http://facilitator/attestation",
        pr.extensions().path("attest402-facilitator").path("info").path("attestation").asText());
    assertEquals(0, SERVED.get());
  }

  @Test
  void malformedHeadersGetAPrecise400() throws Exception {
    String good = pay("/paid");
    String json = new String(Base64.getDecoder().decode(good), StandardCharsets.UTF_8);
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("base64url", "eyJ4-_Ab");
    cases.put("' ' at position 3", "not base64!");
    cases.put("multiple of 4", good.substring(0, good.length() - 1).replace("=", ""));
    cases.put("not valid JSON", b64("{\"x402Version\":2,"));
    cases.put("UTF-8", Base64.getEncoder().encodeToString(new byte[] {'{', (byte) 0xc3, '}', ' '}));
    cases.put("must hold a JSON object", b64("\"hello\""));
    cases.put("accepted.amount", b64(json.replace("\"amount\":\"1000\"", "\"amount\":1000")));
    cases.put(
        "payload.authorization is required",
        b64(json.replace("\"authorization\"", "\"authorisation\"")));
    cases.put(
        "payload.authorization.value", b64(json.replace("\"value\":\"1000\"", "\"value\":\"-1\"")));
    cases.put("is empty", "");
    cases.put("over the limit", "A".repeat(HeaderCodec.DEFAULT_MAX_HEADER_LENGTH + 4));
    for (Map.Entry<String, String> c : cases.entrySet()) {
      HttpResponse<String> r = get("/paid", c.getValue());
      assertEquals(400, r.statusCode(), c.getKey() + ": " + r.body());
      JsonNode body = X402Json.parse(r.body());
      assertTrue(body.path("error").asText().contains(c.getKey()), c.getKey() + " -> " + body);
      assertTrue(
          body.path("error").asText().startsWith("PAYMENT-SIGNATURE header"), body.toString());
      assertEquals(body.path("error").asText(), offer(r).error());
      assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
    }
    assertEquals(0, SERVED.get());
    assertTrue(FACILITATOR.settleCalls.isEmpty());
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void paymentsThatMatchNoOfferAre402() throws Exception {
    String good = pay("/paid");
    String json = new String(Base64.getDecoder().decode(good), StandardCharsets.UTF_8);
    for (String changed :
        List.of(
            json.replace("\"amount\":\"1000\"", "\"amount\":\"999\""),
            json.replace(PAY_TO, PAY_TO.toLowerCase()),
            json.replace("\"maxTimeoutSeconds\":60", "\"maxTimeoutSeconds\":61"),
            json.replace("\"name\":\"USD Coin\"", "\"name\":\"USDC\""))) {
      HttpResponse<String> r = get("/paid", b64(changed));
      assertEquals(402, r.statusCode());
      assertEquals("No matching payment requirements", offer(r).error());
    }
    // extra keys the client adds to accepted.extra are fine
    String added = json.replace("\"version\":\"2\"}", "\"version\":\"2\",\"clientNote\":1}");
    FACILITATOR.settles.add(
        () -> CompletableFuture.completedFuture(SettleResponse.success("0xab", NETWORK, "0xp")));
    assertEquals(200, get("/paid", b64(added)).statusCode());
  }

  @Test
  void extensionEchoMustKeepTheDeclaredInfo() throws Exception {
    String json = new String(Base64.getDecoder().decode(pay("/paid")), StandardCharsets.UTF_8);
    String bent = json.replace("http://facilitator/attestation", "http://evil/attestation");
    HttpResponse<String> r = get("/paid", b64(bent));
    assertEquals(402, r.statusCode());
    assertEquals("extension_echo_mismatch", offer(r).error());
  }

  @Test
  void invalidVerificationIs402WithTheReason() throws Exception {
    FACILITATOR.verify =
        () ->
            CompletableFuture.completedFuture(
                VerifyResponse.invalid("invalid_exact_evm_insufficient_balance", "0xp"));
    HttpResponse<String> r = get("/paid", pay("/paid"));
    assertEquals(402, r.statusCode());
    assertEquals("invalid_exact_evm_insufficient_balance", offer(r).error());
    assertEquals(0, SERVED.get());
  }

  @Test
  void facilitatorFailureIs502() throws Exception {
    FACILITATOR.verify =
        () ->
            CompletableFuture.failedFuture(
                new FacilitatorException(
                    FacilitatorException.Kind.TIMEOUT,
                    0,
                    "Facilitator verify request timed out after 90000ms",
                    null));
    HttpResponse<String> r = get("/paid", pay("/paid"));
    assertEquals(502, r.statusCode());
    assertEquals(
        "Facilitator verify request timed out after 90000ms",
        X402Json.parse(r.body()).path("error").asText());
    FACILITATOR.verify = () -> CompletableFuture.completedFuture(VerifyResponse.valid("0xp"));
    FACILITATOR.settles.add(
        () ->
            CompletableFuture.failedFuture(
                new FacilitatorException(
                    FacilitatorException.Kind.TRANSPORT,
                    0,
                    "Facilitator settle request failed: refused",
                    null)));
    r = get("/paid", pay("/paid"));
    assertEquals(502, r.statusCode());
    assertFalse(r.headers().firstValue("PAYMENT-RESPONSE").isPresent());
  }

  @Test
  void failingHandlersAreNotSettled() throws Exception {
    HttpResponse<String> r = get("/broken", pay("/broken"));
    assertEquals(500, r.statusCode());
    r = get("/missing", pay("/missing"));
    assertEquals(404, r.statusCode());
    assertEquals("no", r.body());
    assertTrue(FACILITATOR.settleCalls.isEmpty());
  }

  @Test
  void successCarriesThePaymentResponseAndPrivateCaching() throws Exception {
    FACILITATOR.settles.add(
        () ->
            CompletableFuture.completedFuture(
                SettleResponse.success("0x" + "cd".repeat(32), NETWORK, "0xpayer")));
    HttpResponse<String> r = get("/paid", pay("/paid"));
    assertEquals(200, r.statusCode());
    assertEquals("{\"served\":true}", r.body());
    assertEquals("private", r.headers().firstValue("Cache-Control").orElseThrow());
    assertTrue(
        r.headers()
            .firstValue("Access-Control-Expose-Headers")
            .orElseThrow()
            .contains("PAYMENT-RESPONSE"));
    SettleResponse s =
        HeaderCodec.DEFAULT.decodePaymentResponse(
            r.headers().firstValue("PAYMENT-RESPONSE").orElseThrow());
    assertTrue(s.success());
    assertEquals("0x" + "cd".repeat(32), s.transaction());
    assertEquals(1, SERVED.get());
  }

  @Test
  void settlementPendingIsRetriedOnceWithTheIdenticalPayment() throws Exception {
    FACILITATOR.settles.add(
        () ->
            CompletableFuture.completedFuture(
                SettleResponse.failure(
                    "settlement_pending", "receipt timeout", "0xaa", NETWORK, "0xp")));
    FACILITATOR.settles.add(
        () -> CompletableFuture.completedFuture(SettleResponse.success("0xaa", NETWORK, "0xp")));
    HttpResponse<String> r = get("/paid", pay("/paid"));
    assertEquals(200, r.statusCode());
    assertEquals(2, FACILITATOR.settleCalls.size());
    assertEquals(FACILITATOR.settleCalls.get(0), FACILITATOR.settleCalls.get(1));
    assertEquals(FACILITATOR.settleRequirements.get(0), FACILITATOR.settleRequirements.get(1));

    // pending twice: one retry only, then the failure is reported
    reset();
    for (int i = 0; i < 2; i++) {
      FACILITATOR.settles.add(
          () ->
              CompletableFuture.completedFuture(
                  SettleResponse.failure("settlement_pending", null, "0xbb", NETWORK, "0xp")));
    }
    r = get("/paid", pay("/paid"));
    assertEquals(402, r.statusCode());
    assertEquals(2, FACILITATOR.settleCalls.size());
    SettleResponse s =
        HeaderCodec.DEFAULT.decodePaymentResponse(
            r.headers().firstValue("PAYMENT-RESPONSE").orElseThrow());
    assertEquals("settlement_pending", s.errorReason());
    assertEquals("settlement_pending", s.errorMessage());
    assertEquals("0xbb", s.transaction());
  }

  @Test
  void failedSettlementIs402WithThePaymentResponseAndNoOffer() throws Exception {
    FACILITATOR.settles.add(
        () ->
            CompletableFuture.completedFuture(
                SettleResponse.failure(
                    "invalid_exact_evm_nonce_already_used", null, "", NETWORK, "0xp")));
    HttpResponse<String> r = get("/paid", pay("/paid"));
    assertEquals(402, r.statusCode());
    assertEquals("{}", r.body());
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElseThrow());
    assertFalse(r.headers().firstValue("PAYMENT-REQUIRED").isPresent());
    SettleResponse s =
        HeaderCodec.DEFAULT.decodePaymentResponse(
            r.headers().firstValue("PAYMENT-RESPONSE").orElseThrow());
    assertEquals("invalid_exact_evm_nonce_already_used", s.errorReason());
    assertEquals(1, FACILITATOR.settleCalls.size());
  }

  @Test
  void priceCanDependOnTheRequestBody() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(uri("/sized"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(42)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(402, r.statusCode());
    assertEquals(BigInteger.valueOf(420), offer(r).accepts().get(0).amount());
  }

  @Test
  void aFullDeliveryStoreRefusesNewPaymentsWith503() throws Exception {
    FACILITATOR.settles.add(
        () -> CompletableFuture.completedFuture(SettleResponse.success("0xab", NETWORK, "0xp")));
    assertEquals(200, get("/bounded", pay("/bounded")).statusCode());
    HttpResponse<String> full = get("/bounded", pay("/bounded"));
    assertEquals(503, full.statusCode());
    assertEquals("60", full.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(FACILITATOR.settleCalls.size() == 1, "nothing reached the facilitator");
  }

  @Test
  void theSameIdWhileTheFirstRequestIsStillServedIs409() throws Exception {
    PaymentRequired pr = offer(get("/slow", null));
    PaymentRequirements chosen = pr.accepts().get(0);
    String header =
        HeaderCodec.DEFAULT.encodePaymentSignature(
            new PaymentPayload(
                pr.resource(),
                chosen,
                new Eip3009Signer(PAYER, Clock.systemUTC()).sign(chosen).toJson(),
                io.attest402.x402.extensions.PaymentIdentifier.appendTo(
                    pr.extensions(), "pay_inflight_000000001")));
    slowEntered = new CompletableFuture<>();
    FACILITATOR.settles.add(
        () -> CompletableFuture.completedFuture(SettleResponse.success("0xab", NETWORK, "0xp")));
    CompletableFuture<HttpResponse<String>> first =
        HTTP.sendAsync(
            HttpRequest.newBuilder(uri("/slow")).header("PAYMENT-SIGNATURE", header).build(),
            HttpResponse.BodyHandlers.ofString());
    slowEntered.get(30, TimeUnit.SECONDS);
    HttpResponse<String> second = get("/slow", header);
    assertEquals(409, second.statusCode());
    assertTrue(second.body().contains("still being served"), second.body());
    slowResult.complete(PaidResponse.text("slow work"));
    assertEquals("slow work", first.get(30, TimeUnit.SECONDS).body());
    HttpResponse<String> third = get("/slow", header);
    assertEquals(200, third.statusCode());
    assertEquals("slow work", third.body());
    assertEquals(1, FACILITATOR.settleCalls.size());
  }

  @Test
  void withPrivateMergesLikeTheOfficialServer() {
    assertEquals("private", X402PaymentHandler.withPrivate(null));
    assertEquals("max-age=60, private", X402PaymentHandler.withPrivate("max-age=60"));
    assertEquals("Private, max-age=1", X402PaymentHandler.withPrivate("Private, max-age=1"));
  }
}
