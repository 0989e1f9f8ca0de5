package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.DeliveryStore;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaidRoute;
import io.attest402.x402.server.PaymentFlow;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.testing.Paying;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.Wire;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * The {@code upfront} payment flow ({@code extra.paymentFlow}, as {@code @x402/core} selects it):
 * settle before the handler, no {@code /verify}. Both directions through our facilitator: the
 * official {@code @x402/fetch} client pays our Vert.x handler, our {@link PayingHttpClient} pays
 * the official {@code @x402/express} server configured with {@code upfront}. The handler sees the
 * transfer on chain; a handler failure after the settlement is delivered with the settlement (as
 * the official server does) and the payment stays spent.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PaymentFlowTest {
  static final BigInteger PRICE = BigInteger.valueOf(2_500);

  Chain chain;
  FacilitatorServer facilitator;
  String facilitatorUrl;
  String payTo;
  String usdc;
  Vertx vertx;
  HttpServer provider;
  DeliveryStore deliveries;
  final AtomicInteger served = new AtomicInteger();

  /** payTo's balance as the upfront route saw it when it ran. */
  final ConcurrentLinkedQueue<BigInteger> seenByRoute = new ConcurrentLinkedQueue<>();

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    this.chain = chain;
    facilitator =
        TestKit.startFacilitator(
            chain,
            dir.resolve("facilitator"),
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    facilitatorUrl = TestKit.url(facilitator);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    usdc = chain.deployment().contracts().usdc();

    vertx = Vertx.vertx();
    deliveries = SqliteDeliveryStore.inMemory();
    PaymentOption upfront =
        PaymentOption.fixed(
                chain.deployment().network(),
                usdc,
                chain.deployment().usdc().name(),
                chain.deployment().usdc().version(),
                payTo,
                PRICE)
            .withPaymentFlow(PaymentFlow.UPFRONT);
    PaidRoute work =
        (ctx, p) ->
            ctx.vertx()
                .executeBlocking(() -> TestKit.usdc(chain).balanceOf(payTo).send())
                .map(
                    balance -> {
                      seenByRoute.add(balance);
                      served.incrementAndGet();
                      return PaidResponse.json(
                          X402Json.write(
                              Wire.newObject()
                                  .put("report", "sunny")
                                  .put("settledBefore", p.settlement().transaction())));
                    });
    PaidRoute failing =
        (ctx, p) -> {
          served.incrementAndGet();
          return Future.succeededFuture(
              new PaidResponse(
                  503,
                  Map.of("Content-Type", "application/json", "Cache-Control", "no-cache"),
                  io.vertx.core.buffer.Buffer.buffer("{\"error\":\"backend down\"}")));
        };
    PaidRoute throwing =
        (ctx, p) -> {
          served.incrementAndGet();
          return Future.failedFuture(new IllegalStateException("route crashed"));
        };
    Router router = Router.router(vertx);
    router.get("/upfront").handler(handler(upfront, work).build());
    router.get("/upfront-failing").handler(handler(upfront, failing).build());
    router.get("/upfront-throwing").handler(handler(upfront, throwing).build());
    router.get("/upfront-id").handler(handler(upfront, work).paymentIdentifier(false).build());
    provider = VertxTesting.listen(vertx, router);
  }

  X402PaymentHandler.Builder handler(PaymentOption option, PaidRoute work) {
    return X402PaymentHandler.builder(HttpFacilitatorClient.of(facilitatorUrl))
        .accept(option)
        .route(work)
        .deliveryStore(deliveries);
  }

  @AfterAll
  void tearDown() throws Exception {
    VertxTesting.closeAll(provider, vertx, deliveries, facilitator);
  }

  // ------------------------------------------------------------------------------------------
  // the official client pays our upfront route

  @Test
  void officialClientPaysOurUpfrontRouteAndTheRouteRunsWithTheTransferOnChain() throws Exception {
    double verifies = verifyCalls();
    BigInteger before = balance();
    int servedBefore = served.get();
    seenByRoute.clear();
    JsonNode out = officialClientPays("/upfront");
    assertEquals(200, out.path("status").asInt(), out.toString());
    JsonNode pr = out.path("paymentResponse");
    assertTrue(pr.path("success").asBoolean(), out.toString());
    String tx = pr.path("transaction").asText();
    assertEquals(before.add(PRICE), balance());
    assertEquals(1, served.get() - servedBefore);
    assertEquals(
        before.add(PRICE), seenByRoute.peek(), "the route ran after the transfer was on chain");
    assertEquals(tx, X402Json.parse(out.path("body").asText()).path("settledBefore").asText());
    assertEquals(verifies, verifyCalls(), "upfront asks no /verify");

    // the same payment again buys nothing
    HttpResponse<String> replay = get("/upfront", out.path("paymentSignatureHeader").asText());
    assertEquals(402, replay.statusCode(), replay.body());
    assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(replay));
    assertEquals(1, served.get() - servedBefore);
    assertEquals(before.add(PRICE), balance());
  }

  @Test
  void aRouteFailingAfterTheUpfrontSettlementIsDeliveredWithTheSettlementAndStaysSpent()
      throws Exception {
    BigInteger before = balance();
    int servedBefore = served.get();
    JsonNode out = officialClientPays("/upfront-failing");
    // as @x402/express: the route's own failure, with the before-handler settlement echoed
    assertEquals(503, out.path("status").asInt(), out.toString());
    assertTrue(out.path("body").asText().contains("backend down"), out.toString());
    assertTrue(out.path("paymentResponse").path("success").asBoolean(), out.toString());
    assertEquals(before.add(PRICE), balance(), "the payment was taken before the route ran");
    HttpResponse<String> replay =
        get("/upfront-failing", out.path("paymentSignatureHeader").asText());
    assertEquals(402, replay.statusCode(), "the claim is not released: " + replay.body());
    assertEquals(1, served.get() - servedBefore);

    BigInteger mid = balance();
    JsonNode crashed = officialClientPays("/upfront-throwing");
    assertEquals(500, crashed.path("status").asInt(), crashed.toString());
    assertTrue(crashed.path("paymentResponse").path("success").asBoolean(), crashed.toString());
    assertEquals(mid.add(PRICE), balance());
    assertEquals(
        402,
        get("/upfront-throwing", crashed.path("paymentSignatureHeader").asText()).statusCode());
  }

  @Test
  void anUpfrontPaymentTheFacilitatorRefusesRunsNothingAndCostsNothing() throws Exception {
    Credentials broke = Credentials.create(Keys.createEcKeyPair());
    BigInteger before = balance();
    int servedBefore = served.get();
    double verifies = verifyCalls();
    String header = sign("/upfront", broke, null);
    HttpResponse<String> r = get("/upfront", header);
    assertEquals(402, r.statusCode(), r.body());
    SettleResponse s =
        HeaderCodec.DEFAULT.decodePaymentResponse(
            r.headers().firstValue(HeaderCodec.PAYMENT_RESPONSE).orElseThrow());
    assertTrue(!s.success() && s.transaction().isEmpty(), s.toString());
    assertTrue(s.errorReason().startsWith("invalid_exact_evm_"), s.toString());
    // refused without a transaction: nothing was taken, so the claim was given back (the same
    // payment is asked again, not answered as a replay)
    HttpResponse<String> again = get("/upfront", header);
    assertEquals(402, again.statusCode());
    assertTrue(again.headers().firstValue(HeaderCodec.PAYMENT_RESPONSE).isPresent(), again.body());
    assertEquals(0, served.get() - servedBefore);
    assertEquals(before, balance());
    assertEquals(verifies, verifyCalls());
  }

  @Test
  void aPaymentIdentifierRetryOfAnUpfrontPaymentGetsTheStoredResponse() throws Exception {
    Credentials payer = chain.account(DevAccounts.AGENT);
    BigInteger before = balance();
    int servedBefore = served.get();
    String header = sign("/upfront-id", payer, PaymentIdentifier.generate());
    HttpResponse<String> first = get("/upfront-id", header);
    assertEquals(200, first.statusCode(), first.body());
    HttpResponse<String> retry = get("/upfront-id", header);
    assertEquals(200, retry.statusCode(), retry.body());
    assertEquals(first.body(), retry.body());
    assertEquals(
        first.headers().firstValue(HeaderCodec.PAYMENT_RESPONSE),
        retry.headers().firstValue(HeaderCodec.PAYMENT_RESPONSE));
    assertEquals(1, served.get() - servedBefore, "the retry ran nothing");
    assertEquals(before.add(PRICE), balance(), "and settled nothing");
  }

  @Test
  void flowsExactDoesNotSupportAreRefusedWhenTheHandlerIsBuilt() {
    ObjectNode escrow = Wire.newObject().put(PaymentFlow.EXTRA_KEY, "escrow");
    PaymentOption option =
        new PaymentOption(
            chain.deployment().network(),
            usdc,
            "USD Coin",
            "2",
            ctx -> payTo,
            ctx -> PRICE,
            60,
            escrow);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> handler(option, (ctx, p) -> Future.failedFuture("never")).build());
    assertTrue(e.getMessage().contains("does not support paymentFlow \"escrow\""), e.getMessage());
  }

  // ------------------------------------------------------------------------------------------
  // our client pays the official server configured with upfront

  @Test
  void ourClientPaysTheOfficialUpfrontServerThroughOurFacilitator() throws Exception {
    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_URL", facilitatorUrl);
    env.put("PAY_TO", payTo);
    env.put("ASSET", usdc);
    env.put("AMOUNT", PRICE.toString());
    env.put("PAYMENT_FLOW", "upfront");
    try (NodeScript server =
        NodeScript.start("facilitator-paid-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      String weather = server.ready().path("url").asText();
      PayingHttpClient client =
          new PayingHttpClient(
              HttpClient.newHttpClient(),
              new Eip3009Signer(chain.account(DevAccounts.AGENT), Clock.systemUTC()),
              SpendPolicy.builder().maxPerRequest(10_000).build(),
              TrustHook.allowAll());
      double verifies = verifyCalls();
      BigInteger before = balance();
      PaymentResult<String> result =
          client.send(
              HttpRequest.newBuilder(URI.create(weather)).timeout(Duration.ofSeconds(90)).build(),
              HttpResponse.BodyHandlers.ofString());
      PaymentResult.Paid<String> paid =
          assertInstanceOf(PaymentResult.Paid.class, result, String.valueOf(result));
      assertEquals(200, paid.httpResponse().statusCode());
      assertTrue(paid.settlement().success());
      assertEquals(
          "upfront", paid.requirements().extraString(PaymentFlow.EXTRA_KEY), "offered upfront");
      assertEquals(before.add(PRICE), balance());
      assertEquals(verifies, verifyCalls(), "the official upfront server asks no /verify");

      // the official server's answer to a failing handler after an upfront settlement: the
      // failure, with the settlement; the payment is spent
      PaymentResult<String> failing =
          client.send(
              HttpRequest.newBuilder(URI.create(weather.replace("/weather", "/failing")))
                  .timeout(Duration.ofSeconds(90))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(before.add(PRICE).add(PRICE), balance(), String.valueOf(failing));
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  JsonNode officialClientPays(String path) {
    Map<String, String> env = new HashMap<>();
    env.put("PRIVATE_KEY", TestKit.key(DevAccounts.AGENT));
    env.put("NETWORK", chain.deployment().network());
    env.put("ASSET", usdc);
    env.put("MAX_AMOUNT", "10000");
    try (NodeScript client =
        NodeScript.start(
            "official-fetch-client.mjs", List.of(url(path)), env, TestKit.SCRIPT_TIMEOUT)) {
      JsonNode out = client.ready();
      assertTrue(out.path("ok").asBoolean(), out.toString());
      return out;
    }
  }

  /** Signs the route's 402 offer as a client would, with a payment-identifier when not null. */
  String sign(String path, Credentials payer, String paymentId) throws Exception {
    HttpResponse<String> r = get(path, null);
    assertEquals(402, r.statusCode());
    return Paying.signFirstOffer(r, payer, paymentId);
  }

  String url(String path) {
    return "http://127.0.0.1:" + provider.actualPort() + path;
  }

  HttpResponse<String> get(String path, String paymentSignature) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(90)).GET();
    if (paymentSignature != null) {
      b.header(HeaderCodec.PAYMENT_SIGNATURE, paymentSignature);
    }
    return TestKit.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  BigInteger balance() throws Exception {
    return TestKit.usdc(chain).balanceOf(payTo).send();
  }

  double verifyCalls() {
    return facilitator
        .facilitator()
        .metrics()
        .registry()
        .find("x402_verify_requests_total")
        .counters()
        .stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
