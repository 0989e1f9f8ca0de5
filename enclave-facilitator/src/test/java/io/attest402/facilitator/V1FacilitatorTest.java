package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * x402 v1 at the facilitator: payments made by the official v1 client path ({@code @x402/core}
 * x402Client with the {@code @x402/evm} v1 exact scheme, interop/official-v1-payload.mjs) verify
 * and settle here, and a corpus of bad v1 requests gets the answers of the official facilitator
 * with v1 registered (interop/official-facilitator.mjs registers it for every legacy name). The v1
 * names know no 31337, so the chain is an anvil with base-sepolia's chain id 84532.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class V1FacilitatorTest {
  static final long BASE_SEPOLIA = 84532;
  static final String V1_NETWORK = "base-sepolia";
  static final BigInteger AMOUNT = BigInteger.valueOf(10_000);

  Chain chain;
  FacilitatorServer server;
  String url;
  String payTo;
  String usdc;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    chain = Chain.start(Anvil.Options.defaults().chainId(BASE_SEPOLIA));
    TestKit.installMulticall3(chain);
    server =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    url = TestKit.url(server);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    usdc = chain.deployment().contracts().usdc();
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
    if (chain != null) {
      chain.close();
    }
  }

  /** A v1 offer as a v1 resource server's 402 {@code accepts[0]} carries it. */
  ObjectNode offer(String network, BigInteger amount, String to, int timeout) {
    ObjectNode o = Wire.newObject();
    o.put("scheme", "exact");
    o.put("network", network);
    o.put("maxAmountRequired", amount.toString());
    o.put("resource", "http://localhost/weather");
    o.put("description", "Weather");
    o.put("mimeType", "application/json");
    o.put("payTo", to);
    o.put("maxTimeoutSeconds", timeout);
    o.put("asset", usdc);
    ObjectNode extra = o.putObject("extra");
    extra.put("name", chain.deployment().usdc().name());
    extra.put("version", chain.deployment().usdc().version());
    return o;
  }

  ObjectNode offer() {
    return offer(V1_NETWORK, AMOUNT, payTo, 300);
  }

  /** The v1 payment the official v1 client makes for {@code offer} with dev account {@code who}. */
  static ObjectNode officialPayment(ObjectNode offer, int who) {
    Map<String, String> env =
        Map.of("PRIVATE_KEY", TestKit.key(who), "REQUIREMENTS", X402Json.write(offer));
    try (NodeScript s =
        NodeScript.start("official-v1-payload.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      JsonNode out = s.ready();
      assertTrue(out.path("paymentPayload").isObject(), out.toString());
      return (ObjectNode) out.path("paymentPayload");
    }
  }

  static String body(JsonNode payment, JsonNode requirements) {
    ObjectNode o = Wire.newObject();
    o.put("x402Version", 1);
    o.set("paymentPayload", payment.deepCopy());
    o.set("paymentRequirements", requirements.deepCopy());
    return X402Json.write(o);
  }

  @Test
  void anOfficialV1PaymentVerifiesAndSettlesOnce() throws Exception {
    ObjectNode offer = offer();
    ObjectNode payment = officialPayment(offer, DevAccounts.AGENT);
    assertEquals(1, payment.path("x402Version").asInt(), payment.toString());
    assertEquals(V1_NETWORK, payment.path("network").asText());
    String agent = chain.account(DevAccounts.AGENT).getAddress();
    BigInteger before = TestKit.usdc(chain).balanceOf(payTo).send();

    TestKit.Answer v = TestKit.post(url + "/verify", body(payment, offer));
    assertEquals(200, v.status(), v.text());
    assertTrue(v.json().path("isValid").asBoolean(), v.text());
    assertTrue(v.json().path("payer").asText().equalsIgnoreCase(agent), v.text());

    String key = "v1-" + TestKit.nonce();
    TestKit.Answer s = TestKit.post(url + "/settle", body(payment, offer), key);
    assertEquals(200, s.status(), s.text());
    assertTrue(s.json().path("success").asBoolean(), s.text());
    // the official v1 facilitator answers with the payload's v1 network name
    assertEquals(V1_NETWORK, s.json().path("network").asText(), s.text());
    String tx = s.json().path("transaction").asText();
    assertTrue(tx.matches("0x[0-9a-f]{64}"), s.text());
    assertTrue(
        s.json().path("extensions").path("attest402-receipt").path("jws").isTextual(), s.text());
    assertEquals(before.add(AMOUNT), TestKit.usdc(chain).balanceOf(payTo).send());
    String nonce = payment.path("payload").path("authorization").path("nonce").asText();
    assertEquals(1, TestKit.authorizationUsedCount(chain, agent, nonce));

    // the retry with its key gets the outcome; the same authorization as a v2 request on the
    // same chain is the same payment: nothing is sent again
    TestKit.Answer retry = TestKit.post(url + "/settle", body(payment, offer), key);
    assertEquals(tx, retry.json().path("transaction").asText(), retry.text());
    ExactEvmPayload asV2 = ExactEvmPayload.fromJson(payment.path("payload"), "payload");
    TestKit.Answer v2 =
        TestKit.post(
            url + "/settle", TestKit.body(TestKit.requirements(chain, usdc, payTo, AMOUNT), asV2));
    assertFalse(v2.json().path("success").asBoolean(), v2.text());
    assertEquals(
        "invalid_exact_evm_nonce_already_used", v2.json().path("errorReason").asText(), v2.text());
    assertEquals(1, TestKit.authorizationUsedCount(chain, agent, nonce));
    JsonNode status = TestKit.get(url + "/settlements/" + tx).json();
    assertEquals("settled", status.path("status").asText(), status.toString());
  }

  @Test
  void v1RequestsForNetworksNotServedAre400() {
    ObjectNode caip2 = offer("eip155:" + BASE_SEPOLIA, AMOUNT, payTo, 300);
    ObjectNode payment = officialPayment(offer(), DevAccounts.AGENT);
    TestKit.Answer a = TestKit.post(url + "/verify", body(payment, caip2));
    assertEquals(400, a.status(), a.text());
    assertEquals("invalid_network", a.json().path("invalidReason").asText(), a.text());
    assertTrue(a.text().contains("base-sepolia"), a.text());

    ObjectNode base = offer("base", AMOUNT, payTo, 300);
    TestKit.Answer b = TestKit.post(url + "/settle", body(payment, base));
    assertEquals(400, b.status(), b.text());
    assertEquals("invalid_network", b.json().path("errorReason").asText(), b.text());
  }

  record Case(String name, String body, boolean settleToo) {}

  @Test
  void badV1PaymentsGetTheOfficialV1Answers() throws Exception {
    List<Case> cases = new ArrayList<>();
    ObjectNode offer = offer();
    ObjectNode good = officialPayment(offer, DevAccounts.AGENT);
    cases.add(new Case("valid", body(good, offer), false));

    ObjectNode otherScheme = good.deepCopy();
    otherScheme.put("scheme", "upto");
    cases.add(new Case("payload scheme", body(otherScheme, offer), true));

    ObjectNode otherNet = good.deepCopy();
    otherNet.put("network", "base");
    cases.add(new Case("payload network mismatch", body(otherNet, offer), true));
    ObjectNode unknownNet = good.deepCopy();
    unknownNet.put("network", "no-such-net");
    cases.add(new Case("payload network unknown", body(unknownNet, offer), true));

    ObjectNode noName = offer.deepCopy();
    ((ObjectNode) noName.get("extra")).remove("name");
    cases.add(new Case("missing domain", body(good, noName), true));

    ObjectNode tampered = good.deepCopy();
    ((ObjectNode) tampered.path("payload").path("authorization")).put("nonce", TestKit.nonce());
    cases.add(new Case("signature", body(tampered, offer), true));

    ObjectNode otherPayTo = offer.deepCopy();
    otherPayTo.put("payTo", chain.account(7).getAddress());
    cases.add(new Case("recipient", body(good, otherPayTo), true));

    ObjectNode more = offer.deepCopy();
    more.put("maxAmountRequired", AMOUNT.add(BigInteger.ONE).toString());
    cases.add(new Case("amount", body(good, more), true));

    ObjectNode shortOffer = offer(V1_NETWORK, AMOUNT, payTo, 3);
    cases.add(
        new Case(
            "valid before",
            body(officialPayment(shortOffer, DevAccounts.AGENT), shortOffer),
            true));

    // validAfter in the future: the official client always signs now - 600, so sign it here
    String from = chain.account(DevAccounts.AGENT).getAddress();
    ExactEvmPayload early =
        TestKit.sign(
            new Eip712Domain(
                chain.deployment().usdc().name(),
                chain.deployment().usdc().version(),
                BASE_SEPOLIA,
                usdc),
            new ExactEvmPayload.Authorization(
                from,
                payTo,
                AMOUNT,
                BigInteger.valueOf(TestKit.now() + 120),
                BigInteger.valueOf(TestKit.now() + 600),
                TestKit.nonce()),
            chain.account(DevAccounts.AGENT));
    ObjectNode earlyPayment = good.deepCopy();
    earlyPayment.set("payload", early.toJson());
    cases.add(new Case("valid after", body(earlyPayment, offer), true));

    cases.add(new Case("balance", body(officialPayment(offer, 6), offer), false));

    ObjectNode wrongName = offer.deepCopy();
    ((ObjectNode) wrongName.get("extra")).put("name", "Wrong Coin");
    cases.add(
        new Case(
            "token name", body(officialPayment(wrongName, DevAccounts.AGENT), wrongName), false));

    ObjectNode used = officialPayment(offer, DevAccounts.AGENT);
    ExactEvmPayload u = ExactEvmPayload.fromJson(used.path("payload"), "payload");
    ExactEvmPayload.Authorization ua = u.authorization();
    TestKit.usdc(chain)
        .transferWithAuthorization(
            ua.from(),
            ua.to(),
            ua.value(),
            ua.validAfter(),
            ua.validBefore(),
            ua.nonceBytes(),
            u.signatureBytes())
        .send();
    cases.add(new Case("nonce used", body(used, offer), false));

    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_PRIVATE_KEY", TestKit.key(8));
    try (NodeScript official =
        NodeScript.start("official-facilitator.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      String officialUrl = official.ready().path("url").asText();
      List<String> differ = new ArrayList<>();
      List<String> answers = new ArrayList<>();
      for (Case c : cases) {
        String ours = verdict(TestKit.post(url + "/verify", c.body()), "isValid", "invalidReason");
        String theirs =
            verdict(TestKit.post(officialUrl + "/verify", c.body()), "isValid", "invalidReason");
        answers.add(c.name() + ": " + ours);
        if (!ours.equals(theirs)) {
          differ.add("verify " + c.name() + ": ours " + ours + ", official " + theirs);
        }
        if (c.settleToo()) {
          String os = verdict(TestKit.post(url + "/settle", c.body()), "success", "errorReason");
          String ts =
              verdict(TestKit.post(officialUrl + "/settle", c.body()), "success", "errorReason");
          if (!os.equals(ts)) {
            differ.add("settle " + c.name() + ": ours " + os + ", official " + ts);
          }
        }
      }
      assertEquals(List.of(), differ);
      // the corpus reaches every v1 reason, not just agreement on a few
      assertEquals("valid: true -", answers.get(0));
      assertEquals(
          cases.size() - 1,
          answers.stream().filter(a -> a.contains(": false invalid_exact_evm_")).count(),
          answers.toString());
      long reasons = answers.stream().map(a -> a.substring(a.indexOf(':'))).distinct().count();
      assertTrue(reasons >= 10, reasons + " distinct answers: " + answers);
    }
  }

  private static String verdict(TestKit.Answer a, String ok, String reason) {
    if (a.json() == null || !a.json().has(ok)) {
      return a.status() + " " + a.text();
    }
    return a.json().path(ok).asText() + " " + a.json().path(reason).asText("-");
  }
}
