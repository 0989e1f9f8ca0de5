package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.SettleResponse;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code payment-identifier} across the official SDK and our facilitator: the official {@code
 * @x402/express} server declares the official extension and settles through ours; a payer (the
 * official {@code @x402/fetch} client with the official extension, or our {@link PayingHttpClient})
 * pays, then retries with the identical payment, as after a lost response: the retry gets the
 * stored outcome (the same transaction) and nothing moves twice. The official server keeps no
 * deliveries, so the stored outcome comes from our facilitator: /verify answers a settled payment
 * with its id as it did the first time, /settle with its first outcome.
 */
@ExtendWith(ChainExtension.class)
class PaymentIdentifierInteropTest {
  static final BigInteger PRICE = BigInteger.valueOf(3_100);

  @Test
  void aRetryWithTheSameIdGetsTheStoredOutcomeOnBothClients(Chain chain, @TempDir Path dir)
      throws Exception {
    FacilitatorServer facilitator =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_URL", TestKit.url(facilitator));
    env.put("PAY_TO", payTo);
    env.put("ASSET", chain.deployment().contracts().usdc());
    env.put("AMOUNT", PRICE.toString());
    env.put("PAYMENT_IDENTIFIER", "optional");
    try (NodeScript server =
        NodeScript.start("facilitator-paid-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      String weather = server.ready().path("url").asText();

      // the official client with the official extension
      BigInteger before = balance(chain, payTo);
      String id = PaymentIdentifier.generate();
      Map<String, String> clientEnv =
          Map.of("URL", weather, "PRIVATE_KEY", TestKit.key(DevAccounts.AGENT), "PAYMENT_ID", id);
      try (NodeScript client =
          NodeScript.start(
              "official-pay-with-id.mjs", List.of(), clientEnv, TestKit.SCRIPT_TIMEOUT)) {
        JsonNode out = client.ready();
        assertEquals(id, out.path("sentId").asText(), out.toString());
        JsonNode first = out.path("first");
        JsonNode retry = out.path("retry");
        assertEquals(200, first.path("status").asInt(), out.toString());
        assertTrue(first.path("paymentResponse").path("success").asBoolean(), out.toString());
        assertEquals(200, retry.path("status").asInt(), "the retry is served: " + out);
        assertTrue(retry.path("paymentResponse").path("success").asBoolean(), out.toString());
        assertEquals(
            first.path("paymentResponse").path("transaction").asText(),
            retry.path("paymentResponse").path("transaction").asText(),
            "the stored outcome, not a second settlement");
      }
      assertEquals(before.add(PRICE), balance(chain, payTo), "paid once");

      // our client: it adds an id because the offer declares the extension
      PayingHttpClient ours =
          new PayingHttpClient(
              HttpClient.newHttpClient(),
              new Eip3009Signer(chain.account(DevAccounts.AGENT), Clock.systemUTC()),
              SpendPolicy.builder().maxPerRequest(10_000).build(),
              TrustHook.allowAll());
      PaymentResult<String> result =
          ours.send(
              HttpRequest.newBuilder(URI.create(weather)).timeout(Duration.ofSeconds(90)).build(),
              HttpResponse.BodyHandlers.ofString());
      PaymentResult.Paid<String> paid =
          assertInstanceOf(PaymentResult.Paid.class, result, String.valueOf(result));
      assertTrue(PaymentIdentifier.extract(paid.payment()).present(), "our client sent an id");
      HttpResponse<String> again =
          TestKit.HTTP.send(
              HttpRequest.newBuilder(URI.create(weather))
                  .timeout(Duration.ofSeconds(90))
                  .header(
                      HeaderCodec.PAYMENT_SIGNATURE,
                      HeaderCodec.DEFAULT.encodePaymentSignature(paid.payment()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, again.statusCode(), again.body());
      SettleResponse stored =
          HeaderCodec.DEFAULT.decodePaymentResponse(
              again.headers().firstValue(HeaderCodec.PAYMENT_RESPONSE).orElseThrow());
      assertEquals(paid.settlement().transaction(), stored.transaction());
      assertEquals(before.add(PRICE).add(PRICE), balance(chain, payTo), "each payment once");
    } finally {
      facilitator.stop();
    }
  }

  /**
   * The other direction: the official client with the official extension pays our Vert.x route
   * (declaring {@code payment-identifier}) through our facilitator and retries with the identical
   * payment; our handler answers the retry with the response it stored, running and settling
   * nothing again.
   */
  @Test
  void theOfficialClientsRetryOfOurRouteGetsTheStoredResponse(Chain chain, @TempDir Path dir)
      throws Exception {
    FacilitatorServer facilitator =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    Vertx vertx = Vertx.vertx();
    AtomicInteger served = new AtomicInteger();
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    var d = chain.deployment();
    try {
      Router router = Router.router(vertx);
      router
          .get("/weather")
          .handler(
              X402PaymentHandler.builder(HttpFacilitatorClient.of(TestKit.url(facilitator)))
                  .accept(
                      PaymentOption.fixed(
                          d.network(),
                          d.contracts().usdc(),
                          d.usdc().name(),
                          d.usdc().version(),
                          payTo,
                          PRICE))
                  .paymentIdentifier(false)
                  .route(
                      (ctx, p) ->
                          Future.succeededFuture(
                              PaidResponse.json(
                                  "{\"report\":\"sunny\",\"n\":" + served.incrementAndGet() + "}")))
                  .build());
      HttpServer server = VertxTesting.listen(vertx, router);
      BigInteger before = balance(chain, payTo);
      String id = PaymentIdentifier.generate();
      Map<String, String> clientEnv =
          Map.of(
              "URL",
              "http://127.0.0.1:" + server.actualPort() + "/weather",
              "PRIVATE_KEY",
              TestKit.key(DevAccounts.AGENT),
              "PAYMENT_ID",
              id);
      try (NodeScript client =
          NodeScript.start(
              "official-pay-with-id.mjs", List.of(), clientEnv, TestKit.SCRIPT_TIMEOUT)) {
        JsonNode out = client.ready();
        assertEquals(id, out.path("sentId").asText(), out.toString());
        JsonNode first = out.path("first");
        JsonNode retry = out.path("retry");
        assertEquals(200, first.path("status").asInt(), out.toString());
        assertEquals(200, retry.path("status").asInt(), out.toString());
        assertEquals(first.path("body"), retry.path("body"), "the stored response");
        assertEquals(first.path("paymentResponse"), retry.path("paymentResponse"));
        assertTrue(first.path("paymentResponse").path("success").asBoolean(), out.toString());
      }
      assertEquals(1, served.get(), "the retry ran nothing");
      assertEquals(before.add(PRICE), balance(chain, payTo), "paid once");
    } finally {
      VertxTesting.await(vertx.close());
      facilitator.stop();
    }
  }

  static BigInteger balance(Chain chain, String who) throws Exception {
    return TestKit.usdc(chain).balanceOf(who).send();
  }
}
