package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.settle.ReceiptIssuer;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * The chain node stops mid-settlement and comes back with the same state: callers get
 * settlement_pending with the hash (or a 503 saying nothing was broadcast, for a new settlement),
 * never a lost payment; once the node is back the journaled transaction is re-broadcast and mined,
 * and the retries report the one settlement.
 */
class NodeOutageTest {

  @Test
  void settlementSurvivesTheNodeGoingAwayAndComingBack(@TempDir Path dir) throws Exception {
    int port = Anvil.freePort();
    Path state = dir.resolve("anvil-state.json");
    Anvil.Options opts =
        Anvil.Options.defaults().port(port).stateFile(state).arg("--state-interval", "1");
    Anvil restarted = null;
    try (Chain chain = Chain.start(opts)) {
      FacilitatorServer server =
          TestKit.startFacilitator(
              chain,
              dir.resolve("data"),
              FacilitatorOptions.defaults()
                  .withReceiptWait(Duration.ofMillis(1500))
                  .withRpcTimeout(Duration.ofSeconds(1))
                  .withPollInterval(Duration.ofMillis(100))
                  .withRebroadcastInterval(Duration.ofMillis(500)),
              TestKit.networks(chain),
              k -> ReceiptIssuer.NONE);
      try {
        String url = TestKit.url(server);
        Credentials payer = chain.account(DevAccounts.AGENT);
        String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
        String p1 = TestKit.payment(chain, payer, payTo, BigInteger.valueOf(700));
        String p2 = TestKit.payment(chain, payer, payTo, BigInteger.valueOf(800));

        chain.setAutomine(false);
        TestKit.Answer pending = TestKit.post(url + "/settle", p1, "p1");
        assertEquals(
            "settlement_pending", pending.json().path("errorReason").asText(), pending.text());
        String tx = pending.json().path("transaction").asText();
        Thread.sleep(
            1_500); // let anvil dump its state (every second) after the funding and deployment

        chain.anvil().close(); // the node goes away (graceful stop: it dumps its state)
        assertFalse(chain.anvil().isAlive());

        long t0 = System.nanoTime();
        TestKit.Answer again = TestKit.post(url + "/settle", p1, "p1");
        assertEquals(200, again.status(), again.text());
        assertEquals("settlement_pending", again.json().path("errorReason").asText(), again.text());
        assertEquals(tx, again.json().path("transaction").asText());
        TestKit.Answer fresh = TestKit.post(url + "/settle", p2, "p2");
        assertEquals(503, fresh.status(), fresh.text());
        assertTrue(
            fresh.json().path("errorMessage").asText().contains("nothing was broadcast"),
            fresh.text());
        assertTrue(
            (System.nanoTime() - t0) / 1_000_000 < 10_000,
            "answers stay bounded while the node is down");
        TestKit.waitUntil(
            "health to notice",
            Duration.ofSeconds(5),
            () -> TestKit.get(url + "/health").json().path("status").asText().equals("degraded"));

        restarted =
            Anvil.start(Anvil.Options.defaults().port(port).stateFile(state).blockTimeSeconds(1));

        TestKit.Answer settled = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
          settled = TestKit.post(url + "/settle", p1, "p1");
          if (settled.json().path("success").asBoolean()) {
            break;
          }
          assertEquals(
              "settlement_pending", settled.json().path("errorReason").asText(), settled.text());
        }
        assertTrue(settled.json().path("success").asBoolean(), settled.text());
        assertEquals(tx, settled.json().path("transaction").asText());
        assertEquals(
            1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(p1)));

        TestKit.Answer second = TestKit.post(url + "/settle", p2, "p2");
        for (int i = 0; i < 10 && !second.json().path("success").asBoolean(); i++) {
          second = TestKit.post(url + "/settle", p2, "p2");
        }
        assertTrue(second.json().path("success").asBoolean(), second.text());
        assertEquals(
            1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(p2)));
        TestKit.waitUntil(
            "health to recover",
            Duration.ofSeconds(5),
            () -> TestKit.get(url + "/health").json().path("status").asText().equals("ok"));
      } finally {
        server.stop();
      }
    } finally {
      if (restarted != null) {
        restarted.close();
      }
    }
  }
}
