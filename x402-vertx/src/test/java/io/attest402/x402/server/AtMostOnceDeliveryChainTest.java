package io.attest402.x402.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.testing.Paying;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * One payment buys at most one delivery from {@link X402PaymentHandler}, on anvil, over real HTTP,
 * settled by the official facilitator (which, like ours before issue 12, is not what keeps a replay
 * from being served: the handler decides before it asks). Replays sequential and concurrent,
 * payment-identifier retries after a dropped response, a payment for one document replayed with
 * another, 409 and 400, and the store across a restart.
 */
@ExtendWith(ChainExtension.class)
class AtMostOnceDeliveryChainTest {
  static final BigInteger PRICE = BigInteger.valueOf(7_000);
  static final int SETTLER = 5;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir static Path dataDir;
  static Chain chain;
  static Vertx vertx;
  static FacilitatorUnderTest.Running official;
  static Counting facilitator;
  static SqliteDeliveryStore store;
  static HttpServer server;
  static String payTo;
  static Credentials payer;
  static final AtomicInteger WORK = new AtomicInteger();

  /** Counts what reaches the facilitator, and the Idempotency-Keys of the settles. */
  static final class Counting implements FacilitatorClient {
    final HttpFacilitatorClient delegate;
    final AtomicInteger verifies = new AtomicInteger();
    final List<String> settleKeys = new CopyOnWriteArrayList<>();

    Counting(HttpFacilitatorClient delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableFuture<VerifyResponse> verify(
        PaymentPayload payload, PaymentRequirements requirements) {
      verifies.incrementAndGet();
      return delegate.verify(payload, requirements);
    }

    @Override
    public CompletableFuture<SettleResponse> settle(
        PaymentPayload payload, PaymentRequirements requirements) {
      throw new AssertionError("the handler settles with an Idempotency-Key");
    }

    @Override
    public CompletableFuture<SettleResponse> settle(
        PaymentPayload payload, PaymentRequirements requirements, String idempotencyKey) {
      settleKeys.add(idempotencyKey);
      return delegate.settle(payload, requirements, idempotencyKey);
    }

    @Override
    public CompletableFuture<SupportedResponse> supported() {
      return delegate.supported();
    }
  }

  @BeforeAll
  static void start(Chain c) throws Exception {
    chain = c;
    Interop.installMulticall3(chain);
    official = Facilitators.OFFICIAL.start(chain, SETTLER);
    facilitator =
        new Counting(
            HttpFacilitatorClient.builder(URI.create(official.url()))
                .timeout(Duration.ofSeconds(60))
                .build());
    vertx = Vertx.vertx();
    payTo = chain.account(6).getAddress();
    payer = chain.account(DevAccounts.AGENT);
    store = SqliteDeliveryStore.open(dataDir.resolve("deliveries.db"));
    server = startServer(store);
  }

  @AfterAll
  static void stop() throws Exception {
    VertxTesting.closeAll(vertx, store, official);
  }

  @BeforeEach
  void reset() {
    WORK.set(0);
    facilitator.verifies.set(0);
    facilitator.settleKeys.clear();
  }

  /**
   * {@code /plain}: no payment-identifier; {@code /doc}: optional id; {@code /strict}: id required.
   */
  static HttpServer startServer(DeliveryStore deliveries) throws Exception {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    PaymentOption option =
        PaymentOption.fixed(
                chain.deployment().network(),
                chain.deployment().contracts().usdc(),
                "USD Coin",
                "2",
                payTo,
                PRICE)
            .withMaxTimeoutSeconds(120);
    PaidRoute summarize =
        (ctx, p) -> {
          WORK.incrementAndGet();
          return Future.succeededFuture(
              PaidResponse.json(
                  X402Json.write(
                      io.attest402.x402.types.Wire.newObject()
                          .put("summary", "of " + ctx.body().asString()))));
        };
    router.post("/plain").handler(handler(deliveries, option, summarize).build());
    router
        .post("/doc")
        .handler(handler(deliveries, option, summarize).paymentIdentifier(false).build());
    router
        .post("/strict")
        .handler(handler(deliveries, option, summarize).paymentIdentifier(true).build());
    return VertxTesting.listen(vertx, router);
  }

