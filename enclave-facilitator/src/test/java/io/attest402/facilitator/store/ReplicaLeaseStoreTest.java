package io.attest402.facilitator.store;

import static io.attest402.facilitator.store.SettlementStoreContract.attempt;
import static io.attest402.facilitator.store.SettlementStoreContract.hex;
import static io.attest402.facilitator.store.SettlementStoreContract.intent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SettlementState;
import io.attest402.x402.types.Wire;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * Replica leases on a real PostgreSQL server: a signer's lease is taken over only once expired, the
 * fencing token refuses every write of a replica that does not hold the lease (a stranger, or the
 * stale owner after a takeover, or the taker after the owner took it back), receipt chains are per
 * replica, and V6 migrates a V5 journal with data in it.
 */
class ReplicaLeaseStoreTest {
  /** The signer of {@link SettlementStoreContract#intent}. */
  private static final String SIGNER = "0xFacFacFacFacFacFacFacFacFacFacFacFacFac0";

  private static final Duration TTL = Duration.ofSeconds(1);

  private static final ReceiptIssuer ISSUER =
      (f, prev) -> {
        ObjectNode o = Wire.newObject();
        o.put("seq", f.sequence());
        o.put("prevSeq", prev == null ? -1 : prev.path("seq").asLong());
        return Optional.of(o);
      };

  private static PostgresSettlementStore open(PostgresSettlementStore.Location db) {
    return PostgresSettlementStore.open(db, "", Clock.systemUTC(), TTL);
  }

