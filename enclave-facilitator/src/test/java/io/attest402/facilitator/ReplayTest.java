package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.settle.ReceiptIssuer;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * One payment, one success: a settle for an authorization already claimed succeeds only as a retry
 * of the claiming request (same requirements, same {@code Idempotency-Key}); every other one
 * answers {@code success:false} and nothing more reaches the chain. Real HTTP, real anvil; each
 * case counts the token's AuthorizationUsed events.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(1_300);

  FacilitatorServer server;
  String url;
  String payTo;
  Path dir;

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    this.dir = dir;
    server =
        TestKit.startFacilitator(
            chain,
            dir.resolve("data"),
            FacilitatorOptions.defaults()
                .withReceiptWait(Duration.ofSeconds(5))
                .withPollInterval(Duration.ofMillis(50)),
            TestKit.networks(chain),
            k -> ReceiptIssuer.NONE);
    url = TestKit.url(server);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  private String settledPayment(Chain chain, String key) {
    String body = TestKit.payment(chain, chain.account(DevAccounts.AGENT), payTo, AMOUNT);
    TestKit.Answer first = TestKit.post(url + "/settle", body, key);
    assertEquals(200, first.status(), first.text());
    assertTrue(first.json().path("success").asBoolean(), first.text());
    return body;
  }

  private void assertRefused(TestKit.Answer a, String reason) {
    assertEquals(200, a.status(), a.text());
    assertFalse(a.json().path("success").asBoolean(), a.text());
    assertEquals(reason, a.json().path("errorReason").asText(), a.text());
    assertEquals(
        "",
        a.json().path("transaction").asText(),
        "a refused replay learns no transaction: " + a.text());
  }

  private void assertOneTransfer(Chain chain, String body) throws Exception {
    assertEquals(
        1,
        TestKit.authorizationUsedCount(
            chain, chain.account(DevAccounts.AGENT).getAddress(), TestKit.nonceOf(body)));
  }

  @Test
  void aRetryWithTheSameKeyGetsTheSameOutcome(Chain chain) throws Exception {
    String body = settledPayment(chain, "order-1");
    TestKit.Answer first = TestKit.post(url + "/settle", body, "order-1");
    TestKit.Answer again = TestKit.post(url + "/settle", body, "order-1");
    assertTrue(again.json().path("success").asBoolean(), again.text());
    assertEquals(
        first.json().path("transaction").asText(), again.json().path("transaction").asText());
    assertOneTransfer(chain, body);
  }

  @Test
  void aReplayWithoutAKeyFailsAndAFirstClaimWithoutAKeyCanNeverBeRetried(Chain chain)
      throws Exception {
    String withKey = settledPayment(chain, "order-2");
    assertRefused(TestKit.post(url + "/settle", withKey), "invalid_exact_evm_nonce_already_used");
    String noKey = settledPayment(chain, null);
    assertRefused(TestKit.post(url + "/settle", noKey), "invalid_exact_evm_nonce_already_used");
    assertRefused(
        TestKit.post(url + "/settle", noKey, "late-key"), "invalid_exact_evm_nonce_already_used");
    assertOneTransfer(chain, withKey);
    assertOneTransfer(chain, noKey);
  }

  @Test
  void aReplayWithAnotherKeyFails(Chain chain) throws Exception {
    String body = settledPayment(chain, "order-3");
    assertRefused(
        TestKit.post(url + "/settle", body, "order-3x"), "invalid_exact_evm_nonce_already_used");
    assertOneTransfer(chain, body);
  }

  @Test
  void aReplayForAnotherPayToFailsEvenWithTheKey(Chain chain) throws Exception {
    String body = settledPayment(chain, "order-4");
    ObjectNode changed = TestKit.mutable(body);
    ((ObjectNode) changed.path("paymentRequirements"))
        .put("payTo", chain.account(DevAccounts.VALIDATOR).getAddress());
    assertRefused(
        TestKit.post(url + "/settle", changed.toString(), "order-4"),
        "invalid_exact_evm_recipient_mismatch");
    assertOneTransfer(chain, body);
  }

  @Test
  void aReplayForAnotherAmountFailsEvenWithTheKey(Chain chain) throws Exception {
    String body = settledPayment(chain, "order-5");
    ObjectNode changed = TestKit.mutable(body);
    ((ObjectNode) changed.path("paymentRequirements")).put("amount", "1");
    assertRefused(
        TestKit.post(url + "/settle", changed.toString(), "order-5"),
        "invalid_exact_evm_payload_authorization_value_mismatch");
    assertOneTransfer(chain, body);
  }

  @Test
  void twentyConcurrentSettlesWithoutAKeyHaveExactlyOneSuccess(Chain chain) throws Exception {
    String body = TestKit.payment(chain, chain.account(DevAccounts.AGENT), payTo, AMOUNT);
    ExecutorService pool = Executors.newFixedThreadPool(20);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestKit.Answer>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(
          pool.submit(
              () -> {
                go.await();
                return TestKit.post(url + "/settle", body);
              }));
    }
    go.countDown();
    int success = 0;
    for (Future<TestKit.Answer> f : futures) {
      TestKit.Answer a = f.get();
      assertEquals(200, a.status(), a.text());
      if (a.json().path("success").asBoolean()) {
        success++;
      } else {
        assertEquals(
            "invalid_exact_evm_nonce_already_used",
            a.json().path("errorReason").asText(),
            a.text());
      }
    }
    pool.shutdown();
    assertEquals(1, success, "one payment, one success");
    assertOneTransfer(chain, body);
  }

  @Test
  void anIdempotencyKeyThatIsTooLongOrNotPrintableIsA400(Chain chain) throws Exception {
    String body = TestKit.payment(chain, chain.account(DevAccounts.AGENT), payTo, AMOUNT);
    TestKit.Answer tooLong = TestKit.post(url + "/settle", body, "k".repeat(129));
    assertEquals(400, tooLong.status(), tooLong.text());
    assertTrue(
        tooLong.json().path("errorMessage").asText().contains("1 to 128 printable ASCII"),
        tooLong.text());
    assertEquals(
        0,
        TestKit.authorizationUsedCount(
            chain, chain.account(DevAccounts.AGENT).getAddress(), TestKit.nonceOf(body)));
    assertTrue(
        TestKit.post(url + "/settle", body, "k".repeat(128)).json().path("success").asBoolean());
  }

  @Test
  void zeroValueAndSelfPaymentsAreRefusedWithoutTouchingTheChain(Chain chain) throws Exception {
    Credentials agent = chain.account(DevAccounts.AGENT);
    long before = facilitatorNonce(chain);
    String zero = TestKit.payment(chain, agent, payTo, BigInteger.ZERO);
    for (String route : List.of("/verify", "/settle")) {
      TestKit.Answer a = TestKit.post(url + route, zero);
      assertEquals(200, a.status(), a.text());
      assertEquals(
          "invalid_exact_evm_authorization_value",
          a.json().path(route.equals("/verify") ? "invalidReason" : "errorReason").asText(),
          a.text());
    }
    String self = TestKit.payment(chain, agent, agent.getAddress(), AMOUNT);
    for (String route : List.of("/verify", "/settle")) {
      TestKit.Answer a = TestKit.post(url + route, self);
      assertEquals(200, a.status(), a.text());
      assertEquals(
          "invalid_exact_evm_recipient_mismatch",
          a.json().path(route.equals("/verify") ? "invalidReason" : "errorReason").asText(),
          a.text());
    }
    assertEquals(before, facilitatorNonce(chain), "the facilitator sent nothing");
    assertEquals(
        0, TestKit.authorizationUsedCount(chain, agent.getAddress(), TestKit.nonceOf(zero)));
    assertEquals(
        0, TestKit.authorizationUsedCount(chain, agent.getAddress(), TestKit.nonceOf(self)));
    String metrics = TestKit.get(url + "/metrics").text();
    assertTrue(
        metrics.contains("rule=\"min_amount\"") && metrics.contains("rule=\"self_payment\""),
        metrics);
  }

  @Test
  void theJournalIsOwnerOnlyAndKeepsNoResource(Chain chain) throws Exception {
    String body = settledPayment(chain, "journal");
    Path db = dir.resolve("data").resolve("settlements.db");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
    JsonNode status = TestKit.get(url + "/settlements/" + TestKit.nonceOf(body)).json();
    assertEquals("settled", status.path("status").asText(), status.toString());
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var rs = c.createStatement().executeQuery("SELECT request, idem_key FROM settlements")) {
      int rows = 0;
      while (rs.next()) {
        rows++;
        String req = rs.getString(1);
        assertFalse(
            req.contains("weather") || req.contains("\"resource\""),
            "no resource in the journal: " + req);
        String k = rs.getString(2);
        assertTrue(k == null || k.matches("[0-9a-f]{64}"), "the key is kept hashed: " + k);
      }
      assertTrue(rows > 0);
    }
  }

  /**
   * {@code GET /settlements/{id}} tells anyone who knows the nonce or the transaction what the
   * chain shows anyway (status, transaction, block); who paid whom how much only to the caller with
   * the claiming request's Idempotency-Key.
   */
  @Test
  void aSettlementsPartiesAndAmountAreShownOnlyToTheClaimingCaller(Chain chain) {
    String body = settledPayment(chain, "owner-key");
    String payer = chain.account(DevAccounts.AGENT).getAddress().toLowerCase(java.util.Locale.ROOT);
    String nonce = TestKit.nonceOf(body);
    TestKit.Answer anonymous = TestKit.get(url + "/settlements/" + nonce);
    TestKit.Answer otherKey = TestKit.get(url + "/settlements/" + nonce, "someone-else");
    String tx = anonymous.json().path("transaction").asText();
    TestKit.Answer byTx = TestKit.get(url + "/settlements/" + tx);
    for (TestKit.Answer a : List.of(anonymous, otherKey, byTx)) {
      assertEquals(200, a.status(), a.text());
      assertEquals("settled", a.json().path("status").asText(), a.text());
      assertTrue(a.json().path("transaction").asText().matches("0x[0-9a-f]{64}"), a.text());
      String lower = a.text().toLowerCase(java.util.Locale.ROOT);
      assertFalse(lower.contains(payer.substring(2)), "no payer: " + a.text());
      assertFalse(
          lower.contains(payTo.toLowerCase(java.util.Locale.ROOT).substring(2)),
          "no payTo: " + a.text());
      assertFalse(a.json().has("amount") || a.json().has("settleResponse"), a.text());
    }
    JsonNode owner = TestKit.get(url + "/settlements/" + nonce, "owner-key").json();
    assertEquals(payer, owner.path("payer").asText(), owner.toString());
    assertEquals(payTo.toLowerCase(java.util.Locale.ROOT), owner.path("payTo").asText());
    assertEquals(AMOUNT.toString(), owner.path("amount").asText());
    assertTrue(owner.path("settleResponse").path("success").asBoolean(), owner.toString());
  }

  private long facilitatorNonce(Chain chain) throws Exception {
    return chain
        .web3j()
        .ethGetTransactionCount(
            server.facilitator().address(),
            org.web3j.protocol.core.DefaultBlockParameterName.PENDING)
        .send()
        .getTransactionCount()
        .longValueExact();
  }
}
