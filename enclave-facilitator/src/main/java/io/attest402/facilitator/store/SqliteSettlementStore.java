package io.attest402.facilitator.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementFacts;
import io.attest402.facilitator.settle.SettlementKey;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SettlementState;
import io.attest402.facilitator.settle.TxAttempt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settlement journal in an embedded SQLite database file ({@code org.xerial:sqlite-jdbc}).
 *
 * <p>Why SQLite: it is the most widely deployed embedded database, its crash behaviour is specified
 * and tested (a transaction that returned is on disk; with {@code synchronous=FULL} in WAL mode
 * even a power cut keeps it), it needs no server and one file, and its {@code INSERT ... ON
 * CONFLICT DO NOTHING} and the rest of the SQL used here run unchanged on PostgreSQL, so a JDBC
 * store shared by several replicas is this class with another connection. H2 was the alternative;
 * its MVStore delays commits by default ({@code WRITE_DELAY}) and its file format changes between
 * versions, both poor properties for a payment journal.
 *
 * <p>Schema: {@code settlements} (one row per authorization, unique on network+asset+payer+nonce)
 * and {@code tx_attempts} (every signed transaction: hash, account nonce, raw bytes, fees). One
 * connection, serialised by this object's monitor: the journal's write rate is bounded by the
 * chain's, far below SQLite's.
 */
