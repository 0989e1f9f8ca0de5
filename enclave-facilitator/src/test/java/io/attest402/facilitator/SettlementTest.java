package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.settle.JournaledOutcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
import org.web3j.protocol.core.DefaultBlockParameterName;

/**
 * Settlement over real HTTP against a real anvil: idempotency, concurrency, pending answers, fee
 * bumps, receipts.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SettlementTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(1_000);

  FacilitatorServer server;
  String url;
  String payTo;
  Path dir;

  /** A receipt stand-in that records the facts and chains by the previous sequence. */
  static final ReceiptIssuer ISSUER =
      (JournaledOutcome f, JsonNode previous) -> {
        ObjectNode r = Wire.newObject();
        r.put("seq", f.sequence());
        r.put("tx", f.transaction());
        r.put("success", f.success());
        r.put("prev", previous == null ? 0 : previous.path("seq").asLong());
        return Optional.of(r);
      };

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    this.dir = dir;
    server =
        TestKit.startFacilitator(
            chain,
            dir.resolve("main"),
            FacilitatorOptions.defaults()
                .withReceiptWait(Duration.ofSeconds(2))
                .withPollInterval(Duration.ofMillis(50)),
            TestKit.networks(chain),
            k -> ISSUER);
    url = TestKit.url(server);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  @Test
  void fiftyConcurrentRetriesWithOneIdempotencyKeyPutOneTransactionOnChain(Chain chain)
      throws Exception {
    // the same request retried 50 times at once by its resource server (one Idempotency-Key): one
    // transaction, and
    // every retry gets its outcome (without the key only one would succeed: ReplayTest)
    Credentials payer = chain.account(DevAccounts.AGENT);
    String body = TestKit.payment(chain, payer, payTo, AMOUNT);
    String key = "retry-" + TestKit.nonce();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestKit.Answer>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(
          pool.submit(
              () -> {
                go.await();
                return TestKit.post(url + "/settle", body, key);
              }));
    }
    go.countDown();
    Set<String> distinct = new HashSet<>();
    for (Future<TestKit.Answer> f : futures) {
      TestKit.Answer a = f.get();
      assertEquals(200, a.status(), a.text());
      assertTrue(a.json().path("success").asBoolean(), a.text());
      distinct.add(a.text());
    }
    pool.shutdown();
    assertEquals(1, distinct.size(), "50 identical answers: " + distinct);
    assertEquals(
        1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
    // and once more, later: the same answer from the journal
    assertEquals(distinct.iterator().next(), TestKit.post(url + "/settle", body, key).text());
    JsonNode only = TestKit.mutable(distinct.iterator().next());
    assertTrue(
        only.path("extensions").path(ReceiptIssuer.EXTENSION_KEY).isObject(), only.toString());
  }

  @Test
  void manyDistinctConcurrentSettlementsAllLandWithoutNonceErrors(Chain chain) throws Exception {
    String facilitator = server.facilitator().address();
    long nonceBefore =
        chain
            .web3j()
            .ethGetTransactionCount(facilitator, DefaultBlockParameterName.LATEST)
            .send()
            .getTransactionCount()
            .longValueExact();
    int n = 40;
    List<String> bodies = new ArrayList<>();
    Credentials[] payers = {
      chain.account(DevAccounts.AGENT),
      chain.account(DevAccounts.PROVIDER),
      chain.account(DevAccounts.VALIDATOR)
    };
    for (int i = 0; i < n; i++) {
      Credentials p = payers[i % payers.length];
      bodies.add(
          TestKit.payment(
              chain, p, chain.account(7).getAddress(), AMOUNT.add(BigInteger.valueOf(i))));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestKit.Answer>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String b = bodies.get(i);
      String key = "many-" + i;
      futures.add(
          pool.submit(
              () -> {
                go.await();
                TestKit.Answer a = TestKit.post(url + "/settle", b, key);
                // under load the receipt may outlast the 2 s wait: the resource server's retry
                // (same key) gets the outcome
                for (int r = 0;
                    r < 20 && "settlement_pending".equals(a.json().path("errorReason").asText());
                    r++) {
                  a = TestKit.post(url + "/settle", b, key);
                }
                return a;
              }));
    }
    go.countDown();
    Set<String> txs = new HashSet<>();
    for (int i = 0; i < n; i++) {
      TestKit.Answer a = futures.get(i).get();
      assertEquals(200, a.status(), a.text());
      assertTrue(a.json().path("success").asBoolean(), a.text());
      txs.add(a.json().path("transaction").asText());
      String from =
          TestKit.mutable(bodies.get(i))
              .path("paymentPayload")
              .path("payload")
              .path("authorization")
              .path("from")
              .asText();
      assertEquals(1, TestKit.authorizationUsedCount(chain, from, TestKit.nonceOf(bodies.get(i))));
    }
    pool.shutdown();
    assertEquals(n, txs.size());
    long nonceAfter =
        chain
            .web3j()
            .ethGetTransactionCount(facilitator, DefaultBlockParameterName.LATEST)
            .send()
            .getTransactionCount()
            .longValueExact();
    assertEquals(nonceBefore + n, nonceAfter, "one transaction per settlement, no gaps, no extra");
    String metrics = TestKit.get(url + "/metrics").text();
    assertFalse(metrics.contains("kind=\"resign\""), "no nonce collisions needed re-signing");
  }

  @Test
  void pausedMiningAnswersPendingWithTheHashThenTheOutcome(Chain chain) throws Exception {
    Credentials payer = chain.account(DevAccounts.AGENT);
    String body = TestKit.payment(chain, payer, payTo, AMOUNT);
    String key = "paused-" + TestKit.nonce();
    chain.setAutomine(false);
    try {
      long t0 = System.nanoTime();
      TestKit.Answer first = TestKit.post(url + "/settle", body, key);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(200, first.status(), first.text());
      assertFalse(first.json().path("success").asBoolean());
      assertEquals("settlement_pending", first.json().path("errorReason").asText(), first.text());
      String tx = first.json().path("transaction").asText();
      assertTrue(tx.matches("0x[0-9a-f]{64}"), tx);
      assertTrue(ms < 6_000, "bounded receipt wait, took " + ms + " ms");
      JsonNode status = TestKit.get(url + "/settlements/" + TestKit.nonceOf(body)).json();
      assertEquals("pending", status.path("status").asText(), status.toString());
      assertEquals(tx, TestKit.get(url + "/settlements/" + tx).json().path("transaction").asText());
      chain.mine();
      TestKit.Answer again = TestKit.post(url + "/settle", body, key);
      assertTrue(again.json().path("success").asBoolean(), again.text());
      assertEquals(tx, again.json().path("transaction").asText());
      assertEquals(
          "settled", TestKit.get(url + "/settlements/" + tx).json().path("status").asText());
      assertEquals(
          1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
    } finally {
      chain.setAutomine(true);
    }
  }

  @Test
  void aStuckTransactionIsReplacedWithHigherFeesAndSettlesOnce(Chain chain) throws Exception {
    FacilitatorServer bumping =
        TestKit.startFacilitator(
            chain,
            dir.resolve("bump"),
            FacilitatorOptions.defaults()
                .withReceiptWait(Duration.ofSeconds(1))
                .withPollInterval(Duration.ofMillis(50))
                .withReplaceAfter(Duration.ofMillis(700)),
            TestKit.networks(chain),
            k -> ReceiptIssuer.NONE);
    Credentials payer = chain.account(DevAccounts.VALIDATOR);
    String body = TestKit.payment(chain, payer, payTo, AMOUNT);
    String nonce = TestKit.nonceOf(body);
    String burl = TestKit.url(bumping);
    chain.setAutomine(false);
    try {
      TestKit.Answer first = TestKit.post(burl + "/settle", body, "bump");
      assertEquals("settlement_pending", first.json().path("errorReason").asText(), first.text());
      TestKit.waitUntil(
          "a fee-bumped replacement",
          Duration.ofSeconds(10),
          () ->
              TestKit.get(burl + "/settlements/" + nonce).json().path("transactions").size() >= 2);
      JsonNode status = TestKit.get(burl + "/settlements/" + nonce).json();
      JsonNode txs = status.path("transactions");
      assertEquals(
          txs.get(0).path("accountNonce").asLong(), txs.get(1).path("accountNonce").asLong());
      assertTrue(
          new BigInteger(txs.get(1).path("maxFeePerGas").asText())
                  .compareTo(new BigInteger(txs.get(0).path("maxFeePerGas").asText()))
              > 0,
          status.toString());
      chain.mine();
      TestKit.Answer done = TestKit.post(burl + "/settle", body, "bump");
      assertTrue(done.json().path("success").asBoolean(), done.text());
      Set<String> hashes = new HashSet<>();
      TestKit.get(burl + "/settlements/" + nonce)
          .json()
          .path("transactions")
          .forEach(t -> hashes.add(t.path("hash").asText()));
      assertTrue(hashes.contains(done.json().path("transaction").asText()));
      assertEquals(1, TestKit.authorizationUsedCount(chain, payer.getAddress(), nonce));
    } finally {
      chain.setAutomine(true);
      bumping.stop();
    }
  }

  @Test
  void anInvalidPaymentFailsWithItsReasonAndNothingIsJournaled(Chain chain) {
    Credentials payer = chain.account(DevAccounts.AGENT);
    ObjectNode body = TestKit.mutable(TestKit.payment(chain, chain.account(9), payTo, AMOUNT));
    // signed by account 9 but claiming to be from the agent: the signature check fails at settle
    ((ObjectNode) body.path("paymentPayload").path("payload").path("authorization"))
        .put("from", payer.getAddress());
    TestKit.Answer a = TestKit.post(url + "/settle", body.toString());
    assertEquals(200, a.status(), a.text());
    assertFalse(a.json().path("success").asBoolean());
    assertEquals("invalid_exact_evm_signature", a.json().path("errorReason").asText());
    assertEquals("", a.json().path("transaction").asText());
    assertEquals(
        404, TestKit.get(url + "/settlements/" + TestKit.nonceOf(body.toString())).status());
  }

  @Test
  void receiptsFormAGaplessSequenceAndTheSurfaceAnswers(Chain chain) {
    for (int i = 0; i < 3; i++) {
      TestKit.Answer a =
          TestKit.post(
              url + "/settle",
              TestKit.payment(chain, chain.account(DevAccounts.AGENT), payTo, AMOUNT));
      assertTrue(a.json().path("success").asBoolean(), a.text());
    }
    JsonNode receipts = TestKit.get(url + "/receipts?from=0").json().path("receipts");
    assertTrue(receipts.size() >= 3);
    for (int i = 0; i < receipts.size(); i++) {
      JsonNode r = receipts.get(i);
      assertEquals(i, r.path("sequence").asLong());
      assertEquals(i, r.path("receipt").path("seq").asLong());
      assertEquals(i == 0 ? 0 : i - 1, r.path("receipt").path("prev").asLong());
    }
    JsonNode supported = TestKit.get(url + "/supported").json();
    assertEquals(2, supported.path("kinds").get(0).path("x402Version").asInt());
    assertEquals("exact", supported.path("kinds").get(0).path("scheme").asText());
    assertEquals(
        chain.deployment().network(), supported.path("kinds").get(0).path("network").asText());
    assertEquals(
        server.facilitator().address(), supported.path("signers").path("eip155:*").get(0).asText());
    JsonNode health = TestKit.get(url + "/health").json();
    assertEquals("ok", health.path("status").asText(), health.toString());
    String metrics = TestKit.get(url + "/metrics").text();
    assertTrue(metrics.contains("x402_settle_requests_total{"), metrics);
    assertTrue(metrics.contains("facilitator_account_balance_wei{"), metrics);
    assertTrue(metrics.contains("facilitator_settlements_pending{"), metrics);
    assertNotEquals(-1, metrics.indexOf("outcome=\"success\""));
  }
}
