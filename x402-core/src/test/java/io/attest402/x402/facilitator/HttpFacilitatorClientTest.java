package io.attest402.x402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpFacilitatorClientTest {
  static Vertx vertx;
  static HttpServer server;
  static final List<JsonNode> BODIES = new CopyOnWriteArrayList<>();
  static final List<String> AUTH = new CopyOnWriteArrayList<>();
  static final List<String> KEYS = new CopyOnWriteArrayList<>();
  static final PaymentRequirements REQ =
      PaymentRequirements.exactEvm(
          "eip155:31337",
          BigInteger.TEN,
          "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          60,
          "USD Coin",
          "2");
  static final PaymentPayload PAYMENT =
      new PaymentPayload(
          new ResourceInfo("http://r", null, null),
          REQ,
          Wire.newObject().put("signature", "0x"),
          null);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    Router r = Router.router(vertx);
    r.route().handler(BodyHandler.create());
    r.post("/ok/verify")
        .handler(
            ctx -> {
              BODIES.add(X402Json.parse(ctx.body().asString()));
              AUTH.add(String.valueOf(ctx.request().getHeader("Authorization")));
              ctx.json(
                  new io.vertx.core.json.JsonObject().put("isValid", true).put("payer", "0xp"));
            });
    r.post("/cdp/verify")
        .handler(
            ctx ->
                ctx.response()
                    .setStatusCode(400)
                    .end(
                        "{\"isValid\":false,\"invalidReason\":\"invalid_payload\",\"payer\":\"0xp\"}"));
    r.post("/cdp/settle")
        .handler(
            ctx ->
                ctx.response()
                    .setStatusCode(500)
                    .end(
                        "{\"success\":false,\"errorReason\":\"settlement_pending\",\"transaction\":\"0xaa\",\"network\":\"eip155:1\"}"));
    r.post("/go/verify")
        .handler(
            ctx ->
                ctx.response()
                    .setStatusCode(500)
                    .end("{\"error\":\"invalid_exact_evm_signature: x\"}"));
    r.post("/garbage/verify").handler(ctx -> ctx.response().end("<html>"));
    r.post("/wrongshape/verify").handler(ctx -> ctx.response().end("{\"valid\":true}"));
    r.post("/huge/verify")
        .handler(
            ctx -> ctx.response().end("{\"isValid\":true,\"pad\":\"" + "x".repeat(5000) + "\"}"));
    r.post("/slow/verify")
        .handler(ctx -> vertx.setTimer(3000, t -> ctx.response().end("{\"isValid\":true}")));
    r.post("/ok/settle")
        .handler(
            ctx -> {
              KEYS.add(String.valueOf(ctx.request().getHeader("Idempotency-Key")));
              ctx.response()
                  .end("{\"success\":true,\"transaction\":\"0xaa\",\"network\":\"eip155:31337\"}");
            });
    r.get("/ok/supported")
        .handler(
            ctx ->
                ctx.response()
                    .end(
                        "{\"kinds\":[{\"x402Version\":2,\"scheme\":\"exact\","
                            + "\"network\":\"eip155:31337\"}],\"extensions\":[],\"signers\":{\"eip155:*\":[\"0xf\"]}}"));
    server = VertxTesting.listen(vertx, r);
  }

  @AfterAll
  static void stop() throws Exception {
    VertxTesting.await(vertx.close());
  }

  static HttpFacilitatorClient.Builder at(String prefix) {
    return HttpFacilitatorClient.builder(
        URI.create("http://127.0.0.1:" + server.actualPort() + prefix + "//"));
  }

  static FacilitatorException failure(java.util.concurrent.CompletableFuture<?> f) {
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(FacilitatorException.class, e.getCause());
  }

  @Test
  void sendsTheOfficialRequestShapeWithPerEndpointHeaders() throws Exception {
    HttpFacilitatorClient c =
        at("/ok")
            .headers(ep -> ep.equals("verify") ? Map.of("Authorization", "Bearer v") : Map.of())
            .build();
    VerifyResponse v = c.verify(PAYMENT, REQ).get(10, TimeUnit.SECONDS);
    assertTrue(v.isValid());
    JsonNode body = BODIES.get(BODIES.size() - 1);
    assertEquals(2, body.path("x402Version").asInt());
    assertEquals("10", body.path("paymentRequirements").path("amount").asText());
    assertEquals("exact", body.path("paymentPayload").path("accepted").path("scheme").asText());
    assertEquals("Bearer v", AUTH.get(AUTH.size() - 1));
    assertTrue(c.supported().get(10, TimeUnit.SECONDS).supports(2, "exact", "eip155:31337"));
  }

  @Test
  void everySettleCarriesAnIdempotencyKeyAndRetriesReuseTheCallers() throws Exception {
    HttpFacilitatorClient c = at("/ok").build();
    KEYS.clear();
    c.settle(PAYMENT, REQ).get(10, TimeUnit.SECONDS);
    c.settle(PAYMENT, REQ).get(10, TimeUnit.SECONDS);
    assertEquals(2, KEYS.size());
    assertTrue(HttpFacilitatorClient.isValidIdempotencyKey(KEYS.get(0)), KEYS.get(0));
    assertFalse(KEYS.get(0).equals(KEYS.get(1)), "a fresh key per paid request");
    c.settle(PAYMENT, REQ, "retry-key-1").get(10, TimeUnit.SECONDS);
    c.settle(PAYMENT, REQ, "retry-key-1").get(10, TimeUnit.SECONDS);
    assertEquals(List.of("retry-key-1", "retry-key-1"), KEYS.subList(2, 4));
    for (String bad : new String[] {"", "has space", "x".repeat(129), "caf\u00e9"}) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> c.settle(PAYMENT, REQ, bad).get(10, TimeUnit.SECONDS));
      assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }
    assertEquals(4, KEYS.size(), "an invalid key is never sent");
  }

  @Test
  void resultBodiesWithErrorStatusesAreResults() throws Exception {
    VerifyResponse v = at("/cdp").build().verify(PAYMENT, REQ).get(10, TimeUnit.SECONDS);
    assertFalse(v.isValid());
    assertEquals("invalid_payload", v.invalidReason());
    SettleResponse s = at("/cdp").build().settle(PAYMENT, REQ).get(10, TimeUnit.SECONDS);
    assertTrue(s.isPendingWithTransaction());
  }

  @Test
  void everythingElseIsATypedFailure() {
    FacilitatorException go = failure(at("/go").build().verify(PAYMENT, REQ));
    assertEquals(FacilitatorException.Kind.HTTP_STATUS, go.kind());
    assertEquals(500, go.status());
    assertTrue(go.getMessage().contains("invalid_exact_evm_signature: x"));
    assertEquals(
        FacilitatorException.Kind.BAD_RESPONSE,
        failure(at("/garbage").build().verify(PAYMENT, REQ)).kind());
    FacilitatorException shape = failure(at("/wrongshape").build().verify(PAYMENT, REQ));
    assertEquals(FacilitatorException.Kind.BAD_RESPONSE, shape.kind());
    assertTrue(shape.getMessage().contains("isValid"), shape.getMessage());
    FacilitatorException huge =
        failure(at("/huge").maxResponseBytes(1000).build().verify(PAYMENT, REQ));
    assertEquals(FacilitatorException.Kind.BAD_RESPONSE, huge.kind());
    assertTrue(huge.getMessage().contains("exceeds 1000 bytes"), huge.getMessage());
    FacilitatorException slow =
        failure(at("/slow").timeout(Duration.ofMillis(300)).build().verify(PAYMENT, REQ));
    assertEquals(FacilitatorException.Kind.TIMEOUT, slow.kind());
    assertEquals("Facilitator verify request timed out after 300ms", slow.getMessage());
    FacilitatorException down =
        failure(HttpFacilitatorClient.of("http://127.0.0.1:1").verify(PAYMENT, REQ));
    assertEquals(FacilitatorException.Kind.TRANSPORT, down.kind());
  }
}
