package io.attest402.facilitator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SettlementState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteSettlementStoreTest extends SettlementStoreContract {
  @Override
  SettlementStore open(Path dir) {
    return SqliteSettlementStore.open(dir.resolve("j.db"), Clock.systemUTC());
  }

  /**
   * Group commit: durable writes of concurrent callers (here 24 signed transactions queued while
   * another write holds the connection, and one write that fails) share one commit; no caller
   * returns before that commit, the failing write is rolled back alone and its caller told, and
   * after reopening the journal every write that returned is there.
   */
  @Test
  void concurrentDurableWritesShareOneCommitAndEachIsThereAfterReopening(@TempDir Path dir)
      throws Exception {
    int writers = 24;
    List<Long> ids = new ArrayList<>();
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(writers + 1);
    try (SqliteSettlementStore s = (SqliteSettlementStore) open(dir)) {
      for (int i = 0; i < writers; i++) {
        ids.add(s.claim(intent(hex(700 + i))).record().id());
      }
      long[] before = s.groupCommitStats();
      List<java.util.concurrent.Future<?>> calls = new ArrayList<>();
      java.util.concurrent.Future<?> orphan;
      synchronized (s) { // the connection is busy: every durable write queues
        for (int i = 0; i < writers; i++) {
          long id = ids.get(i);
          String tx = hex(900 + i);
          calls.add(pool.submit(() -> s.addAttempt(id, attempt(tx, id))));
        }
        orphan = pool.submit(() -> s.addAttempt(987_654L, attempt(hex(899), 1)));
        long until = System.nanoTime() + 10_000_000_000L;
        while (s.queuedWrites() < writers + 1 && System.nanoTime() < until) {
          Thread.sleep(5);
        }
        assertEquals(writers + 1, s.queuedWrites(), "every writer waits for the commit");
        Thread.sleep(100);
        assertTrue(calls.stream().noneMatch(java.util.concurrent.Future::isDone));
      }
      for (var c : calls) {
        c.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      var e =
          org.junit.jupiter.api.Assertions.assertThrows(
              java.util.concurrent.ExecutionException.class,
              () -> orphan.get(30, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof StoreException, e.toString());
      long[] after = s.groupCommitStats();
      assertEquals(1, after[0] - before[0], "one commit for the group");
      assertEquals(writers + 1, after[1] - before[1]);
    } finally {
      pool.shutdownNow();
    }
    try (SettlementStore again = open(dir)) {
      for (int i = 0; i < writers; i++) {
        SettlementRecord r = again.byId(ids.get(i)).orElseThrow();
        assertEquals(SettlementState.SIGNED, r.state());
        assertEquals(hex(900 + i), r.txHash(), "write " + i + " is durable");
      }
      assertEquals(List.of(), again.byNonceOrTxHash(hex(899)), "the failed write left nothing");
    }
  }

  /**
   * The DDL (and, below, rows as SettlementKey writes them: lower case) the journal was created
   * with before migrations were versioned (commit 1224b4e).
   */
  private static final String[] UNVERSIONED_SCHEMA = {
    "CREATE TABLE settlements ("
        + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        + " network TEXT NOT NULL, asset TEXT NOT NULL, payer TEXT NOT NULL, auth_nonce TEXT NOT NULL,"
        + " pay_to TEXT NOT NULL, amount TEXT NOT NULL, valid_before TEXT NOT NULL, request TEXT NOT NULL,"
        + " state TEXT NOT NULL, account TEXT NOT NULL, account_nonce INTEGER, tx_hash TEXT,"
        + " block_number INTEGER, error_reason TEXT, error_message TEXT, outcome_seq INTEGER UNIQUE,"
        + " receipt TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
        + " UNIQUE (network, asset, payer, auth_nonce))",
    "CREATE TABLE tx_attempts ("
        + " tx_hash TEXT PRIMARY KEY,"
        + " settlement_id INTEGER NOT NULL REFERENCES settlements(id) ON DELETE CASCADE,"
        + " account_nonce INTEGER NOT NULL, raw_tx TEXT NOT NULL, max_fee TEXT NOT NULL, priority_fee TEXT,"
        + " gas_limit TEXT NOT NULL, created_at INTEGER NOT NULL)",
    "ALTER TABLE settlements ADD COLUMN idem_key TEXT",
    "CREATE INDEX settlements_nonce ON settlements(auth_nonce)",
    "CREATE INDEX settlements_state ON settlements(state)",
    "CREATE INDEX attempts_settlement ON tx_attempts(settlement_id)"
  };

  private static final String OLD_ROWS =
      "INSERT INTO settlements (id, network, asset, payer, auth_nonce, pay_to, amount, valid_before,"
          + " request, state, account, account_nonce, tx_hash, block_number, outcome_seq, receipt,"
          + " created_at, updated_at%s) VALUES (7, 'eip155:31337', '0xaaaa000000000000000000000000000000000001',"
          + " '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc', '0x%064x', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',"
          + " '10', '2000000000', '{\"n\":1}', 'SETTLED', '0xFac', 3, '0x%064x', 12, 0, '{\"seq\":0}',"
          + " 1000, 2000%s)";

  private static void legacyJournal(Path file, boolean withIdemKey) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      for (String ddl : UNVERSIONED_SCHEMA) {
        if (withIdemKey || !ddl.contains("idem_key")) {
          s.execute(ddl);
        }
      }
      s.execute(
          String.format(
              OLD_ROWS, withIdemKey ? ", idem_key" : "", 1, 2, withIdemKey ? ", 'abc'" : ""));
      s.execute(
          String.format(
              "INSERT INTO tx_attempts VALUES ('0x%064x', 7, 3, '0x02f8', '100', '1', '90000', 1500)",
              2));
    }
  }

  private static List<String> appliedVersions(Path file) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT version, success FROM attest402_schema_history ORDER BY installed_rank")) {
      while (rs.next()) {
        out.add(rs.getString(1) + (rs.getBoolean(2) ? "" : " FAILED"));
      }
    }
    return out;
  }

  @Test
  void migratesAnEmptyDatabaseToTheCurrentSchema(@TempDir Path dir) throws SQLException {
    try (SettlementStore s = open(dir)) {
      assertEquals(-1, s.lastSequence());
    }
    assertEquals(List.of("1", "2", "4", "5", "6"), appliedVersions(dir.resolve("j.db")));
    try (SettlementStore s = open(dir)) {
      assertTrue(s.claim(intent(hex(9))).created());
    }
    assertEquals(
        List.of("1", "2", "4", "5", "6"),
        appliedVersions(dir.resolve("j.db")),
        "a reopen applies nothing");
  }

  @Test
  void adoptsAJournalWrittenBeforeMigrationsWereVersionedWithoutLoss(@TempDir Path dir)
      throws SQLException {
    Path file = dir.resolve("j.db");
    legacyJournal(file, true);
    try (SettlementStore s = open(dir)) {
      SettlementRecord r = s.byId(7).orElseThrow();
      assertEquals(SettlementState.SETTLED, r.state());
      assertEquals("abc", r.idempotencyKeyHash());
      assertEquals(1, r.attempts().size());
      assertEquals("0x02f8", r.attempts().get(0).rawTx());
      assertEquals(0, s.lastSequence());
      assertEquals("{\"seq\":0}", s.receiptsFrom(0, 10).get(0).receipt().toString());
      long next = s.claim(intent(hex(3))).record().id();
      assertTrue(next > 7, "the id sequence continues");
      SettlementRecord f =
          s.finish(next, Outcome.settled(hex(4), 13), "0xF", (facts, prev) -> Optional.empty());
      assertEquals(1L, f.outcomeSeq(), "the outcome sequence continues");
      SettlementStore.Claim old = s.claim(intent(hex(1)));
      assertEquals(7L, old.record().id(), "the old claim still holds: " + old);
    }
    assertEquals(
        List.of("0", "1", "2", "4", "5", "6"),
        appliedVersions(file),
        "baselined at 0, then V1, V2, V4, V5, V6");
  }

  @Test
  void adoptsAJournalFromBeforeIdempotencyKeys(@TempDir Path dir) throws SQLException {
    Path file = dir.resolve("j.db");
    legacyJournal(file, false);
    try (SettlementStore s = open(dir)) {
      SettlementRecord r = s.byId(7).orElseThrow();
      assertNull(r.idempotencyKeyHash());
      assertEquals(12L, r.blockNumber());
    }
    assertEquals(List.of("0", "1", "2", "4", "5", "6"), appliedVersions(file));
  }

  /** A journal at the previous schema version (V1) gains V2's tables and keeps its rows. */
  @Test
  void migratesAJournalFromThePreviousVersion(@TempDir Path dir) throws SQLException {
    Path file = dir.resolve("j.db");
    org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + file);
    org.flywaydb.core.Flyway.configure(getClass().getClassLoader())
        .dataSource(ds)
        .locations("classpath:io/attest402/facilitator/store/migration/sqlite")
        .table("attest402_schema_history")
        .target("1")
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement st = c.createStatement()) {
      st.execute(String.format(OLD_ROWS, ", idem_key", 1, 2, ", 'abc'"));
    }
    assertEquals(List.of("1"), appliedVersions(file));
    try (SettlementStore s = open(dir)) {
      assertEquals(SettlementState.SETTLED, s.byId(7).orElseThrow().state());
      assertEquals(Optional.empty(), s.bindPaymentId("id", "fp"));
      assertEquals(Optional.of("fp"), s.bindPaymentId("id", "other"));
      SettlementStore.CredentialEntry e =
          new SettlementStore.CredentialEntry(
              "eip155:31337", hex(5), "0xa", "0xb", "0xc", "1", "r", "t", 1L);
      assertEquals(Optional.empty(), s.recordCredential(e));
      assertEquals("t", s.recordCredential(e).orElseThrow().token());
    }
    assertEquals(List.of("1", "2", "4", "5", "6"), appliedVersions(file));
  }
}
