package io.attest402.x402.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.evm.TransferWithAuthorization;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;

@SuppressWarnings("unchecked")
class PayingHttpClientTest {
  static final String NETWORK = "eip155:31337";
  static final String ASSET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  static final String PAY_TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final Credentials PAYER =
      Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  static Vertx vertx;
  static HttpServer server;
  static final List<PaymentPayload> V1_PAYMENTS = new CopyOnWriteArrayList<>();

  /** Accepts every payment. */
  static final FacilitatorClient YES =
      new FacilitatorClient() {
        @Override
        public CompletableFuture<VerifyResponse> verify(PaymentPayload p, PaymentRequirements r) {
          return CompletableFuture.completedFuture(VerifyResponse.valid("0xp"));
        }

        @Override
        public CompletableFuture<SettleResponse> settle(PaymentPayload p, PaymentRequirements r) {
          return CompletableFuture.completedFuture(
              SettleResponse.success("0x" + "ee".repeat(32), NETWORK, "0xp"));
        }

        @Override
        public CompletableFuture<SupportedResponse> supported() {
          return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }
      };

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router
        .get("/paid")
        .handler(
            X402PaymentHandler.builder(YES)
                .accept(
                    PaymentOption.fixed(
                        NETWORK, ASSET, "USD Coin", "2", PAY_TO, BigInteger.valueOf(100)))
                .route((ctx, p) -> Future.succeededFuture(PaidResponse.text("content")))
                .build());
    router
        .get("/bad402")
        .handler(
            ctx ->
                ctx.response().setStatusCode(402).putHeader("PAYMENT-REQUIRED", "e30=!").end("{}"));
    router
        .get("/v1")
        .handler(
            ctx -> {
              String x = ctx.request().getHeader("X-PAYMENT");
              if (x == null) {
                ctx.response()
                    .setStatusCode(402)
                    .putHeader("Content-Type", "application/json")
                    .end(
                        "{\"x402Version\":1,"
                            + "\"error\":\"X-PAYMENT header is required\",\"accepts\":[{\"scheme\":\"exact\",\"network\":\"base-sepolia\","
                            + "\"maxAmountRequired\":\"50\",\"resource\":\"http://x/v1\",\"description\":\"\",\"mimeType\":\"\","
                            + "\"payTo\":\""
                            + PAY_TO
                            + "\",\"maxTimeoutSeconds\":60,\"asset\":\""
                            + ASSET
                            + "\","
                            + "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}}]}");
                return;
              }
              V1_PAYMENTS.add(HeaderCodec.DEFAULT.decodePaymentSignature(HeaderCodec.X_PAYMENT, x));
              ctx.response()
                  .putHeader(
                      "X-PAYMENT-RESPONSE",
                      HeaderCodec.DEFAULT.encodePaymentResponse(
                          SettleResponse.success("0x01", "base-sepolia", "0xp")))
                  .end("v1 content");
            });
    server = VertxTesting.listen(vertx, router);
  }

  @AfterAll
  static void stop() throws Exception {
    VertxTesting.await(vertx.close());
  }

  static HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .build();
  }

  static PayingHttpClient client(SpendPolicy policy, TrustHook trust) {
    return new PayingHttpClient(
        HttpClient.newHttpClient(), new Eip3009Signer(PAYER, Clock.systemUTC()), policy, trust);
  }

  @Test
  void sessionCapCountsWhatWasPaid() throws Exception {
    PayingHttpClient c =
        client(SpendPolicy.builder().maxPerSession(150).build(), TrustHook.allowAll());
    PaymentResult<String> first = c.send(get("/paid"), HttpResponse.BodyHandlers.ofString());
    PaymentResult.Paid<String> paid = assertInstanceOf(PaymentResult.Paid.class, first);
    assertEquals("content", paid.httpResponse().body());
    assertEquals("0x" + "ee".repeat(32), paid.settlement().transaction());
    assertEquals(BigInteger.valueOf(100), c.policy().spentOn(ASSET.toLowerCase()));
    PaymentResult.Refused<String> second =
        assertInstanceOf(
            PaymentResult.Refused.class,
            c.send(get("/paid"), HttpResponse.BodyHandlers.ofString()));
    assertEquals(Refusal.Code.NO_ACCEPTABLE_OFFER, second.refusal().code());
    assertTrue(
        second.refusal().reasons().get(0).contains("over the cap 150"),
        second.refusal().toString());
  }

  @Test
  void allowListsAreEnforced() throws Exception {
    for (SpendPolicy p :
        List.of(
            SpendPolicy.builder().allowNetworks("eip155:8453").build(),
            SpendPolicy.builder().allowAssets("0x036CbD53842c5426634e7929541eC2318f3dCF7e").build(),
            SpendPolicy.builder()
                .allowPayees("0x0000000000000000000000000000000000000001")
                .build())) {
      PaymentResult.Refused<String> r =
          assertInstanceOf(
              PaymentResult.Refused.class,
              client(p, TrustHook.allowAll())
                  .send(get("/paid"), HttpResponse.BodyHandlers.ofString()));
      assertTrue(r.refusal().reasons().get(0).contains("is not allowed"), r.refusal().toString());
    }
    // addresses compare case-insensitively
    PaymentResult<String> ok =
        client(
                SpendPolicy.builder()
                    .allowPayees(PAY_TO.toLowerCase())
                    .allowAssets(ASSET.toUpperCase().replace("0X", "0x"))
                    .build(),
                TrustHook.allowAll())
            .send(get("/paid"), HttpResponse.BodyHandlers.ofString());
    assertTrue(ok.isPaid());
  }

  @Test
  void theTrustHookSeesTheOfferAndAThrowingHookRefuses() throws Exception {
    List<TrustHook.Request> seen = new CopyOnWriteArrayList<>();
    PaymentResult<String> r =
        client(
                SpendPolicy.builder().build(),
                req -> {
                  seen.add(req);
                  throw new IllegalStateException("registry unreachable");
                })
            .send(get("/paid"), HttpResponse.BodyHandlers.ofString());
    PaymentResult.Refused<String> refused = assertInstanceOf(PaymentResult.Refused.class, r);
    assertEquals(Refusal.Code.TRUST_REFUSED, refused.refusal().code());
    assertEquals(List.of("trust check failed: registry unreachable"), refused.refusal().reasons());
    assertEquals(PAY_TO, seen.get(0).chosen().payTo());
    assertTrue(seen.get(0).url().toString().endsWith("/paid"));
  }

  @Test
  void malformed402IsARefusalWithTheProblem() throws Exception {
    PaymentResult.Refused<String> r =
        assertInstanceOf(
            PaymentResult.Refused.class,
            client(SpendPolicy.builder().build(), TrustHook.allowAll())
                .send(get("/bad402"), HttpResponse.BodyHandlers.ofString()));
    assertEquals(Refusal.Code.MALFORMED_PAYMENT_REQUIRED, r.refusal().code());
    assertTrue(
        r.refusal().reasons().get(0).contains("PAYMENT-REQUIRED header has '!'"),
        r.refusal().toString());
  }

  @Test
  void v1ServersArePaidWithXPayment() throws Exception {
    PaymentResult<String> r =
        client(SpendPolicy.builder().build(), TrustHook.allowAll())
            .send(get("/v1"), HttpResponse.BodyHandlers.ofString());
    PaymentResult.Paid<String> paid =
        assertInstanceOf(PaymentResult.Paid.class, r, String.valueOf(r));
    assertEquals("v1 content", paid.httpResponse().body());
    PaymentPayload sent = V1_PAYMENTS.get(V1_PAYMENTS.size() - 1);
    assertEquals(1, sent.x402Version());
    assertEquals("base-sepolia", sent.network());
    ExactEvmPayload ep = ExactEvmPayload.fromJson(sent.payload());
    assertEquals(BigInteger.valueOf(50), ep.authorization().value());
    byte[] digest =
        TransferWithAuthorization.digest(
            new Eip712Domain("USDC", "2", 84532, ASSET), ep.authorization());
    assertEquals(
        new Eip3009Signer(PAYER, Clock.systemUTC()).address(),
        Signatures.recover(digest, ep.signatureBytes()).orElseThrow());
    assertTrue(ep.authorization().validAfter().signum() > 0, "v1 signs validAfter = now - 600");
  }
}
