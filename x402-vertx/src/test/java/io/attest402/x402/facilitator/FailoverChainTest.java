package io.attest402.x402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
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
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * {@link FailoverFacilitatorClient} behind {@link X402PaymentHandler} on anvil, with two real
 * facilitators (the official one, twice, each with its own settlement account) on loopback. The
 * first sits behind a loopback proxy that can refuse, be stopped, answer a lie, or lose its answer
 * after the settlement was broadcast; every case counts the transfers on chain and who sent them.
 */
@ExtendWith(ChainExtension.class)
class FailoverChainTest {
  static final BigInteger PRICE = BigInteger.valueOf(9_000);
  static final int SETTLER_A = 5;
  static final int SETTLER_B = 7;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  static Chain chain;
  static Vertx vertx;
  static FacilitatorUnderTest.Running officialA;
  static FacilitatorUnderTest.Running officialB;
  static String payTo;
  static Credentials payer;

  /** What the proxy in front of facilitator A does with {@code /settle}. */
  enum Mode {
    PASS,
    /** answers a refusal of a valid payment without asking A. */
    REFUSE,
    /** lets A settle, then answers a refusal without the transaction (a lying facilitator). */
    SETTLE_AND_LIE,
    /** lets A settle, then never answers (the client times out). */
    SETTLE_AND_HOLD
  }

  final AtomicReference<Mode> mode = new AtomicReference<>(Mode.PASS);
  HttpServer proxy;
  HttpServer resource;
  FailoverFacilitatorClient failover;
  CountingClient b;
  SqliteDeliveryStore store;

  /** Counts the calls that reach facilitator B. */
  static final class CountingClient implements FacilitatorClient {
    final FacilitatorClient delegate;
    final AtomicInteger verifies = new AtomicInteger();
    final AtomicInteger settles = new AtomicInteger();

    CountingClient(FacilitatorClient delegate) {
      this.delegate = delegate;
    }

    @Override
    public CompletableFuture<VerifyResponse> verify(PaymentPayload p, PaymentRequirements r) {
      verifies.incrementAndGet();
      return delegate.verify(p, r);
    }

    @Override
    public CompletableFuture<SettleResponse> settle(PaymentPayload p, PaymentRequirements r) {
      throw new AssertionError("settles carry an Idempotency-Key");
    }

    @Override
    public CompletableFuture<SettleResponse> settle(
        PaymentPayload p, PaymentRequirements r, String key) {
      settles.incrementAndGet();
      return delegate.settle(p, r, key);
    }

    @Override
    public CompletableFuture<SupportedResponse> supported() {
      return delegate.supported();
    }
  }

  @BeforeAll
  static void startFacilitators(Chain c) {
    chain = c;
    Interop.installMulticall3(chain);
    officialA = Facilitators.OFFICIAL.start(chain, SETTLER_A);
    officialB = Facilitators.OFFICIAL.start(chain, SETTLER_B);
    vertx = Vertx.vertx();
    payTo = chain.account(6).getAddress();
    payer = chain.account(DevAccounts.AGENT);
  }

  @AfterAll
  static void stopFacilitators() throws Exception {
    if (vertx != null) {
      VertxTesting.await(vertx.close());
    }
    if (officialA != null) {
      officialA.close();
    }
    if (officialB != null) {
      officialB.close();
    }
  }

  @AfterEach
  void stopStack() throws Exception {
    if (failover != null) {
      failover.close();
    }
    for (HttpServer s : new HttpServer[] {proxy, resource}) {
      if (s != null) {
        VertxTesting.await(s.close());
      }
    }
    if (store != null) {
      store.close();
    }
  }

