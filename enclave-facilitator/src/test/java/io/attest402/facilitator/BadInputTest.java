package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Anvil;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.store.SqliteSettlementStore;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * Malformed and unserved requests get a precise reason with 400/404/405/413, never a 500, a stack
 * trace or a hang; and with the chain node down, verify and settle answer 503 within the RPC bound,
 * saying nothing was broadcast.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  static final String USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  FacilitatorServer server;
  String url;
  String valid;

  @BeforeAll
  void setUp(@TempDir Path dir) {
    String deadRpc = "http://127.0.0.1:" + Anvil.freePort();
    NetworksConfig networks =
        new NetworksConfig(
            List.of(
                new NetworkConfig(
                    "eip155:31337", deadRpc, List.of(new AssetConfig(USDC, "USD Coin", "2", 6)))));
    FacilitatorOptions options =
        FacilitatorOptions.defaults()
            .withRpcTimeout(Duration.ofSeconds(1))
            .withBodyLimitBytes(16 * 1024);
    Facilitator f =
        Facilitator.create(
            networks,
            InMemoryEnclaveKey.generate(TestKit.RANDOM),
            SqliteSettlementStore.open(dir.resolve("j.db"), Clock.systemUTC()),
            Clock.systemUTC(),
            options,
            ReceiptIssuer.NONE,
            new FacilitatorMetrics());
    server = new FacilitatorServer(f, options, "127.0.0.1", 0);
    server.start();
    url = TestKit.url(server);
    Credentials payer =
        Credentials.create(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(424242), 64));
    String payTo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    PaymentRequirements req =
        PaymentRequirements.exactEvm(
            "eip155:31337", BigInteger.valueOf(1000), USDC, payTo, 300, "USD Coin", "2");
    valid =
        TestKit.body(
            req,
            TestKit.sign(
                Eip712Domain.of(req),
                TestKit.auth(payer.getAddress(), payTo, BigInteger.valueOf(1000)),
                payer));
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  private ObjectNode v() {
    return TestKit.mutable(valid);
  }

  private static ObjectNode at(ObjectNode root, String... path) {
    ObjectNode n = root;
    for (String p : path) {
      n = (ObjectNode) n.get(p);
    }
    return n;
  }

  private void expect(String body, int status, String reason, String mentions) {
    for (String endpoint : List.of("/verify", "/settle")) {
      TestKit.Answer a = TestKit.post(url + endpoint, body);
      String where = endpoint + " " + a.text();
      assertEquals(status, a.status(), where);
      assertTrue(a.json() != null, "JSON body: " + where);
      String field = endpoint.equals("/verify") ? "invalidReason" : "errorReason";
      assertEquals(reason, a.json().path(field).asText(), where);
      String msg =
          a.json().path(endpoint.equals("/verify") ? "invalidMessage" : "errorMessage").asText();
      assertTrue(msg.contains(mentions), "message should mention '" + mentions + "': " + where);
      assertFalse(
          a.text().contains("at io.") || a.text().contains("Exception"),
          "no stack trace: " + where);
      if (endpoint.equals("/settle")) {
        assertFalse(a.json().path("success").asBoolean());
        assertEquals("", a.json().path("transaction").asText());
      } else {
        assertFalse(a.json().path("isValid").asBoolean());
      }
    }
  }

  @Test
  void malformedJson() {
    expect("{\"x402Version\": 2, \"paymentPayload\": ", 400, "invalid_payload", "not valid JSON");
    expect("", 400, "invalid_payload", "JSON");
    expect("[1,2]", 400, "invalid_payload", "object");
  }

  @Test
  void missingAndWronglyTypedFields() {
    ObjectNode b = v();
    b.remove("paymentRequirements");
    expect(b.toString(), 400, "invalid_payment_requirements", "paymentRequirements");
    b = v();
    b.remove("paymentPayload");
    expect(b.toString(), 400, "invalid_payload", "paymentPayload");
    b = v();
    at(b, "paymentRequirements").put("amount", 1000);
    expect(b.toString(), 400, "invalid_payment_requirements", "paymentRequirements.amount");
    b = v();
    at(b, "paymentRequirements").put("maxTimeoutSeconds", "soon");
    expect(b.toString(), 400, "invalid_payment_requirements", "maxTimeoutSeconds");
    b = v();
    at(b, "paymentPayload", "payload", "authorization").put("value", "-5");
    expect(b.toString(), 400, "invalid_payload", "value");
  }

  @Test
  void badHex() {
    ObjectNode b = v();
    at(b, "paymentPayload", "payload").put("signature", "0xZZ12");
    expect(b.toString(), 400, "invalid_payload", "signature");
    b = v();
    at(b, "paymentPayload", "payload", "authorization").put("from", "0x1234");
    expect(b.toString(), 400, "invalid_payload", "from");
  }

  @Test
  void unservedSchemeVersionNetworkAsset() {
    ObjectNode b = v();
    at(b, "paymentRequirements").put("scheme", "stream");
    expect(b.toString(), 400, "unsupported_scheme", "\"stream\"");
    b = v();
    at(b, "paymentPayload").put("x402Version", 7);
    expect(b.toString(), 400, "invalid_x402_version", "7");
    b = v();
    at(b, "paymentRequirements").put("network", "eip155:1");
    expect(b.toString(), 400, "invalid_network", "eip155:1");
    b = v();
    at(b, "paymentRequirements").put("network", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp");
    expect(b.toString(), 400, "invalid_network", "solana:");
    b = v();
    at(b, "paymentRequirements").put("asset", "0x1111111111111111111111111111111111111111");
    expect(
        b.toString(),
        400,
        "invalid_payment_requirements",
        "0x1111111111111111111111111111111111111111");
  }

  @Test
  void oversizedBody() {
    String big = "{\"pad\":\"" + "x".repeat(32 * 1024) + "\"}";
    for (String endpoint : List.of("/verify", "/settle")) {
      TestKit.Answer a = TestKit.post(url + endpoint, big);
      assertEquals(413, a.status(), a.text());
      assertTrue(a.text().contains("exceeds"), a.text());
    }
  }

  @Test
  void routesAndMethods() {
    TestKit.Answer a = TestKit.get(url + "/verify");
    assertEquals(405, a.status(), a.text());
    assertTrue(a.json().path("error").isTextual());
    a = TestKit.get(url + "/nope");
    assertEquals(404, a.status(), a.text());
    a = TestKit.get(url + "/settlements/xyz");
    assertEquals(400, a.status(), a.text());
    a = TestKit.get(url + "/settlements/0x" + "ab".repeat(32));
    assertEquals(404, a.status(), a.text());
    a = TestKit.get(url + "/receipts?from=zero");
    assertEquals(400, a.status(), a.text());
    a = TestKit.send(HttpRequest.newBuilder(URI.create(url + "/settle")).DELETE().build());
    assertEquals(405, a.status(), a.text());
  }

  @Test
  void chainNodeDownIsA503WithinTheBound() {
    for (String endpoint : List.of("/verify", "/settle")) {
      long t0 = System.nanoTime();
      TestKit.Answer a = TestKit.post(url + endpoint, valid);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(503, a.status(), endpoint + " " + a.text());
      assertTrue(ms < 8_000, endpoint + " took " + ms + " ms");
      String field = endpoint.equals("/verify") ? "invalidMessage" : "errorMessage";
      assertTrue(a.json().path(field).asText().contains("unavailable"), a.text());
    }
    assertEquals("degraded", TestKit.get(url + "/health").json().path("status").asText());
    assertEquals(
        404,
        TestKit.get(url + "/settlements/" + TestKit.nonceOf(valid)).status(),
        "nothing journaled when nothing could be broadcast");
  }
}
