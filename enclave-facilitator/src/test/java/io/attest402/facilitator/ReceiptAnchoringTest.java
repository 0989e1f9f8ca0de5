package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.SettlementLogView;
import io.attest402.facilitator.anchor.AnchorOptions;
import io.attest402.testkit.TestFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * Receipt-chain anchors in SettlementLog on a real chain: anchored every N receipts and at shutdown
 * from the facilitator's own account without disturbing settlement nonces; an older data directory
 * restored under the same (sealed) key refuses to verify, settle or sign, and so does a journal
 * that forked from the anchored chain.
 */
@ExtendWith(ChainExtension.class)
class ReceiptAnchoringTest {
  private static final BigInteger AMOUNT = BigInteger.valueOf(1_000);

  @Test
  void anchorsAndARestoredOrForkedJournalRefuses(Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    Path data = dir.resolve("data");
    SettlementLogView log = new SettlementLogView(chain.web3j(), d.contracts().settlementLog());
    AnchorOptions every2 = AnchorOptions.defaults().withEvery(2).withInterval(Duration.ofHours(1));
    Credentials payer = chain.account(DevAccounts.AGENT);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    StringWriter out = new StringWriter();
    String address;

    // 1. seq 0 and 1 settle, the second makes the anchor due; seq 2 is anchored by the shutdown
    try (FacilitatorNode node = start(d, data, every2, out)) {
      address = node.address();
      settleOk(node, chain, payer, payTo);
      settleOk(node, chain, payer, payTo);
      TestKit.waitUntil(
          "anchor at seq 1", Duration.ofSeconds(60), () -> anchoredSeq(log, node.address()) == 1);
      assertEquals(receiptHash(node, 1), log.latest(address).orElseThrow().head());
      settleOk(node, chain, payer, payTo);
      assertEquals(1, anchoredSeq(log, address), "one receipt past the anchor: not due yet");
      JsonNode health = TestKit.get(node.url() + "/health").json();
      assertEquals("ok", health.path("status").asText(), health.toString());
      assertEquals("intact", health.path("anchor").path("integrity").asText());
    }
    assertEquals(2, anchoredSeq(log, address), "anchored before shutdown");
    Path old = dir.resolve("data-copy");
    TestFiles.copyTree(data, old);

    // 2. the same data directory runs on: seq 3, anchored at shutdown
    try (FacilitatorNode node = start(d, data, every2, out)) {
      assertEquals(address, node.address(), "same sealed key");
      settleOk(node, chain, payer, payTo);
    }
    assertEquals(3, anchoredSeq(log, address));

    // 3. the older copy restored under the same key: behind the anchor, it refuses everything, with
    // the reason
    delete(data);
    TestFiles.copyTree(old, data);
    try (FacilitatorNode node = start(d, data, every2, out)) {
      assertEquals(address, node.address());
      assertRefuses(
          node,
          chain,
          payer,
          payTo,
          "journal is behind the on-chain anchor: it ends at seq 2 but this"
              + " key anchored seq 3");
    }
    assertEquals(3, anchoredSeq(log, address), "a halted facilitator anchors nothing");

    // 4. run the old copy with anchoring off (what an attacker or careless operator would do): it
    // signs its own
    // seq 3; with anchoring back on, the journal differs from the anchored head at seq 3 and
    // refuses
    String forkedHash;
    try (FacilitatorNode node = start(d, data, AnchorOptions.disabled(), out)) {
      settleOk(node, chain, payer, payTo);
      forkedHash = receiptHash(node, 3);
    }
    assertNotEquals(
        log.headAt(address, 3).orElseThrow(), forkedHash, "two different receipts with seq 3");
    try (FacilitatorNode node = start(d, data, every2, out)) {
      assertRefuses(
          node,
          chain,
          payer,
          payTo,
          "the journal differs from the on-chain anchor: this key anchored seq 3");
    }
    assertEquals(3, anchoredSeq(log, address));
  }

