package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.store.PostgresServer;
import io.attest402.facilitator.store.PostgresSettlementStore;
import io.attest402.facilitator.store.SettlementStores;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A facilitator started as {@code --store postgresql://...} runs it journals in that database: a
 * settle lands on anvil once, and its row, signed transaction and receipt are in PostgreSQL (and no
 * SQLite journal is created in the data dir).
 */
@ExtendWith(ChainExtension.class)
class PostgresJournalTest {
  @Test
  void settlesThroughAPostgresJournal(Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    SettlementStores.Postgres journal =
        SettlementStores.postgres(
            "postgresql://" + db.user() + "@127.0.0.1:" + db.port() + "/" + db.database(),
            null,
            java.util.Map.of());
    StringWriter log = new StringWriter();
    Path data = dir.resolve("data");
    try (var pcs = AttestationEndpointTest.pcs(data);
        FacilitatorNode node =
            FacilitatorNode.start(
                FacilitatorNode.Config.simulated(d, data, pcs.url()).withStore(journal),
                Clock.systemUTC(),
                new PrintWriter(log),
                new PrintWriter(log))) {
      TestKit.fund(chain, node.address(), java.math.BigDecimal.TEN);
      String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
      String body =
          TestKit.payment(
              chain, chain.account(DevAccounts.AGENT), payTo, BigInteger.valueOf(1_000));
      TestKit.Answer a = TestKit.post(node.url() + "/settle", body);
      assertEquals(200, a.status(), a.text() + "\n" + log);
      assertTrue(a.json().path("success").asBoolean(), a.text());
      TestKit.Answer again = TestKit.post(node.url() + "/settle", body);
      assertTrue(!again.json().path("success").asBoolean(), "one success per payment");
      String tx = a.json().path("transaction").asText();
      try (Connection c = PostgresServer.connect(db);
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT s.state, s.tx_hash, s.receipt IS NOT NULL, count(t.tx_hash)"
                      + " FROM settlements s JOIN tx_attempts t ON t.settlement_id = s.id"
                      + " GROUP BY s.id")) {
        assertTrue(rs.next(), "the settlement is journaled in PostgreSQL");
        assertEquals("SETTLED", rs.getString(1));
        assertEquals(
            tx.toLowerCase(java.util.Locale.ROOT),
            rs.getString(2).toLowerCase(java.util.Locale.ROOT));
        assertTrue(rs.getBoolean(3), "with its signed receipt");
        assertEquals(1, rs.getLong(4), "one signed transaction, journaled");
        assertTrue(!rs.next(), "one row");
      }
      assertTrue(!java.nio.file.Files.exists(data.resolve("settlements.db")), "no SQLite journal");
    }
  }
}
