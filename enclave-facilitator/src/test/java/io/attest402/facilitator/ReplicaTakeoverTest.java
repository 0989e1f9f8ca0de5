package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.facilitator.store.PostgresServer;
import io.attest402.facilitator.store.PostgresSettlementStore;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.crypto.transaction.type.Transaction1559;
import org.web3j.utils.Numeric;

/**
 * Two in-process replicas on one embedded PostgreSQL journal and one anvil: replica A claims,
 * journals and broadcasts a settlement and stops before journaling its outcome; the authorization
 * is then used on chain by a transaction of A's signer that B's view of the journal does not hold
 * (A's replacement at the same account nonce, journaled after B's reconciler pass read the rows:
 * modelled here by broadcasting it without a journal row). B takes A's lease over, finds A's
 * account nonce mined without any journaled transaction of the row, and must not call the
 * authorization "used by a transaction this facilitator did not send": the {@code
 * AuthorizationUsed} log names A's signer as the sender, so B journals success with A's
 * transaction, and a retry of the request on B learns it. While both run, each one's {@code
 * /health} counts only its own replica's settlements in flight.
 */
@ExtendWith(ChainExtension.class)
class ReplicaTakeoverTest {
  private static final Duration LEASE = Duration.ofSeconds(1);

  private static FacilitatorOptions options() {
    return FacilitatorOptions.defaults()
        .withReceiptWait(Duration.ofSeconds(1))
        .withPollInterval(Duration.ofMillis(50))
        .withShutdownGrace(Duration.ofMillis(100))
        .withReplaceAfter(Duration.ofSeconds(600))
        .withLimits(SettleLimits.defaults().withRates(0, 0, 0));
  }

  private static FacilitatorServer replica(
      Chain chain,
      NetworksConfig networks,
      InMemoryEnclaveKey k,
      PostgresSettlementStore.Location db)
      throws Exception {
    Facilitator f =
        Facilitator.create(
            networks,
            List.of(k),
            PostgresSettlementStore.open(db, "", Clock.systemUTC(), LEASE),
            Clock.systemUTC(),
            options(),
            SignedReceiptIssuer.of(k),
            new FacilitatorMetrics());
    FacilitatorServer s = new FacilitatorServer(f, options(), "127.0.0.1", 0);
    s.start();
    return s;
  }

