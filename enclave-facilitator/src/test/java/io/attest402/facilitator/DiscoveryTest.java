package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.extensions.Bazaar;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.DeliveryStore;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaidRoute;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

/**
 * Bazaar discovery: our Vert.x handler declares {@code bazaar}; the official {@code @x402/fetch}
 * client pays through our facilitator; the facilitator catalogs the settled resource and the
 * official discovery client ({@code withBazaar(HTTPFacilitatorClient).listResources}) lists it, and
 * the SDK's validator accepts the listed declaration. A 402 alone, a refused payment, or a paid
 * route without the declaration lists nothing.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DiscoveryTest {
  static final BigInteger PRICE = BigInteger.valueOf(1_700);

  Chain chain;
  FacilitatorServer facilitator;
  String facilitatorUrl;
  String payTo;
  String usdc;
  Vertx vertx;
  HttpServer provider;
  DeliveryStore deliveries;

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
    PaymentOption option =
        PaymentOption.fixed(
            chain.deployment().network(),
            usdc,
            chain.deployment().usdc().name(),
            chain.deployment().usdc().version(),
            payTo,
            PRICE);
    PaidRoute work =
        (ctx, p) ->
            Future.succeededFuture(
                PaidResponse.json(X402Json.write(Wire.newObject().put("report", "sunny"))));
    Router router = Router.router(vertx);
    for (String path : List.of("/weather", "/forecast")) {
      router
          .get(path)
          .handler(
              X402PaymentHandler.builder(HttpFacilitatorClient.of(facilitatorUrl))
                  .accept(option)
                  .route(work)
                  .deliveryStore(deliveries)
                  .description("Weather report")
                  .mimeType("application/json")
                  .bazaar(
                      Bazaar.declaration(
                          "GET",
                          null,
                          Wire.newObject().put("city", "Berlin"),
                          X402Json.parse(
                              "{\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"),
                          Wire.newObject().put("report", "sunny")))
                  .build());
    }
    router
        .get("/plain")
        .handler(
            X402PaymentHandler.builder(HttpFacilitatorClient.of(facilitatorUrl))
                .accept(option)
                .route(work)
                .deliveryStore(deliveries)
                .build());
    provider = VertxTesting.listen(vertx, router);
  }

  @AfterAll
  void tearDown() throws Exception {
    if (provider != null) {
      VertxTesting.await(provider.close());
    }
    if (vertx != null) {
      VertxTesting.await(vertx.close());
    }
    if (deliveries != null) {
      deliveries.close();
    }
    if (facilitator != null) {
      facilitator.stop();
    }
  }

  @Test
  void aSettledBazaarResourceIsListedToTheOfficialDiscoveryClient() throws Exception {
    // a 402 alone lists nothing, nor does a refused payment
    assertEquals(402, get("/weather", null).statusCode());
    Credentials broke = Credentials.create(Keys.createEcKeyPair());
    assertEquals(402, get("/forecast", sign("/forecast", broke)).statusCode());
    assertEquals(0, officialList(Map.of()).path("result").path("pagination").path("total").asInt());

    JsonNode paid = officialClientPays("/weather");
    assertEquals(200, paid.path("status").asInt(), paid.toString());
    // a paid route that does not declare bazaar is not listed
    assertEquals(200, officialClientPays("/plain").path("status").asInt());

    JsonNode out = officialList(Map.of());
    JsonNode result = out.path("result");
    assertEquals(2, result.path("x402Version").asInt());
    assertEquals(1, result.path("pagination").path("total").asInt(), out.toString());
    JsonNode item = result.path("items").path(0);
    assertEquals(url("/weather"), item.path("resource").asText());
    assertEquals("http", item.path("type").asText());
    assertEquals("Weather report", item.path("description").asText());
    assertEquals(payTo, item.path("accepts").path(0).path("payTo").asText());
    assertEquals(PRICE.toString(), item.path("accepts").path(0).path("amount").asText());
    JsonNode input = item.path("extensions").path("bazaar").path("info").path("input");
    assertEquals("GET", input.path("method").asText());
    assertEquals("Berlin", input.path("queryParams").path("city").asText());
    assertTrue(out.path("valid").path(0).asBoolean(), "the SDK validates it: " + out);

    // filters and paging as the official client sends them
    assertEquals(1, total(Map.of("payTo", payTo.toLowerCase(), "network", network())));
    assertEquals(1, total(Map.of("type", "http", "scheme", "exact", "extensions", "bazaar")));
    assertEquals(0, total(Map.of("payTo", chain.account(DevAccounts.AGENT).getAddress())));
    assertEquals(0, total(Map.of("type", "mcp")));
    assertEquals(0, total(Map.of("network", "eip155:1")));
    JsonNode page = officialList(Map.of("limit", 1, "offset", 1)).path("result");
    assertEquals(0, page.path("items").size());
    assertEquals(1, page.path("pagination").path("limit").asInt());
    assertEquals(1, page.path("pagination").path("offset").asInt());

    // a second payment for the same resource refreshes its entry, it adds none
    officialClientPays("/weather");
    assertEquals(1, total(Map.of()));
  }

  @Test
  void malformedListingParametersAre400() {
    for (String q :
        List.of("limit=0", "limit=1001", "limit=x", "offset=-1", "extensions=%25", "extensions=")) {
      TestKit.Answer a = TestKit.get(facilitatorUrl + "/discovery/resources?" + q);
      assertEquals(400, a.status(), q + ": " + a.text());
      assertTrue(a.json().path("error").asText().length() > 0, a.text());
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  String network() {
    return chain.deployment().network();
  }

  int total(Map<String, Object> params) {
    return officialList(params).path("result").path("pagination").path("total").asInt(-1);
  }

  JsonNode officialList(Map<String, Object> params) {
    Map<String, String> env = new HashMap<>();
    env.put("FACILITATOR_URL", facilitatorUrl);
    var json = Wire.newObject();
    params.forEach(
        (k, v) -> {
          if (v instanceof Integer i) {
            json.put(k, i);
          } else {
            json.put(k, String.valueOf(v));
          }
        });
    env.put("PARAMS", X402Json.write(json));
    try (NodeScript s =
        NodeScript.start("official-discovery.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      JsonNode out = s.ready();
      assertTrue(out.path("ok").asBoolean(), out.toString());
      return out;
    }
  }

  JsonNode officialClientPays(String path) {
    Map<String, String> env = new HashMap<>();
    env.put("PRIVATE_KEY", TestKit.key(DevAccounts.AGENT));
    env.put("NETWORK", network());
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

  String sign(String path, Credentials payer) throws Exception {
    HttpResponse<String> r = get(path, null);
    PaymentRequired pr =
        HeaderCodec.DEFAULT.decodePaymentRequired(
            r.headers().firstValue(HeaderCodec.PAYMENT_REQUIRED).orElseThrow());
    PaymentRequirements chosen = pr.accepts().get(0);
    return HeaderCodec.DEFAULT.encodePaymentSignature(
        new PaymentPayload(
            pr.resource(),
            chosen,
            new Eip3009Signer(payer, Clock.systemUTC()).sign(chosen).toJson(),
            pr.extensions()));
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
}