  static X402PaymentHandler.Builder handler(
      DeliveryStore deliveries, PaymentOption option, PaidRoute route) {
    return X402PaymentHandler.builder(facilitator)
        .accept(option)
        .deliveryStore(deliveries)
        .route(route);
  }

  static URI uri(HttpServer s, String path) {
    return URI.create("http://127.0.0.1:" + s.actualPort() + path);
  }

  static HttpResponse<String> post(HttpServer s, String path, String body, String paymentSignature)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(s, path))
            .timeout(Duration.ofSeconds(90))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (paymentSignature != null) {
      b.header(HeaderCodec.PAYMENT_SIGNATURE, paymentSignature);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Signs the route's offer as a client would; {@code paymentId} (if not null) goes into the echoed
   * extension.
   */
  static String sign(String path, String paymentId) throws Exception {
    HttpResponse<String> r = post(server, path, "x", null);
    assertEquals(402, r.statusCode());
    return Paying.signFirstOffer(r, payer, paymentId);
  }

  static BigInteger received() throws Exception {
    return chain.usdcBalance(payTo);
  }

  @Test
  void aReplayedPaymentSignatureIs402AndRunsNothing() throws Exception {
    BigInteger before = received();
    String header = sign("/plain", null);
    HttpResponse<String> first = post(server, "/plain", "doc A", header);
    assertEquals(200, first.statusCode(), first.body());
    assertTrue(first.body().contains("of doc A"));
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> again = post(server, "/plain", "doc A", header);
      assertEquals(402, again.statusCode());
      assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(again));
      assertFalse(again.body().contains("summary"));
    }
    assertEquals(1, WORK.get());
    assertEquals(1, facilitator.verifies.get(), "a replay never reaches the facilitator");
    assertEquals(1, facilitator.settleKeys.size());
    assertEquals(before.add(PRICE), received(), "one transfer on chain");
  }

  @Test
  void fiveConcurrentReplaysDeliverOnce() throws Exception {
    BigInteger before = received();
    String header = sign("/plain", null);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(
          HTTP.sendAsync(
              HttpRequest.newBuilder(uri(server, "/plain"))
                  .timeout(Duration.ofSeconds(90))
                  .header(HeaderCodec.PAYMENT_SIGNATURE, header)
                  .POST(HttpRequest.BodyPublishers.ofString("doc " + i))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    int ok = 0;
    int refused = 0;
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertEquals(402, r.statusCode(), r.body());
        assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(r));
        refused++;
      }
    }
    assertEquals(1, ok);
    assertEquals(4, refused);
    assertEquals(1, WORK.get());
    assertEquals(1, facilitator.verifies.get());
    assertEquals(before.add(PRICE), received(), "one transfer on chain");
  }

  @Test
  void ourClientsRetryAfterADroppedResponseGetsTheStoredBodyAndNoSecondSettle() throws Exception {
    // a proxy that swallows the first paid response whole (the provider sent it; the client never
    // sees it)
    WebClient upstream = WebClient.create(vertx);
    AtomicBoolean dropped = new AtomicBoolean();
    List<String> signatures = new CopyOnWriteArrayList<>();
    List<Buffer> swallowed = new CopyOnWriteArrayList<>();
    Router proxy = Router.router(vertx);
    proxy.route().handler(BodyHandler.create());
    proxy
        .route()
        .handler(
            ctx -> {
              String sig = ctx.request().getHeader(HeaderCodec.PAYMENT_SIGNATURE);
              var req =
                  upstream.request(
                      ctx.request().method(),
                      server.actualPort(),
                      "127.0.0.1",
                      ctx.request().uri());
              ctx.request()
                  .headers()
                  .forEach(
                      (k, v) -> {
                        if (!k.equalsIgnoreCase("Host") && !k.equalsIgnoreCase("Content-Length")) {
                          req.putHeader(k, v);
                        }
                      });
              req.sendBuffer(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer())
                  .onComplete(
                      ar -> {
                        if (sig != null) {
                          signatures.add(sig);
                          if (ar.succeeded() && dropped.compareAndSet(false, true)) {
                            swallowed.add(ar.result().bodyAsBuffer());
                            ctx.request().connection().close();
                            return;
                          }
                        }
                        if (ar.failed()) {
                          ctx.fail(ar.cause());
                          return;
                        }
                        ctx.response().setStatusCode(ar.result().statusCode());
                        ar.result()
                            .headers()
                            .forEach(
                                (k, v) -> {
                                  if (!k.equalsIgnoreCase("Content-Length")
                                      && !k.equalsIgnoreCase("Transfer-Encoding")) {
                                    ctx.response().putHeader(k, v);
                                  }
                                });
                        ctx.response()
                            .end(
                                ar.result().bodyAsBuffer() == null
                                    ? Buffer.buffer()
                                    : ar.result().bodyAsBuffer());
                      });
            });
    HttpServer proxyServer = VertxTesting.listen(vertx, proxy);
    try {
      BigInteger before = received();
      PayingHttpClient client =
          new PayingHttpClient(
              HTTP,
              new Eip3009Signer(payer, Clock.systemUTC()),
              SpendPolicy.builder().maxPerRequest(PRICE).build(),
              TrustHook.allowAll());
      PaymentResult<String> result =
          client.send(
              HttpRequest.newBuilder(uri(proxyServer, "/doc"))
                  .timeout(Duration.ofSeconds(90))
                  .POST(HttpRequest.BodyPublishers.ofString("doc A"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      PaymentResult.Paid<String> paid =
          assertInstanceOf(PaymentResult.Paid.class, result, String.valueOf(result));
      assertTrue(dropped.get());
      assertEquals(2, signatures.size(), "the client retried once");
      assertEquals(signatures.get(0), signatures.get(1), "with the identical payment");
      PaymentPayload sent = HeaderCodec.DEFAULT.decodePaymentSignature(signatures.get(0));
      assertTrue(
          PaymentIdentifier.extract(sent).present(), "our client adds the id the offer declares");
      assertEquals(
          swallowed.get(0).toString(),
          paid.httpResponse().body(),
          "the stored body, byte for byte");
      assertTrue(paid.httpResponse().body().contains("of doc A"));
      assertEquals(1, WORK.get());
      assertEquals(1, facilitator.settleKeys.size(), "no second settle");
      assertEquals(before.add(PRICE), received());
    } finally {
      VertxTesting.await(proxyServer.close());
      upstream.close();
    }
  }

  @Test
  void aPaymentForDocumentAReplayedWithDocumentBNeverGetsBsSummary() throws Exception {
    String withId = sign("/doc", PaymentIdentifier.generate());
    HttpResponse<String> a = post(server, "/doc", "doc A", withId);
    assertEquals(200, a.statusCode(), a.body());
    // same id, same payment, another document (same price): A's stored answer, no new work
    HttpResponse<String> b = post(server, "/doc", "doc B", withId);
    assertEquals(200, b.statusCode());
    assertEquals(a.body(), b.body());
    assertEquals(
        a.headers().firstValue("PAYMENT-RESPONSE"), b.headers().firstValue("PAYMENT-RESPONSE"));
    assertFalse(b.body().contains("doc B"));
    // without an id the replay is refused outright
    String plain = sign("/plain", null);
    assertEquals(200, post(server, "/plain", "doc A", plain).statusCode());
    HttpResponse<String> b2 = post(server, "/plain", "doc B", plain);
    assertEquals(402, b2.statusCode());
    assertFalse(b2.body().contains("doc B"));
    assertEquals(2, WORK.get());
    assertEquals(2, facilitator.settleKeys.size());
  }

  @Test
  void paymentIdentifierConflictsAre409AndMissingRequiredIdsAre400() throws Exception {
    String id = PaymentIdentifier.generate();
    assertEquals(200, post(server, "/doc", "doc A", sign("/doc", id)).statusCode());
    // the same id with another payment (a fresh authorization)
    HttpResponse<String> other = post(server, "/doc", "doc A", sign("/doc", id));
    assertEquals(409, other.statusCode());
    assertTrue(
        X402Json.parse(other.body()).path("error").asText().contains("different payment"),
        other.body());
    // required and absent, or malformed
    HttpResponse<String> missing = post(server, "/strict", "doc A", sign("/strict", null));
    assertEquals(400, missing.statusCode());
    assertTrue(missing.body().contains("requires a payment-identifier"), missing.body());
    String bad =
        new String(java.util.Base64.getDecoder().decode(sign("/strict", "pay_" + "a".repeat(20))))
            .replace("pay_" + "a".repeat(20), "short");
    HttpResponse<String> malformed =
        post(
            server,
            "/strict",
            "doc A",
            java.util.Base64.getEncoder().encodeToString(bad.getBytes()));
    assertEquals(400, malformed.statusCode());
    assertTrue(malformed.body().contains("16-128 characters"), malformed.body());
    // the required id, present: served
    assertEquals(
        200,
        post(server, "/strict", "doc A", sign("/strict", PaymentIdentifier.generate()))
            .statusCode());
    assertEquals(2, WORK.get());
    assertEquals(2, facilitator.settleKeys.size());
    assertNotEquals(
        facilitator.settleKeys.get(0), facilitator.settleKeys.get(1), "one key per paid request");
  }

  @Test
  void claimsAndStoredResponsesSurviveARestart() throws Exception {
    String id = PaymentIdentifier.generate();
    String withId = sign("/doc", id);
    String plain = sign("/plain", null);
    HttpResponse<String> a = post(server, "/doc", "doc A", withId);
    assertEquals(200, a.statusCode());
    assertEquals(200, post(server, "/plain", "doc A", plain).statusCode());
    Path file = dataDir.resolve("restart.db");
    // a second server on its own file, restarted: close everything and open the file again
    try (SqliteDeliveryStore first = SqliteDeliveryStore.open(file)) {
      HttpServer s1 = startServer(first);
      String header = sign("/plain", null);
      String idHeader = sign("/doc", PaymentIdentifier.generate());
      HttpResponse<String> served = post(s1, "/plain", "doc C", header);
      HttpResponse<String> servedWithId = post(s1, "/doc", "doc D", idHeader);
      assertEquals(200, served.statusCode());
      assertEquals(200, servedWithId.statusCode());
      VertxTesting.await(s1.close());
      first.close();
      try (SqliteDeliveryStore reopened = SqliteDeliveryStore.open(file)) {
        assertEquals(2, reopened.size());
        HttpServer s2 = startServer(reopened);
        HttpResponse<String> replay = post(s2, "/plain", "doc C", header);
        assertEquals(402, replay.statusCode());
        assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(replay));
        HttpResponse<String> retry = post(s2, "/doc", "doc D", idHeader);
        assertEquals(200, retry.statusCode());
        assertEquals(servedWithId.body(), retry.body());
        assertArrayEquals(
            servedWithId.headers().firstValue("PAYMENT-RESPONSE").orElseThrow().getBytes(),
            retry.headers().firstValue("PAYMENT-RESPONSE").orElseThrow().getBytes());
        VertxTesting.await(s2.close());
      }
    }
    assertEquals(4, WORK.get());
    assertTrue(Files.size(file) > 0);
  }
}