  /** The proxy for A, the failover client over [A, B] reading the chain, and a paid route. */
  void startStack(Duration timeoutA) throws Exception {
    proxy = listen(proxyRouter());
    String urlA = "http://127.0.0.1:" + proxy.actualPort();
    b = new CountingClient(HttpFacilitatorClient.of(officialB.url()));
    failover =
        FailoverFacilitatorClient.builder()
            .add(
                urlA,
                HttpFacilitatorClient.builder(URI.create(urlA)).timeout(timeoutA).build(),
                FailoverFacilitatorClient.HealthCheck.http(urlA, HTTP))
            .add(
                officialB.url(),
                b,
                FailoverFacilitatorClient.HealthCheck.http(officialB.url(), HTTP))
            .authorizationState(
                AuthorizationState.of(
                    Map.of(chain.deployment().network(), new Web3jChainAccess(chain.web3j()))))
            .build()
            .start();
    store = SqliteDeliveryStore.inMemory();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create());
    router
        .post("/paid")
        .handler(
            X402PaymentHandler.builder(failover)
                .accept(
                    PaymentOption.fixed(
                            chain.deployment().network(),
                            chain.deployment().contracts().usdc(),
                            "USD Coin",
                            "2",
                            payTo,
                            PRICE)
                        .withMaxTimeoutSeconds(120))
                .deliveryStore(store)
                .route((ctx, p) -> Future.succeededFuture(PaidResponse.json("{\"served\":true}")))
                .build());
    resource = listen(router);
  }

  Router proxyRouter() {
    Router r = Router.router(vertx);
    r.route().handler(BodyHandler.create());
    r.route().handler(this::forward);
    return r;
  }

  void forward(RoutingContext ctx) {
    boolean settle = ctx.request().path().equals("/settle");
    Mode m = settle ? mode.get() : Mode.PASS;
    if (m == Mode.REFUSE) {
      ctx.response().putHeader("Content-Type", "application/json").end(refusal());
      return;
    }
    HttpRequest.Builder req =
        HttpRequest.newBuilder(URI.create(officialA.url() + ctx.request().uri()))
            .timeout(Duration.ofSeconds(60));
    String ct = ctx.request().getHeader("Content-Type");
    if (ct != null) {
      req.header("Content-Type", ct);
    }
    if (ctx.request().method().name().equals("POST")) {
      req.POST(HttpRequest.BodyPublishers.ofByteArray(ctx.body().buffer().getBytes()));
    }
    HTTP.sendAsync(req.build(), HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete(
            (resp, err) -> {
              if (m == Mode.SETTLE_AND_HOLD) {
                return; // A settled; its answer is lost, the client times out
              }
              if (err != null) {
                ctx.response().setStatusCode(502).end();
              } else if (m == Mode.SETTLE_AND_LIE) {
                ctx.response().putHeader("Content-Type", "application/json").end(refusal());
              } else {
                ctx.response()
                    .setStatusCode(resp.statusCode())
                    .putHeader("Content-Type", "application/json")
                    .end(io.vertx.core.buffer.Buffer.buffer(resp.body()));
              }
            });
  }

  String refusal() {
    return X402Json.write(
        SettleResponse.failure(
                "unexpected_settle_error",
                "not settling this one",
                "",
                chain.deployment().network(),
                null)
            .toJson());
  }

  static HttpServer listen(Router router) throws Exception {
    return VertxTesting.listen(vertx, router);
  }

  HttpResponse<String> post(String paymentSignature) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + resource.actualPort() + "/paid"))
            .timeout(Duration.ofSeconds(120))
            .POST(HttpRequest.BodyPublishers.ofString("x"));
    if (paymentSignature != null) {
      r.header(HeaderCodec.PAYMENT_SIGNATURE, paymentSignature);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  String sign(Credentials who) throws Exception {
    HttpResponse<String> r = post(null);
    assertEquals(402, r.statusCode());
    return Paying.signFirstOffer(r, who, null);
  }

  static BigInteger received() throws Exception {
    return chain.usdcBalance(payTo);
  }

  /** Transactions an account has sent (its nonce). */
  static BigInteger sent(String facilitatorSigner) throws Exception {
    return BigInteger.valueOf(chain.nonce(facilitatorSigner));
  }

  static String txSender(HttpResponse<String> r) throws Exception {
    SettleResponse s =
        HeaderCodec.DEFAULT.decodePaymentResponse(
            r.headers().firstValue("PAYMENT-RESPONSE").orElseThrow());
    assertTrue(s.success(), s.toString());
    return chain
        .web3j()
        .ethGetTransactionByHash(s.transaction())
        .send()
        .getTransaction()
        .orElseThrow()
        .getFrom();
  }

  static Map<String, Long> counters(FailoverFacilitatorClient f, int i) {
    return f.status().get(i).counters();
  }

  @Test
  void aFacilitatorRefusingAValidPaymentIsPassedOverAndTheSecondSettlesIt() throws Exception {
    startStack(Duration.ofSeconds(60));
    mode.set(Mode.REFUSE);
    BigInteger before = received();
    BigInteger aSent = sent(officialA.signer());
    HttpResponse<String> r = post(sign(payer));
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("served"));
    assertEquals(officialB.signer().toLowerCase(), txSender(r).toLowerCase());
    assertEquals(before.add(PRICE), received(), "exactly one transfer");
    assertEquals(aSent, sent(officialA.signer()), "A sent nothing");
    assertEquals(0, b.verifies.get(), "A verified it; only the settle moved");
    assertEquals(1, b.settles.get());
    assertEquals(1L, counters(failover, 0).get("settle_refused"));
    assertEquals(1L, counters(failover, 1).get("settle_success"));
  }

  @Test
  void aStoppedFacilitatorIsPassedOverForVerifyAndSettle() throws Exception {
    startStack(Duration.ofSeconds(60));
    assertTrue(failover.status().get(0).healthy(), failover.statusJson().toString());
    VertxTesting.await(proxy.close());
    proxy = null;
    BigInteger before = received();
    BigInteger aSent = sent(officialA.signer());
    HttpResponse<String> r = post(sign(payer));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(officialB.signer().toLowerCase(), txSender(r).toLowerCase());
    assertEquals(before.add(PRICE), received(), "exactly one transfer");
    assertEquals(aSent, sent(officialA.signer()));
    assertEquals(1, b.verifies.get());
    assertEquals(1, b.settles.get());
    assertFalse(failover.status().get(0).healthy(), "a refused connection marks it down");
    failover.checkAll().get(30, TimeUnit.SECONDS);
    assertFalse(failover.status().get(0).healthy(), "its /health check agrees");
  }

  @Test
  void aSettleThatTimesOutAfterBroadcastIsNeverSettledThroughTheSecond() throws Exception {
    // A's answer only needs to be lost after A settled: the proxy holds it until the client gives
    // up
    startStack(Duration.ofSeconds(15));
    mode.set(Mode.SETTLE_AND_HOLD);
    BigInteger before = received();
    BigInteger bSent = sent(officialB.signer());
    String header = sign(payer);
    HttpResponse<String> r = post(header);
    assertEquals(502, r.statusCode(), r.body());
    assertTrue(r.body().contains("used on chain"), r.body());
    assertEquals(before.add(PRICE), received(), "A's one transfer, nothing more");
    assertEquals(0, b.settles.get(), "B was never asked to settle it");
    assertEquals(bSent, sent(officialB.signer()));
    assertEquals(1L, counters(failover, 0).get("settle_unknown"));
    // the claim is kept: the same payment buys nothing else
    HttpResponse<String> again = post(header);
    assertEquals(402, again.statusCode());
    assertEquals(before.add(PRICE), received());
  }

  @Test
  void aFacilitatorThatSettlesButAnswersARefusalIsCaught() throws Exception {
    startStack(Duration.ofSeconds(60));
    mode.set(Mode.SETTLE_AND_LIE);
    BigInteger before = received();
    HttpResponse<String> r = post(sign(payer));
    // B is asked (the refusal said nothing was sent), fails on the used nonce, and the chain shows
    // why: not a final "payment failed" but an unknown outcome, and still one transfer
    assertEquals(502, r.statusCode(), r.body());
    assertEquals(before.add(PRICE), received(), "one transfer");
    assertTrue(b.settles.get() <= 1);
  }

  @Test
  void aPayerFaultIsTheAnswerAndNoOtherFacilitatorIsAsked() throws Exception {
    startStack(Duration.ofSeconds(60));
    Credentials broke = Credentials.create(Keys.createEcKeyPair());
    HttpResponse<String> r = post(sign(broke));
    assertEquals(402, r.statusCode(), r.body());
    assertEquals("invalid_exact_evm_insufficient_balance", Paying.paymentRequiredError(r));
    assertEquals(0, b.verifies.get());
  }
}