  @Test
  void takeoverAnswersSuccessForAnAuthorizationUsedByTheStoppedReplicasSigner(Chain chain)
      throws Exception {
    NetworksConfig networks = TestKit.networks(chain);
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    InMemoryEnclaveKey keyA = InMemoryEnclaveKey.generate(TestKit.RANDOM);
    InMemoryEnclaveKey keyB = InMemoryEnclaveKey.generate(TestKit.RANDOM);
    TestKit.fund(chain, keyA.address(), BigDecimal.TEN);
    TestKit.fund(chain, keyB.address(), BigDecimal.TEN);
    String payer = chain.account(DevAccounts.AGENT).getAddress();
    String body =
        TestKit.payment(
            chain,
            chain.account(DevAccounts.AGENT),
            chain.account(DevAccounts.PROVIDER).getAddress(),
            BigInteger.valueOf(4_321));
    String nonce = TestKit.nonceOf(body).toLowerCase(Locale.ROOT);

    FacilitatorServer a = replica(chain, networks, keyA, db);
    FacilitatorServer b = null;
    try {
      chain.setAutomine(false);
      String url = TestKit.url(a) + "/settle";
      CompletableFuture<TestKit.Answer> first =
          CompletableFuture.supplyAsync(() -> TestKit.post(url, body, "takeover-1"));
      TestKit.waitUntil(
          "replica A broadcast its transaction",
          Duration.ofSeconds(30),
          () -> "BROADCAST".equals(row(db, nonce)[0]));
      first.join(); // pending: nothing is mined
      // B joins while A is alive: each /health counts its own replica's rows of the shared journal
      b = replica(chain, networks, keyB, db);
      assertEquals(1, health(a).path("pendingSettlements").asLong(), "A's settlement in flight");
      assertEquals(0, health(b).path("pendingSettlements").asLong(), "not B's (A holds its lease)");
      a.stop(); // A stops before it journals the outcome; its lease lapses a second later
      a = null;

      String journaled = attempt(db, nonce);
      RawTransaction sent = TransactionDecoder.decode(journaled);
      Transaction1559 t = (Transaction1559) sent.getTransaction();
      chain.call("anvil_dropTransaction", List.of(txHash(journaled)));
      // A's replacement at the same account nonce (higher fees), not in the journal B reads
      RawTransaction replacement =
          RawTransaction.createTransaction(
              chain.chainId(),
              t.getNonce(),
              t.getGasLimit(),
              t.getTo(),
              BigInteger.ZERO,
              t.getData(),
              t.getMaxPriorityFeePerGas().multiply(BigInteger.TWO).add(BigInteger.ONE),
              t.getMaxFeePerGas().multiply(BigInteger.TWO).add(BigInteger.ONE));
      String replacementHex = Numeric.toHexString(keyA.sign(replacement, chain.chainId()));
      var r = chain.web3j().ethSendRawTransaction(replacementHex).send();
      assertTrue(!r.hasError(), () -> "replacement refused: " + r.getError().getMessage());
      String landed = r.getTransactionHash().toLowerCase(Locale.ROOT);
      chain.mine();
      chain.setAutomine(true);
      assertEquals(
          1,
          TestKit.authorizationUsedCount(chain, payer, nonce),
          "A's replacement used the authorization");

      TestKit.waitUntil(
          "replica B journaled the outcome of A's settlement",
          Duration.ofSeconds(30),
          () -> {
            String s = row(db, nonce)[0];
            return "SETTLED".equals(s) || "FAILED".equals(s);
          });
      String[] fin = row(db, nonce);
      assertEquals(
          "SETTLED",
          fin[0],
          "A's own transaction used the authorization, not another's: " + fin[2] + " " + fin[3]);
      assertEquals(landed, fin[1].toLowerCase(Locale.ROOT), "the transaction that landed");
      assertTrue(keyB.address().equalsIgnoreCase(fin[4]), "journaled into B's receipt chain");

      TestKit.Answer retry = TestKit.post(TestKit.url(b) + "/settle", body, "takeover-1");
      assertTrue(retry.json().path("success").asBoolean(), retry.text());
      assertEquals(landed, retry.json().path("transaction").asText().toLowerCase(Locale.ROOT));
    } finally {
      chain.setAutomine(true);
      if (a != null) {
        a.stop();
      }
      if (b != null) {
        b.stop();
      }
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode health(FacilitatorServer s) {
    return TestKit.get(TestKit.url(s) + "/health").json();
  }

  /** state, tx_hash, error_reason, error_message, replica of the row for {@code nonce}. */
  private static String[] row(PostgresSettlementStore.Location db, String nonce) {
    try (Connection c = PostgresServer.connect(db);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT state, tx_hash, error_reason, error_message, replica FROM settlements"
                    + " WHERE auth_nonce = ?")) {
      ps.setString(1, nonce);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new String[5];
        }
        return new String[] {
          rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5)
        };
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The one signed transaction journaled for {@code nonce}'s settlement. */
  private static String attempt(PostgresSettlementStore.Location db, String nonce)
      throws Exception {
    try (Connection c = PostgresServer.connect(db);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT a.raw_tx FROM tx_attempts a JOIN settlements s ON s.id = a.settlement_id"
                    + " WHERE s.auth_nonce = ?")) {
      ps.setString(1, nonce);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "A journaled its transaction before broadcasting it");
        String raw = rs.getString(1);
        assertTrue(!rs.next(), "one journaled transaction");
        return raw;
      }
    }
  }

  private static String txHash(String rawHex) {
    return Numeric.toHexString(org.web3j.crypto.Hash.sha3(Numeric.hexStringToByteArray(rawHex)));
  }
}