  @Test
  void aJournalAheadOfItsAnchorIsAnchoredAtStart(Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    Path data = dir.resolve("data");
    SettlementLogView log = new SettlementLogView(chain.web3j(), d.contracts().settlementLog());
    StringWriter out = new StringWriter();
    String address;
    try (FacilitatorNode node = start(d, data, AnchorOptions.disabled(), out)) {
      address = node.address();
      settleOk(
          node,
          chain,
          chain.account(DevAccounts.AGENT),
          chain.account(DevAccounts.PROVIDER).getAddress());
      settleOk(
          node,
          chain,
          chain.account(DevAccounts.AGENT),
          chain.account(DevAccounts.PROVIDER).getAddress());
    }
    assertTrue(log.latest(address).isEmpty(), "nothing anchored while anchoring was off");
    try (FacilitatorNode node = start(d, data, AnchorOptions.defaults(), out)) {
      TestKit.waitUntil(
          "anchor at start", Duration.ofSeconds(60), () -> anchoredSeq(log, address) == 1);
      assertEquals(receiptHash(node, 1), log.latest(address).orElseThrow().head());
      // anchoring took an account nonce: settlements after it still go through
      settleOk(
          node,
          chain,
          chain.account(DevAccounts.AGENT),
          chain.account(DevAccounts.PROVIDER).getAddress());
    }
    assertEquals(2, anchoredSeq(log, address));
  }

  /**
   * PCS servers started for the facilitators of this class (collateral only over HTTP, as on
   * hardware).
   */
  private static final io.attest402.pcs.SimulatedPcsPool PCS =
      new io.attest402.pcs.SimulatedPcsPool(Clock.systemUTC());

  @org.junit.jupiter.api.AfterAll
  static void stopPcs() {
    PCS.close();
  }

  private static FacilitatorNode start(
      io.attest402.contracts.chain.Deployment d,
      Path data,
      AnchorOptions anchors,
      StringWriter out) {
    return FacilitatorNode.start(
        FacilitatorNode.Config.simulated(d, data, PCS.forDataDir(data)),
        anchors,
        Clock.systemUTC(),
        new PrintWriter(out, true),
        new PrintWriter(out, true));
  }

  private static void settleOk(FacilitatorNode node, Chain chain, Credentials payer, String payTo) {
    String body = TestKit.payment(chain, payer, payTo, AMOUNT);
    TestKit.Answer a = TestKit.post(node.url() + "/settle", body);
    assertEquals(200, a.status(), a.text());
    assertTrue(a.json().path("success").asBoolean(), a.text());
  }

  private static void assertRefuses(
      FacilitatorNode node, Chain chain, Credentials payer, String payTo, String why)
      throws Exception {
    TestKit.Answer health = TestKit.get(node.url() + "/health");
    assertEquals(503, health.status(), health.text());
    assertEquals("halted", health.json().path("status").asText());
    assertTrue(health.json().path("reason").asText().contains(why), health.text());
    String body = TestKit.payment(chain, payer, payTo, AMOUNT);
    TestKit.Answer verify = TestKit.post(node.url() + "/verify", body);
    assertEquals(503, verify.status(), verify.text());
    assertTrue(verify.json().path("invalidMessage").asText().contains(why), verify.text());
    TestKit.Answer settle = TestKit.post(node.url() + "/settle", body);
    assertEquals(503, settle.status(), settle.text());
    assertTrue(settle.json().path("errorMessage").asText().contains(why), settle.text());
    assertEquals(
        0,
        TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)),
        "nothing settled");
  }

  private static long anchoredSeq(SettlementLogView log, String address) {
    try {
      return log.latest(address).map(SettlementLogView.Anchor::seq).orElse(-1L);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String receiptHash(FacilitatorNode node, long seq) {
    JsonNode r = TestKit.get(node.url() + "/receipts?from=" + seq).json();
    JsonNode first = r.path("receipts").get(0);
    assertEquals(seq, first.path("sequence").asLong(), r.toString());
    return first.path("receipt").path("hash").asText();
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