  /**
   * Outcome sequence numbers are serialised per receipt chain, not database-wide: while replica a
   * is inside an outcome transaction (its receipt being issued), replica b journals an outcome of
   * its own at once, and a second store of replica a waits, then continues a's chain without a gap.
   */
  @Test
  void replicasJournalOutcomesWithoutWaitingForEachOther() throws Exception {
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try (PostgresSettlementStore a = open(db);
        PostgresSettlementStore a2 = open(db);
        PostgresSettlementStore b = open(db)) {
      a.bindReplica("0xa", List.of(SIGNER));
      a2.bindReplica("0xa", List.of(SIGNER));
      b.bindReplica("0xb", List.of("0xbbbb000000000000000000000000000000000001"));
      long ida = a.claim(intent(hex(11))).record().id();
      long ida2 = a.claim(intent(hex(12))).record().id();
      long idb = a.claim(intent(hex(13))).record().id();
      java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      ReceiptIssuer slow =
          (f, prev) -> {
            inside.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return ISSUER.issue(f, prev);
          };
      var held = pool.submit(() -> a.finish(ida, Outcome.settled(hex(111), 5), SIGNER, slow));
      assertTrue(inside.await(10, java.util.concurrent.TimeUnit.SECONDS));
      SettlementRecord other =
          pool.submit(() -> b.finish(idb, Outcome.settled(hex(113), 5), SIGNER, ISSUER))
              .get(5, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(0L, other.outcomeSeq(), "b's chain is not held up by a's open outcome");
      var sameChain =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> a2.finish(ida2, Outcome.settled(hex(112), 5), SIGNER, ISSUER));
      Thread.sleep(500);
      assertFalse(sameChain.isDone(), "a second writer of a's chain waits for the first");
      release.countDown();
      assertEquals(0L, held.get(10, java.util.concurrent.TimeUnit.SECONDS).outcomeSeq());
      assertEquals(1L, sameChain.get(10, java.util.concurrent.TimeUnit.SECONDS).outcomeSeq());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void onlyTheLeaseHolderWithItsTokenWritesAndAStaleOwnerCannotClobber() throws Exception {
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    try (PostgresSettlementStore a = open(db);
        PostgresSettlementStore b = open(db)) {
      a.bindReplica("0xa", List.of(SIGNER));
      b.bindReplica("0xb", List.of("0xbbbb000000000000000000000000000000000001"));
      long first = a.acquireHome(SIGNER, "0xa", TTL);
      long id = a.claim(intent(hex(1))).record().id();
      a.addAttempt(id, attempt(hex(101), 0));

      // a replica that holds no lease writes nothing of the signer's
      assertThrows(LeaseStore.FencedException.class, () -> b.markBroadcast(id));
      assertThrows(
          LeaseStore.FencedException.class,
          () -> b.finish(id, Outcome.settled(hex(101), 5), "0xb", ISSUER));
      assertThrows(LeaseStore.FencedException.class, () -> b.abandon(id));
      assertThrows(LeaseStore.FencedException.class, () -> b.addAttempt(id, attempt(hex(102), 0)));
      assertEquals(OptionalLong.empty(), b.takeOver(SIGNER, first, "0xb", TTL), "not expired");

      // a stops heartbeating: b takes over with a new token
      Thread.sleep(TTL.toMillis() + 300);
      OptionalLong taken = b.takeOver(SIGNER, first, "0xb", TTL);
      assertEquals(OptionalLong.of(first + 1), taken);
      assertEquals(
          OptionalLong.empty(), a.takeOver(SIGNER, first, "0xa", TTL), "one takeover per token");
      assertFalse(a.renew(SIGNER, "0xa", first, TTL), "a lost its lease");
      // the stale owner comes back (paused, not dead): none of its writes land
      assertThrows(LeaseStore.FencedException.class, () -> a.markBroadcast(id));
      assertThrows(LeaseStore.FencedException.class, () -> a.addAttempt(id, attempt(hex(103), 0)));
      assertThrows(
          LeaseStore.FencedException.class,
          () -> a.finish(id, Outcome.failed("x", "clobber", "", null), "0xa", ISSUER));
      assertEquals(1, a.byId(id).orElseThrow().attempts().size(), "no attempt slipped in");
      b.markBroadcast(id);
      SettlementRecord fin = b.finish(id, Outcome.settled(hex(101), 5), SIGNER, ISSUER);
      assertEquals(SettlementState.SETTLED, fin.state());
      assertEquals(0L, fin.outcomeSeq(), "the first receipt of b's chain");

      // the owner takes its lease back: the taker is fenced out from then on
      long back = a.acquireHome(SIGNER, "0xa", TTL);
      assertEquals(first + 2, back);
      assertFalse(b.renew(SIGNER, "0xb", first + 1, TTL));
      long id2 = a.claim(intent(hex(2))).record().id();
      assertThrows(LeaseStore.FencedException.class, () -> b.abandon(id2));
      a.addAttempt(id2, attempt(hex(201), 1));
      assertEquals(
          0L,
          a.finish(id2, Outcome.settled(hex(201), 6), SIGNER, ISSUER).outcomeSeq(),
          "a's own chain starts at 0 too");
      assertEquals(1, a.receiptsFrom(0, 10).size(), "each replica reads its own chain");
      assertEquals(id2, a.receiptsFrom(0, 10).get(0).settlementId());
      assertEquals(id, b.receiptsFrom(0, 10).get(0).settlementId());
      assertEquals(0, a.lastSequence());
      assertEquals(0, b.lastSequence());
    }
  }

  @Test
  void migratesAV5JournalWithDataToV6AndTheOwnerContinuesItsChain() throws Exception {
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    Flyway.configure(getClass().getClassLoader())
        .dataSource("jdbc:postgresql://127.0.0.1:" + db.port() + "/" + db.database(), db.user(), "")
        .locations("classpath:io/attest402/facilitator/store/migration/postgresql")
        .table("attest402_schema_history")
        .target("5")
        .load()
        .migrate();
    try (Connection c = PostgresServer.connect(db);
        Statement s = c.createStatement()) {
      // the one facilitator of a V5 journal: a finished settlement (outcome 0) and one in flight
      s.execute(
          "INSERT INTO settlements (network, asset, payer, auth_nonce, pay_to, amount, valid_before,"
              + " request, state, account, account_nonce, tx_hash, outcome_seq, receipt, created_at,"
              + " updated_at) VALUES ('eip155:31337', '0xaa', '0xpp', '"
              + hex(900)
              + "', '0xqq', '10', '2000000000', '{}', 'SETTLED', '"
              + SIGNER
              + "', 0, '"
              + hex(901)
              + "', 0, '{\"seq\":0,\"prevSeq\":-1}', 1, 1)");
    }
    try (PostgresSettlementStore a = open(db)) {
      List<String> versions = new ArrayList<>();
      try (Connection c = PostgresServer.connect(db);
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT version FROM attest402_schema_history ORDER BY installed_rank")) {
        while (rs.next()) {
          versions.add(rs.getString(1));
        }
      }
      assertEquals(List.of("1", "2", "4", "5", "6"), versions);
      assertEquals(0, a.lastSequence(), "unbound: the journal's one chain");
      a.bindReplica("0xa", List.of(SIGNER));
      assertEquals(0, a.lastSequence(), "its signer's rows joined its chain");
      a.acquireHome(SIGNER, "0xa", TTL);
      long id = a.claim(intent(hex(3))).record().id();
      a.addAttempt(id, attempt(hex(301), 1));
      SettlementRecord fin = a.finish(id, Outcome.settled(hex(301), 7), SIGNER, ISSUER);
      assertEquals(1L, fin.outcomeSeq());
      assertEquals(0, fin.receipt().path("prevSeq").asLong(), "chained to the V5 receipt");
      assertEquals(2, a.receiptsFrom(0, 10).size());
    }
    try (PostgresSettlementStore other = open(db)) {
      other.bindReplica("0xc", List.of("0xcccc000000000000000000000000000000000001"));
      assertEquals(-1, other.lastSequence(), "another replica's chain is empty");
      assertNull(other.receiptsFrom(0, 1).isEmpty() ? null : "not empty");
      assertTrue(other.leases().stream().anyMatch(l -> l.holder().equals("0xa")));
    }
  }
}
