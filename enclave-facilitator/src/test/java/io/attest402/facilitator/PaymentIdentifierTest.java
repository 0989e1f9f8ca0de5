package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import java.math.BigInteger;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The {@code payment-identifier} extension at the facilitator: same id and same payment → the
 * stored outcome (nothing sent twice); same id and another payment → 409; declared {@code required:
 * true} without an id → 400; a malformed id → 400; the binding survives a restart.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PaymentIdentifierTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(4_321);

  Chain chain;
  Path dir;
  FacilitatorServer server;
  String url;
  String payTo;
  Credentials agent;

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    this.chain = chain;
    this.dir = dir;
    server = start();
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    agent = chain.account(DevAccounts.AGENT);
  }

  FacilitatorServer start() throws Exception {
    FacilitatorServer s =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    url = TestKit.url(s);
    return s;
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  /** A fresh signed payment carrying {@code extensions}. */
  String payment(ObjectNode extensions) {
    PaymentRequirements req =
        TestKit.requirements(chain, chain.deployment().contracts().usdc(), payTo, AMOUNT);
    var signed =
        TestKit.sign(Eip712Domain.of(req), TestKit.auth(agent.getAddress(), payTo, AMOUNT), agent);
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/weather", "Weather", "application/json"),
            req,
            signed.toJson(),
            extensions);
    return X402Json.write(new FacilitatorRequest(p, req).toJson());
  }

  static ObjectNode declared(boolean required, String id) {
    ObjectNode ext = io.attest402.x402.types.Wire.newObject();
    ext.set(PaymentIdentifier.KEY, PaymentIdentifier.declaration(required));
    return id == null ? ext : PaymentIdentifier.appendTo(ext, id);
  }

  @Test
  void aRetryWithTheSameIdAndPaymentGetsTheStoredOutcome() throws Exception {
    String id = PaymentIdentifier.generate();
    String body = payment(declared(false, id));
    TestKit.Answer first = TestKit.post(url + "/settle", body);
    assertTrue(first.json().path("success").asBoolean(), first.text());
    String tx = first.json().path("transaction").asText();

    // no Idempotency-Key header: the payment id alone makes it a retry
    TestKit.Answer again = TestKit.post(url + "/settle", body);
    assertEquals(200, again.status(), again.text());
    assertTrue(again.json().path("success").asBoolean(), again.text());
    assertEquals(tx, again.json().path("transaction").asText());
    assertEquals(
        1, TestKit.authorizationUsedCount(chain, agent.getAddress(), TestKit.nonceOf(body)));

    // the binding is in the journal: a restarted facilitator answers the same
    server.stop();
    server = start();
    TestKit.Answer afterRestart = TestKit.post(url + "/settle", body);
    assertEquals(tx, afterRestart.json().path("transaction").asText(), afterRestart.text());
    TestKit.Answer conflict = TestKit.post(url + "/settle", payment(declared(false, id)));
    assertEquals(409, conflict.status(), conflict.text());
  }

  @Test
  void theSameIdWithAnotherPaymentIs409AndNothingIsSent() throws Exception {
    String id = PaymentIdentifier.generate();
    TestKit.Answer first = TestKit.post(url + "/settle", payment(declared(true, id)));
    assertTrue(first.json().path("success").asBoolean(), first.text());

    String other = payment(declared(true, id));
    TestKit.Answer verify = TestKit.post(url + "/verify", other);
    assertEquals(409, verify.status(), verify.text());
    assertTrue(verify.text().contains(id), verify.text());
    TestKit.Answer settle = TestKit.post(url + "/settle", other);
    assertEquals(409, settle.status(), settle.text());
    assertEquals(false, settle.json().path("success").asBoolean(true), settle.text());
    assertEquals(
        0, TestKit.authorizationUsedCount(chain, agent.getAddress(), TestKit.nonceOf(other)));
  }

  @Test
  void requiredWithoutAnIdOrAMalformedIdIs400() throws Exception {
    String missing = payment(declared(true, null));
    for (String path : new String[] {"/verify", "/settle"}) {
      TestKit.Answer a = TestKit.post(url + path, missing);
      assertEquals(400, a.status(), path + " " + a.text());
      assertTrue(a.text().contains("required"), a.text());
    }
    assertEquals(
        0, TestKit.authorizationUsedCount(chain, agent.getAddress(), TestKit.nonceOf(missing)));

    ObjectNode bad = declared(false, null);
    ((ObjectNode) bad.get(PaymentIdentifier.KEY).get("info")).put("id", "short");
    TestKit.Answer a = TestKit.post(url + "/settle", payment(bad));
    assertEquals(400, a.status(), a.text());
    assertEquals("invalid_payload", a.json().path("errorReason").asText(), a.text());

    // declared but not required, no id: an ordinary payment
    TestKit.Answer plain = TestKit.post(url + "/settle", payment(declared(false, null)));
    assertTrue(plain.json().path("success").asBoolean(), plain.text());
  }
}