public final class SqliteSettlementStore implements SettlementStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS =
      "id, network, asset, payer, auth_nonce, pay_to, amount, valid_before, request,"
          + " state, account, account_nonce, tx_hash, block_number, error_reason, error_message, outcome_seq, receipt,"
          + " created_at, updated_at, idem_key";

  private final Connection db;
  private final Clock clock;

  private SqliteSettlementStore(Connection db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Opens (creating when absent) {@code file}, e.g. {@code DATA_DIR/settlements.db}. */
  public static SqliteSettlementStore open(Path file, Clock clock) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ownerOnly(file);
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA busy_timeout=10000");
        s.execute("PRAGMA foreign_keys=ON");
        s.execute(
            "CREATE TABLE IF NOT EXISTS settlements ("
                + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                + " network TEXT NOT NULL, asset TEXT NOT NULL, payer TEXT NOT NULL, auth_nonce TEXT NOT NULL,"
                + " pay_to TEXT NOT NULL, amount TEXT NOT NULL, valid_before TEXT NOT NULL, request TEXT NOT NULL,"
                + " state TEXT NOT NULL, account TEXT NOT NULL, account_nonce INTEGER, tx_hash TEXT,"
                + " block_number INTEGER, error_reason TEXT, error_message TEXT, outcome_seq INTEGER UNIQUE,"
                + " receipt TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
                + " UNIQUE (network, asset, payer, auth_nonce))");
        s.execute(
            "CREATE TABLE IF NOT EXISTS tx_attempts ("
                + " tx_hash TEXT PRIMARY KEY,"
                + " settlement_id INTEGER NOT NULL REFERENCES settlements(id) ON DELETE CASCADE,"
                + " account_nonce INTEGER NOT NULL, raw_tx TEXT NOT NULL, max_fee TEXT NOT NULL, priority_fee TEXT,"
                + " gas_limit TEXT NOT NULL, created_at INTEGER NOT NULL)");
        boolean hasIdemKey = false;
        try (ResultSet cols = s.executeQuery("PRAGMA table_info(settlements)")) {
          while (cols.next()) {
            hasIdemKey |= "idem_key".equals(cols.getString("name"));
          }
        }
        if (!hasIdemKey) { // journals written before retries were bound to an Idempotency-Key
          s.execute("ALTER TABLE settlements ADD COLUMN idem_key TEXT");
        }
        // payer-settled credentials (added after the first journals; IF NOT EXISTS migrates them)
        s.execute(
            "CREATE TABLE IF NOT EXISTS credentials ("
                + " network TEXT NOT NULL, tx_hash TEXT NOT NULL, payer TEXT NOT NULL, pay_to TEXT NOT NULL,"
                + " asset TEXT NOT NULL, amount TEXT NOT NULL, resource TEXT NOT NULL, token TEXT NOT NULL,"
                + " issued_at INTEGER NOT NULL, PRIMARY KEY (network, tx_hash))");
        s.execute(
            "CREATE TABLE IF NOT EXISTS payment_ids ("
                + " id_hash TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, created_at INTEGER NOT NULL)");
        s.execute("CREATE INDEX IF NOT EXISTS settlements_nonce ON settlements(auth_nonce)");
        s.execute("CREATE INDEX IF NOT EXISTS settlements_state ON settlements(state)");
        s.execute("CREATE INDEX IF NOT EXISTS attempts_settlement ON tx_attempts(settlement_id)");
      }
      for (String suffix : new String[] {"-wal", "-shm"}) {
        Path side = Path.of(file.toAbsolutePath() + suffix);
        if (Files.exists(side)) {
          ownerOnly(side);
        }
      }
      return new SqliteSettlementStore(c, clock);
    } catch (SQLException | IOException e) {
      throw new StoreException("cannot open settlement journal " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The journal says who paid whom how much: readable by the facilitator's user only (mode 0600),
   * created so before SQLite writes anything (SQLite gives its WAL and shared-memory files the
   * database file's mode).
   */
  private static void ownerOnly(Path file) throws IOException {
    if (!java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    java.util.Set<java.nio.file.attribute.PosixFilePermission> rw =
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
    if (Files.notExists(file)) {
      try {
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(rw));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // created meanwhile; set below
      }
    }
    Files.setPosixFilePermissions(file, rw);
  }

  /**
   * Commits of rows that recovery treats the same whether or not they survive a power cut (a claim
   * is dropped at recovery anyway; BROADCAST and SIGNED are reconciled alike) skip the fsync; the
   * signed transaction and the outcome are fsynced ({@code synchronous=FULL}), and a FULL commit
   * makes every earlier WAL commit durable too.
   */
  private void durability(boolean full) throws SQLException {
    try (Statement s = db.createStatement()) {
      s.execute(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    }
  }

  @Override
  public synchronized Optional<String> bindPaymentId(String idHash, String fingerprint) {
    Optional<String> bound = paymentIdBinding(idHash);
    if (bound.isPresent()) {
      return bound;
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO payment_ids (id_hash, fingerprint, created_at) VALUES (?, ?, ?)")) {
      ps.setString(1, idHash);
      ps.setString(2, fingerprint);
      ps.setLong(3, clock.millis());
      ps.executeUpdate();
      return Optional.empty();
    } catch (SQLException e) {
      throw new StoreException("cannot bind payment id: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Optional<String> paymentIdBinding(String idHash) {
    try (PreparedStatement ps =
        db.prepareStatement("SELECT fingerprint FROM payment_ids WHERE id_hash = ?")) {
      ps.setString(1, idHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read payment id: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Claim claim(Intent in) {
    long now = clock.millis();
    try {
      durability(false);
    } catch (SQLException e) {
      throw new StoreException("claim failed: " + e.getMessage(), e);
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "INSERT INTO settlements (network, asset, payer, auth_nonce,"
                + " pay_to, amount, valid_before, request, state, account, created_at, updated_at, idem_key)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (network, asset, payer, auth_nonce) DO NOTHING")) {
      SettlementKey k = in.key();
      ps.setString(1, k.network());
      ps.setString(2, k.asset());
      ps.setString(3, k.payer());
      ps.setString(4, k.nonce());
      ps.setString(5, in.payTo());
      ps.setString(6, in.amount().toString());
      ps.setString(7, in.validBefore().toString());
      ps.setString(8, json(in.request()));
      ps.setString(9, SettlementState.CLAIMED.name());
      ps.setString(10, in.account());
      ps.setLong(11, now);
      ps.setLong(12, now);
      ps.setString(13, in.idempotencyKeyHash());
      boolean created = ps.executeUpdate() == 1;
      SettlementRecord r =
          byKey(k).orElseThrow(() -> new StoreException("row vanished after claim of " + k, null));
      return new Claim(r, created);
    } catch (SQLException e) {
      throw new StoreException("claim failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void addAttempt(long id, TxAttempt a) {
    try {
      durability(true);
      db.setAutoCommit(false);
      try (PreparedStatement ins =
              db.prepareStatement(
                  "INSERT INTO tx_attempts (tx_hash, settlement_id,"
                      + " account_nonce, raw_tx, max_fee, priority_fee, gas_limit, created_at) VALUES (?,?,?,?,?,?,?,?)"
                      + " ON CONFLICT (tx_hash) DO NOTHING");
          PreparedStatement up =
              db.prepareStatement(
                  "UPDATE settlements SET account_nonce = ?, tx_hash = ?,"
                      + " state = CASE WHEN state = 'CLAIMED' THEN 'SIGNED' ELSE state END, updated_at = ?"
                      + " WHERE id = ? AND state NOT IN ('SETTLED', 'FAILED')")) {
        ins.setString(1, a.txHash());
        ins.setLong(2, id);
        ins.setLong(3, a.accountNonce());
        ins.setString(4, a.rawTx());
        ins.setString(5, a.maxFeePerGas().toString());
        if (a.maxPriorityFeePerGas() == null) {
          ins.setNull(6, Types.VARCHAR);
        } else {
          ins.setString(6, a.maxPriorityFeePerGas().toString());
        }
        ins.setString(7, a.gasLimit().toString());
        ins.setLong(8, a.createdAt().toEpochMilli());
        ins.executeUpdate();
        up.setLong(1, a.accountNonce());
        up.setString(2, a.txHash());
        up.setLong(3, clock.millis());
        up.setLong(4, id);
        up.executeUpdate();
      }
      db.commit();
    } catch (SQLException e) {
      rollback();
      throw new StoreException(
          "journaling transaction " + a.txHash() + " failed: " + e.getMessage(), e);
    } finally {
      autoCommit();
    }
  }

  @Override
  public synchronized void markBroadcast(long id) {
    try {
      durability(false);
    } catch (SQLException e) {
      throw new StoreException(
          "journal update of settlement " + id + " failed: " + e.getMessage(), e);
    }
    update(
        "UPDATE settlements SET state = 'BROADCAST', updated_at = ? WHERE id = ? AND state IN ('CLAIMED', 'SIGNED')",
        id);
  }

  private void update(String sql, long id) {
    try (PreparedStatement ps = db.prepareStatement(sql)) {
      ps.setLong(1, clock.millis());
      ps.setLong(2, id);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException(
          "journal update of settlement " + id + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized SettlementRecord finish(
      long id, Outcome o, String facilitator, ReceiptIssuer issuer) {
    try {
      durability(true);
      db.setAutoCommit(false);
      SettlementRecord r =
          byId(id).orElseThrow(() -> new StoreException("no settlement " + id, null));
      if (r.state().isFinal()) {
        db.commit();
        return r;
      }
      long seq = lastSequence() + 1;
      Instant now = clock.instant();
      SettlementFacts facts =
          new SettlementFacts(
              seq,
              id,
              o.success(),
              o.errorReason(),
              r.key().network(),
              o.txHash(),
              o.blockNumber(),
              r.key().payer(),
              r.payTo(),
              r.key().asset(),
              r.amount(),
              r.key().nonce(),
              facilitator,
              now);
      JsonNode previous = receiptOf(seq - 1);
      JsonNode receipt = issuer.issue(facts, previous).orElse(null);
      try (PreparedStatement ps =
          db.prepareStatement(
              "UPDATE settlements SET state = ?, tx_hash = ?,"
                  + " block_number = ?, error_reason = ?, error_message = ?, outcome_seq = ?, receipt = ?, updated_at = ?"
                  + " WHERE id = ?")) {
        ps.setString(
            1, o.success() ? SettlementState.SETTLED.name() : SettlementState.FAILED.name());
        ps.setString(2, o.txHash());
        if (o.blockNumber() == null) {
          ps.setNull(3, Types.INTEGER);
        } else {
          ps.setLong(3, o.blockNumber());
        }
        ps.setString(4, o.errorReason());
        ps.setString(5, o.errorMessage());
        ps.setLong(6, seq);
        ps.setString(7, receipt == null ? null : json(receipt));
        ps.setLong(8, now.toEpochMilli());
        ps.setLong(9, id);
        ps.executeUpdate();
      }
      db.commit();
      return byId(id).orElseThrow();
    } catch (SQLException e) {
      rollback();
      throw new StoreException(
          "journaling the outcome of settlement " + id + " failed: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      rollback();
      throw e;
    } finally {
      autoCommit();
    }
  }

  private JsonNode receiptOf(long seq) throws SQLException {
    if (seq < 0) {
      return null;
    }
    try (PreparedStatement ps =
        db.prepareStatement("SELECT receipt FROM settlements WHERE outcome_seq = ?")) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? parse(rs.getString(1)) : null;
      }
    }
  }

  @Override
  public synchronized void abandon(long id) {
    try (PreparedStatement ps =
        db.prepareStatement(
            "DELETE FROM settlements WHERE id = ? AND state IN ('CLAIMED', 'SIGNED')")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("abandoning settlement " + id + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Optional<SettlementRecord> byKey(SettlementKey k) {
    List<SettlementRecord> rows =
        select(
            "WHERE network = ? AND asset = ? AND payer = ? AND auth_nonce = ?",
            k.network(),
            k.asset(),
            k.payer(),
            k.nonce());
    return rows.stream().findFirst();
  }

  @Override
  public synchronized Optional<SettlementRecord> byId(long id) {
    return select("WHERE id = ?", id).stream().findFirst();
  }

  @Override
  public synchronized List<SettlementRecord> byNonceOrTxHash(String hex32) {
    String h = hex32.toLowerCase(java.util.Locale.ROOT);
    return select(
        "WHERE auth_nonce = ? OR tx_hash = ? OR id IN (SELECT settlement_id FROM tx_attempts"
            + " WHERE tx_hash = ?) ORDER BY id",
        h,
        h,
        h);
  }

  @Override
  public synchronized List<SettlementRecord> inFlight() {
    return select("WHERE state IN ('CLAIMED', 'SIGNED', 'BROADCAST') ORDER BY id");
  }

  @Override
  public synchronized List<ReceiptEntry> receiptsFrom(long from, int limit) {
    List<ReceiptEntry> out = new ArrayList<>();
    try (PreparedStatement ps =
        db.prepareStatement(
            "SELECT outcome_seq, id, receipt FROM settlements"
                + " WHERE outcome_seq >= ? AND receipt IS NOT NULL ORDER BY outcome_seq LIMIT ?")) {
      ps.setLong(1, from);
      ps.setInt(2, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ReceiptEntry(rs.getLong(1), rs.getLong(2), parse(rs.getString(3))));
        }
      }
    } catch (SQLException e) {
      throw new StoreException("reading receipts failed: " + e.getMessage(), e);
    }
    return out;
  }

  @Override
  public synchronized long lastSequence() {
    try (Statement s = db.createStatement();
        ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(outcome_seq), -1) FROM settlements")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new StoreException("reading the journal sequence failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized Optional<CredentialEntry> recordCredential(CredentialEntry e) {
    String tx = e.txHash().toLowerCase(java.util.Locale.ROOT);
    try (PreparedStatement ins =
        db.prepareStatement(
            "INSERT INTO credentials (network, tx_hash, payer, pay_to, asset, amount, resource, token,"
                + " issued_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (network, tx_hash) DO NOTHING")) {
      durability(true);
      ins.setString(1, e.network());
      ins.setString(2, tx);
      ins.setString(3, e.payer());
      ins.setString(4, e.payTo());
      ins.setString(5, e.asset());
      ins.setString(6, e.amount());
      ins.setString(7, e.resource());
      ins.setString(8, e.token());
      ins.setLong(9, e.issuedAt());
      if (ins.executeUpdate() == 1) {
        return Optional.empty();
      }
      try (PreparedStatement q =
          db.prepareStatement(
              "SELECT payer, pay_to, asset, amount, resource, token, issued_at FROM credentials"
                  + " WHERE network = ? AND tx_hash = ?")) {
        q.setString(1, e.network());
        q.setString(2, tx);
        try (ResultSet rs = q.executeQuery()) {
          if (!rs.next()) {
            throw new StoreException("credential row for " + tx + " vanished", null);
          }
          return Optional.of(
              new CredentialEntry(
                  e.network(),
                  tx,
                  rs.getString(1),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getLong(7)));
        }
      }
    } catch (SQLException ex) {
      throw new StoreException("journaling a credential failed: " + ex.getMessage(), ex);
    }
  }

  private List<SettlementRecord> select(String where, Object... args) {
    Map<Long, SettlementRecord> rows = new LinkedHashMap<>();
    try (PreparedStatement ps =
        db.prepareStatement("SELECT " + COLUMNS + " FROM settlements " + where)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long id = rs.getLong("id");
          rows.put(id, row(rs, List.of()));
        }
      }
      if (rows.isEmpty()) {
        return List.of();
      }
      Map<Long, List<TxAttempt>> attempts = attempts(rows.keySet());
      List<SettlementRecord> out = new ArrayList<>();
      for (SettlementRecord r : rows.values()) {
        out.add(withAttempts(r, attempts.getOrDefault(r.id(), List.of())));
      }
      return out;
    } catch (SQLException e) {
      throw new StoreException("reading the journal failed: " + e.getMessage(), e);
    }
  }

  private Map<Long, List<TxAttempt>> attempts(java.util.Set<Long> ids) throws SQLException {
    Map<Long, List<TxAttempt>> out = new LinkedHashMap<>();
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < ids.size(); i++) {
      in.append(i == 0 ? "?" : ",?");
    }
    try (PreparedStatement ps =
        db.prepareStatement(
            "SELECT settlement_id, tx_hash, account_nonce, raw_tx, max_fee,"
                + " priority_fee, gas_limit, created_at FROM tx_attempts WHERE settlement_id IN ("
                + in
                + ") ORDER BY created_at, rowid")) {
      int i = 1;
      for (Long id : ids) {
        ps.setLong(i++, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String tip = rs.getString(6);
          out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
              .add(
                  new TxAttempt(
                      rs.getString(2),
                      rs.getLong(3),
                      rs.getString(4),
                      new BigInteger(rs.getString(5)),
                      tip == null ? null : new BigInteger(tip),
                      new BigInteger(rs.getString(7)),
                      Instant.ofEpochMilli(rs.getLong(8))));
        }
      }
    }
    return out;
  }

  private static SettlementRecord withAttempts(SettlementRecord r, List<TxAttempt> a) {
    return new SettlementRecord(
        r.id(),
        r.key(),
        r.payTo(),
        r.amount(),
        r.validBefore(),
        r.request(),
        r.state(),
        r.account(),
        r.accountNonce(),
        r.txHash(),
        r.blockNumber(),
        r.errorReason(),
        r.errorMessage(),
        r.outcomeSeq(),
        r.receipt(),
        r.createdAt(),
        r.updatedAt(),
        a,
        r.idempotencyKeyHash());
  }

  private static SettlementRecord row(ResultSet rs, List<TxAttempt> attempts) throws SQLException {
    SettlementKey key =
        new SettlementKey(
            rs.getString("network"),
            rs.getString("asset"),
            rs.getString("payer"),
            rs.getString("auth_nonce"));
    long nonce = rs.getLong("account_nonce");
    Long accountNonce = rs.wasNull() ? null : nonce;
    long block = rs.getLong("block_number");
    Long blockNumber = rs.wasNull() ? null : block;
    long seq = rs.getLong("outcome_seq");
    Long outcomeSeq = rs.wasNull() ? null : seq;
    return new SettlementRecord(
        rs.getLong("id"),
        key,
        rs.getString("pay_to"),
        new BigInteger(rs.getString("amount")),
        new BigInteger(rs.getString("valid_before")),
        parse(rs.getString("request")),
        SettlementState.valueOf(rs.getString("state")),
        rs.getString("account"),
        accountNonce,
        rs.getString("tx_hash"),
        blockNumber,
        rs.getString("error_reason"),
        rs.getString("error_message"),
        outcomeSeq,
        parse(rs.getString("receipt")),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("updated_at")),
        attempts,
        rs.getString("idem_key"));
  }

  private static String json(JsonNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode parse(String s) {
    if (s == null) {
      return null;
    }
    try {
      return JSON.readTree(s);
    } catch (JsonProcessingException e) {
      throw new StoreException("corrupt JSON in the journal: " + e.getOriginalMessage(), e);
    }
  }

  private void rollback() {
    try {
      db.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; the next call reports it
    }
  }

  private void autoCommit() {
    try {
      db.setAutoCommit(true);
    } catch (SQLException ignored) {
      // as above
    }
  }

  @Override
  public synchronized void close() {
    try {
      db.close();
    } catch (SQLException e) {
      throw new StoreException("closing the journal failed: " + e.getMessage(), e);
    }
  }
}
