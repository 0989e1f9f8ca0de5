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
