package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.pcs.SimulatedPcs;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.x402.receipt.Receipt;
import io.attest402.x402.receipt.ReceiptVerifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.Transaction;

/**
 * {@code facilitator --signers 4} on a real anvil: four attested signers, concurrent settlements
 * spread over them each on its own gapless nonce sequence, receipts signed by the identity key
 * naming the sender, recovery of every signer's pending transactions on restart, and a data
 * directory whose signer count is fixed.
 */
@ExtendWith(ChainExtension.class)
class SeveralSignersTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(1_000);
  // receipt anchors are sent by signer 1: off, so every signer's nonces count settlements only
  static final io.attest402.facilitator.anchor.AnchorOptions NO_ANCHORS =
      io.attest402.facilitator.anchor.AnchorOptions.disabled();

  static FacilitatorNode.Config config(Chain chain, Path dataDir, java.net.URI pccs, int signers) {
    var d = chain.deployment();
    return new FacilitatorNode.Config(
            d,
            io.attest402.facilitator.config.NetworksConfig.fromDeployment(d),
            "127.0.0.1",
            0,
            null,
            dataDir,
            "simulated",
            FacilitatorOptions.defaults()
                .withReceiptWait(Duration.ofSeconds(3))
                .withPollInterval(Duration.ofMillis(50))
                .withShutdownGrace(Duration.ofMillis(200)),
            false,
            List.of(),
            pccs,
            List.of(),
            null)
        .withSigners(signers);
  }

  @Test
  void fourSignersSettleConcurrentPaymentsAndSurviveARestart(Chain chain, @TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("data");
    StringWriter log = new StringWriter();
    PrintWriter out = new PrintWriter(log);
    String payTo = chain.account(7).getAddress();
    List<String> attested;
    try (SimulatedPcs pcs = SimulatedPcs.forDataDir(data, Clock.systemUTC())) {
      Map<String, Long> startNonce = new HashMap<>();
      try (FacilitatorNode node =
          FacilitatorNode.start(
              config(chain, data, pcs.url(), 4), NO_ANCHORS, Clock.systemUTC(), out, out)) {
        String url = node.url();
        // the attestation binds all four, in order; the checker recomputes the binding
        AttestationDocument doc =
            AttestationDocument.fromJson(TestKit.get(url + "/attestation").text());
        VerificationPolicy sim =
            VerificationPolicy.builder()
                .allowAnyMeasurement(true)
                .trustSimulationRoot(
                    ((SimulatedBackend) node.identity().backend()).simulationRootFingerprint())
                .build();
        AttestationChecker.Result att =
            AttestationChecker.check(doc, null, Clock.systemUTC().instant(), sim, null);
        assertTrue(att.ok(), att.summary());
        attested = att.signers();
        assertEquals(4, attested.size());
        assertEquals(node.address(), attested.get(0), "signer 1 is the identity key");
        // /supported lists every signer; /health shows each one's balance (dev-funded)
        JsonNode supported = TestKit.get(url + "/supported").json();
        List<String> listed = new ArrayList<>();
        supported.path("signers").path("eip155:*").forEach(a -> listed.add(a.asText()));
        assertEquals(attested, listed);
        JsonNode health = TestKit.get(url + "/health").json();
        JsonNode hs = health.path("networks").get(0).path("signers");
        assertEquals(4, hs.size(), health.toString());
        for (int i = 0; i < 4; i++) {
          assertEquals(i + 1, hs.get(i).path("signer").asInt());
          assertEquals(attested.get(i), hs.get(i).path("address").asText());
          assertTrue(hs.get(i).path("canSettle").asBoolean(), "dev funding funded signer " + i);
        }
        for (String a : attested) {
          startNonce.put(a.toLowerCase(Locale.ROOT), chain.nonce(a));
        }

        // concurrent distinct settlements
        int n = 24;
        List<String> bodies = new ArrayList<>();
        Credentials[] payers = {
          chain.account(DevAccounts.AGENT),
          chain.account(DevAccounts.PROVIDER),
          chain.account(DevAccounts.VALIDATOR)
        };
        for (int i = 0; i < n; i++) {
          bodies.add(
              TestKit.payment(
                  chain, payers[i % payers.length], payTo, AMOUNT.add(BigInteger.valueOf(i))));
        }
        List<TestKit.Answer> answers = settleAll(url, bodies, "c-");
        Map<String, List<Long>> noncesBySender = new HashMap<>();
        byte[] identityKey = doc.publicKeyBytes();
        for (int i = 0; i < n; i++) {
          TestKit.Answer a = answers.get(i);
          assertTrue(a.json().path("success").asBoolean(), a.text());
          String tx = a.json().path("transaction").asText();
          Transaction t = chain.web3j().ethGetTransactionByHash(tx).send().getTransaction().get();
          String from = t.getFrom().toLowerCase(Locale.ROOT);
          assertTrue(
              attested.stream().anyMatch(s -> s.equalsIgnoreCase(from)),
              "sent by an attested signer: " + from);
          noncesBySender
              .computeIfAbsent(from, k -> new ArrayList<>())
              .add(t.getNonce().longValue());
          // the receipt: signed by the identity key, naming the signer that sent it
          String jws =
              a.json().path("extensions").path(ReceiptIssuer.EXTENSION_KEY).path("jws").asText();
          Receipt r = ReceiptVerifier.verify(jws, identityKey);
          assertEquals(tx, r.txHash());
          assertTrue(r.sender().equalsIgnoreCase(from), r + " names " + r.sender());
          assertEquals(
              1,
              TestKit.authorizationUsedCount(
                  chain, payerOf(bodies.get(i)), TestKit.nonceOf(bodies.get(i))));
        }
        assertTrue(
            noncesBySender.size() > 1,
            "settlements spread over several signers: " + noncesBySender);
        assertGapless(chain, noncesBySender, startNonce);
        String metrics = TestKit.get(url + "/metrics").text();
        assertTrue(metrics.contains("signer=\"4\""), metrics);
        for (String a : attested) {
          assertFalse(
              metrics.toLowerCase(Locale.ROOT).contains(a.toLowerCase(Locale.ROOT).substring(2)),
              "no signer address in /metrics");
        }

        // pending transactions of several signers when the process stops
        chain.setAutomine(false);
        List<String> pendingBodies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          pendingBodies.add(
              TestKit.payment(
                  chain,
                  payers[i % payers.length],
                  payTo,
                  AMOUNT.add(BigInteger.valueOf(100 + i))));
        }
        List<TestKit.Answer> pending = settleAll(url, pendingBodies, "p-");
        Set<String> pendingSenders = new HashSet<>();
        for (TestKit.Answer a : pending) {
          assertEquals("settlement_pending", a.json().path("errorReason").asText(), a.text());
          pendingSenders.add(
              chain
                  .web3j()
                  .ethGetTransactionByHash(a.json().path("transaction").asText())
                  .send()
                  .getTransaction()
                  .get()
                  .getFrom()
                  .toLowerCase(Locale.ROOT));
        }
        assertTrue(pendingSenders.size() > 1, "pending on several signers: " + pendingSenders);
      }
      // restart on the same data directory: the same four keys, every signer's pending
      // transactions recovered, nothing sent twice
      try (FacilitatorNode node =
          FacilitatorNode.start(
              config(chain, data, pcs.url(), 4), NO_ANCHORS, Clock.systemUTC(), out, out)) {
        assertEquals(
            attested, node.identity().signers().stream().map(EnclaveKey::address).toList());
        chain.setAutomine(true);
        chain.mine();
        TestKit.waitUntil(
            "the restarted facilitator reconciles the pending settlements",
            Duration.ofSeconds(60),
            () -> node.server().facilitator().engine().store().inFlight().isEmpty());
        Map<String, List<Long>> all = new HashMap<>();
        for (var r : node.server().facilitator().engine().store().receiptsFrom(0, 1000)) {
          Receipt receipt =
              ReceiptVerifier.verify(r.receipt().path("jws").asText(), node.address());
          assertEquals("settled", receipt.status().wire(), receipt.toString());
          Transaction t =
              chain.web3j().ethGetTransactionByHash(receipt.txHash()).send().getTransaction().get();
          assertTrue(receipt.sender().equalsIgnoreCase(t.getFrom()));
          all.computeIfAbsent(t.getFrom().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
              .add(t.getNonce().longValue());
        }
        assertEquals(32, all.values().stream().mapToInt(List::size).sum(), all.toString());
        assertGapless(chain, all, startNonce);
      } finally {
        chain.setAutomine(true);
      }
      // another signer count on this data directory is refused, with what to do
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class,
              () ->
                  FacilitatorNode.start(
                      config(chain, data, pcs.url(), 2), Clock.systemUTC(), out, out));
      assertTrue(
          refused.getMessage().contains("holds 4 sealed signer key(s) and --signers is 2")
              && refused.getMessage().contains("--signers 4"),
          refused.getMessage());
    }
  }

  /** Every signer's transactions occupy exactly its nonces from the start on: no gap, no extra. */
  private static void assertGapless(
      Chain chain, Map<String, List<Long>> bySender, Map<String, Long> start) throws Exception {
    for (Map.Entry<String, List<Long>> e : bySender.entrySet()) {
      TreeSet<Long> ns = new TreeSet<>(e.getValue());
      assertEquals(e.getValue().size(), ns.size(), "distinct nonces for " + e.getKey());
      long from = start.get(e.getKey());
      assertEquals(from, ns.first(), e.getKey() + " starts at its chain nonce");
      assertEquals(from + ns.size() - 1, ns.last(), e.getKey() + " has no gap: " + ns);
      assertEquals(from + ns.size(), chain.nonce(e.getKey()), e.getKey() + " sent nothing else");
    }
  }

  private static String payerOf(String body) {
    return TestKit.mutable(body)
        .path("paymentPayload")
        .path("payload")
        .path("authorization")
        .path("from")
        .asText();
  }

  /** Posts every body at once (each with its own Idempotency-Key); answers in order. */
  private static List<TestKit.Answer> settleAll(String url, List<String> bodies, String keyPrefix)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<TestKit.Answer>> futures = new ArrayList<>();
      for (int i = 0; i < bodies.size(); i++) {
        String b = bodies.get(i);
        String key = keyPrefix + i;
        boolean retryPending = keyPrefix.startsWith("c");
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  TestKit.Answer a = TestKit.post(url + "/settle", b, key);
                  for (int r = 0;
                      retryPending
                          && r < 20
                          && "settlement_pending".equals(a.json().path("errorReason").asText());
                      r++) {
                    a = TestKit.post(url + "/settle", b, key);
                  }
                  return a;
                }));
      }
      go.countDown();
      List<TestKit.Answer> out = new ArrayList<>();
      for (Future<TestKit.Answer> f : futures) {
        TestKit.Answer a = f.get();
        assertEquals(200, a.status(), a.text());
        out.add(a);
      }
      return out;
    } finally {
      pool.shutdown();
    }
  }
}
