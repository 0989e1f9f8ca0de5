package io.attest402.facilitator.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.facilitator.settle.JournaledOutcome;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementKey;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SettlementState;
import io.attest402.facilitator.settle.TxAttempt;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.sql.Connection;
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
import java.util.Set;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The settlement journal's SQL, shared by the embedded SQLite store and the PostgreSQL store of
 * replicas: the statements are portable, the stores differ in how they hand out connections, how
 * they serialise the outcome sequence and how durable a commit must be. The journal rules live here
 * once: the claim is unique per authorization by the database's UNIQUE constraint (not by a lock in
 * this process), a signed transaction is journaled before it is broadcast, an outcome takes the
 * next sequence number atomically with its receipt.
 */
abstract class JdbcSettlementStore implements SettlementStore, LeaseStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS =
      "id, network, asset, payer, auth_nonce, pay_to, amount, valid_before, request,"
          + " state, account, account_nonce, tx_hash, block_number, error_reason, error_message, outcome_seq, receipt,"
          + " created_at, updated_at, idem_key";

  /** One unit of work on a connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  protected final Clock clock;

  /** The replica this store serves (its identity address), null until {@link #bindReplica}. */
  private volatile String replica;

  /** The fencing token of every lease this replica holds, by lower-case signer address. */
  private final Map<String, Long> heldTokens = new java.util.concurrent.ConcurrentHashMap<>();

  JdbcSettlementStore(Clock clock) {
    this.clock = clock;
  }

  /**
   * Runs {@code w} on a connection in auto-commit mode; {@code durable} asks for a commit that
   * survives a power cut.
   */
  protected abstract <T> T autoCommitted(boolean durable, Work<T> w) throws SQLException;

  /** Runs {@code w} in one transaction, committed when it returns, rolled back when it throws. */
  protected abstract <T> T inTransaction(boolean durable, Work<T> w) throws SQLException;

  /**
   * Serialises outcome sequence assignment in receipt chain {@code chainOf} (a replica's, or null:
   * the chain of a journal no replica is bound to) until the transaction on {@code c} ends; writers
   * of other chains are not held up.
   */
  protected abstract void lockSequence(Connection c, String chainOf) throws SQLException;

  /** The order attempts of one settlement were journaled in (created_at, then insertion order). */
  protected abstract String attemptOrder();

  /** SQL for the database clock in epoch milliseconds (lease times never use a replica's clock). */
  protected abstract String nowMillisSql();

  /** The row lock a fenced write takes on its lease ({@code FOR SHARE}), or "" without one. */
  protected abstract String shareLock();

  /**
   * Applies the versioned schema under {@code classpath:.../migration/<dialect>} (V1 is the schema
   * the journal had before migrations were versioned; its statements are {@code IF NOT EXISTS}, so
   * a journal created by that code is baselined at version 0 and V1 adopts it without loss).
   */
  static void migrate(DataSource ds, String dialect) {
    Flyway.configure(JdbcSettlementStore.class.getClassLoader())
        .dataSource(ds)
        .locations("classpath:io/attest402/facilitator/store/migration/" + dialect)
        .table("attest402_schema_history")
        .baselineOnMigrate(true)
        .baselineVersion("0")
        .cleanDisabled(true)
        .load()
        .migrate();
  }

  @Override
  public Claim claim(Intent in) {
    long now = clock.millis();
    try {
      return autoCommitted(
          false,
          c -> {
            boolean created;
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO settlements (network, asset, payer, auth_nonce,"
                        + " pay_to, amount, valid_before, request, state, account, created_at, updated_at, idem_key)"
                        + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                        + " ON CONFLICT (network, asset, payer, auth_nonce) DO NOTHING")) {
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
              created = ps.executeUpdate() == 1;
            }
            SettlementRecord r =
                byKey(c, in.key())
                    .orElseThrow(
                        () -> new StoreException("row vanished after claim of " + in.key(), null));
            return new Claim(r, created);
          });
    } catch (SQLException e) {
      throw new StoreException("claim failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void addAttempt(long id, TxAttempt a) {
    try {
      inTransaction(
          true,
          c -> {
            fence(c, id);
            try (PreparedStatement ins =
                    c.prepareStatement(
                        "INSERT INTO tx_attempts (tx_hash, settlement_id,"
                            + " account_nonce, raw_tx, max_fee, priority_fee, gas_limit, created_at)"
                            + " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (tx_hash) DO NOTHING");
                PreparedStatement up =
                    c.prepareStatement(
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
            return null;
          });
    } catch (SQLException e) {
      throw new StoreException(
          "journaling transaction " + a.txHash() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void markBroadcast(long id) {
    update(
        "UPDATE settlements SET state = 'BROADCAST', updated_at = ? WHERE id = ? AND state IN ('CLAIMED', 'SIGNED')",
        id);
  }

  private void update(String sql, long id) {
    try {
      Work<Integer> w =
          c -> {
            fence(c, id);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
              ps.setLong(1, clock.millis());
              ps.setLong(2, id);
              return ps.executeUpdate();
            }
          };
      if (replica == null) {
        autoCommitted(false, w);
      } else {
        inTransaction(false, w);
      }
    } catch (SQLException e) {
      throw new StoreException(
          "journal update of settlement " + id + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public SettlementRecord finish(long id, Outcome o, String facilitator, ReceiptIssuer issuer) {
    try {
      return inTransaction(
          true,
          c -> {
            String chainOf = replica;
            lockSequence(c, chainOf);
            SettlementRecord r =
                byId(c, id).orElseThrow(() -> new StoreException("no settlement " + id, null));
            if (r.state().isFinal()) {
              return r;
            }
            fence(c, id);
            long seq = lastSequence(c, chainOf) + 1;
            Instant now = clock.instant();
            JournaledOutcome facts = JournaledOutcome.of(seq, r, o, facilitator, now);
            JsonNode previous = receiptOf(c, chainOf, seq - 1);
            JsonNode receipt = issuer.issue(facts, previous).orElse(null);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE settlements SET state = ?, tx_hash = ?,"
                        + " block_number = ?, error_reason = ?, error_message = ?, outcome_seq = ?, receipt = ?,"
                        + " updated_at = ?, replica = ? WHERE id = ?")) {
              ps.setString(
                  1, o.success() ? SettlementState.SETTLED.name() : SettlementState.FAILED.name());
              ps.setString(2, o.txHash());
              if (o.blockNumber() == null) {
                ps.setNull(3, Types.BIGINT);
              } else {
                ps.setLong(3, o.blockNumber());
              }
              ps.setString(4, o.errorReason());
              ps.setString(5, o.errorMessage());
              ps.setLong(6, seq);
              ps.setString(7, receipt == null ? null : json(receipt));
              ps.setLong(8, now.toEpochMilli());
              ps.setString(9, chainOf);
              ps.setLong(10, id);
              ps.executeUpdate();
            }
            return byId(c, id).orElseThrow();
          });
    } catch (SQLException e) {
      throw new StoreException(
          "journaling the outcome of settlement " + id + " failed: " + e.getMessage(), e);
    }
  }

  private static JsonNode receiptOf(Connection c, String chainOf, long seq) throws SQLException {
    if (seq < 0) {
      return null;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT receipt FROM settlements WHERE outcome_seq = ? AND " + chainIs(chainOf))) {
      ps.setLong(1, seq);
      if (chainOf != null) {
        ps.setString(2, chainOf);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? parse(rs.getString(1)) : null;
      }
    }
  }

  @Override
  public void abandon(long id) {
    try {
      Work<Integer> w =
          c -> {
            fence(c, id);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "DELETE FROM settlements WHERE id = ? AND state IN ('CLAIMED', 'SIGNED')")) {
              ps.setLong(1, id);
              return ps.executeUpdate();
            }
          };
      if (replica == null) {
        autoCommitted(false, w);
      } else {
        inTransaction(false, w);
      }
    } catch (SQLException e) {
      throw new StoreException("abandoning settlement " + id + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<SettlementRecord> byKey(SettlementKey k) {
    return read(c -> byKey(c, k));
  }

  private Optional<SettlementRecord> byKey(Connection c, SettlementKey k) throws SQLException {
    return select(
            c,
            "WHERE network = ? AND asset = ? AND payer = ? AND auth_nonce = ?",
            k.network(),
            k.asset(),
            k.payer(),
            k.nonce())
        .stream()
        .findFirst();
  }

  @Override
  public Optional<SettlementRecord> byId(long id) {
    return read(c -> byId(c, id));
  }

  private Optional<SettlementRecord> byId(Connection c, long id) throws SQLException {
    return select(c, "WHERE id = ?", id).stream().findFirst();
  }

  @Override
  public List<SettlementRecord> byNonceOrTxHash(String hex32) {
    String h = hex32.toLowerCase(java.util.Locale.ROOT);
    return read(
        c ->
            select(
                c,
                "WHERE auth_nonce = ? OR tx_hash = ? OR id IN (SELECT settlement_id FROM tx_attempts"
                    + " WHERE tx_hash = ?) ORDER BY id",
                h,
                h,
                h));
  }

  @Override
  public List<SettlementRecord> inFlight() {
    return read(c -> select(c, "WHERE state IN ('CLAIMED', 'SIGNED', 'BROADCAST') ORDER BY id"));
  }

  @Override
  public List<ReceiptEntry> receiptsFrom(long from, int limit) {
    try {
      return autoCommitted(
          false,
          c -> {
            List<ReceiptEntry> out = new ArrayList<>();
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT outcome_seq, id, receipt FROM settlements"
                        + " WHERE outcome_seq >= ? AND receipt IS NOT NULL AND "
                        + chainIs(replica)
                        + " ORDER BY outcome_seq LIMIT ?")) {
              String chainOf = replica;
              ps.setLong(1, from);
              int i = 2;
              if (chainOf != null) {
                ps.setString(i++, chainOf);
              }
              ps.setInt(i, limit);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  out.add(new ReceiptEntry(rs.getLong(1), rs.getLong(2), parse(rs.getString(3))));
                }
              }
            }
            return out;
          });
    } catch (SQLException e) {
      throw new StoreException("reading receipts failed: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<String> bindPaymentId(String idHash, String fingerprint) {
    try {
      return autoCommitted(
          true,
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO payment_ids (id_hash, fingerprint, created_at) VALUES (?, ?, ?)"
                        + " ON CONFLICT (id_hash) DO NOTHING")) {
              ps.setString(1, idHash);
              ps.setString(2, fingerprint);
              ps.setLong(3, clock.millis());
              if (ps.executeUpdate() == 1) {
                return Optional.empty();
              }
            }
            return paymentIdBinding(c, idHash);
          });
    } catch (SQLException e) {
      throw new StoreException("cannot bind payment id: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<String> paymentIdBinding(String idHash) {
    return read(c -> paymentIdBinding(c, idHash));
  }

  private static Optional<String> paymentIdBinding(Connection c, String idHash)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT fingerprint FROM payment_ids WHERE id_hash = ?")) {
      ps.setString(1, idHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  @Override
  public Optional<CredentialEntry> recordCredential(CredentialEntry e) {
    String tx = e.txHash().toLowerCase(java.util.Locale.ROOT);
    try {
      return autoCommitted(
          true,
          c -> {
            try (PreparedStatement ins =
                c.prepareStatement(
                    "INSERT INTO credentials (network, tx_hash, payer, pay_to, asset, amount, resource,"
                        + " token, issued_at) VALUES (?,?,?,?,?,?,?,?,?)"
                        + " ON CONFLICT (network, tx_hash) DO NOTHING")) {
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
                return Optional.<CredentialEntry>empty();
              }
            }
            try (PreparedStatement q =
                c.prepareStatement(
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
          });
    } catch (SQLException ex) {
      throw new StoreException("journaling a credential failed: " + ex.getMessage(), ex);
    }
  }

  @Override
  public boolean catalogResource(DiscoveryEntry e, int maxTotal, int maxPerPayTo) {
    String keys = "," + String.join(",", e.extensionKeys()) + ",";
    try {
      return inTransaction(
          false,
          c -> {
            try (PreparedStatement up =
                c.prepareStatement(
                    "UPDATE discovery_resources SET network = ?, scheme = ?, extension_keys = ?,"
                        + " entry = ?, updated_at = ? WHERE resource = ? AND pay_to = ?")) {
              up.setString(1, e.network());
              up.setString(2, e.scheme());
              up.setString(3, keys);
              up.setString(4, e.entry());
              up.setLong(5, e.updatedAt());
              up.setString(6, e.resource());
              up.setString(7, e.payTo());
              if (up.executeUpdate() == 1) {
                return true;
              }
            }
            if (count(c, "SELECT COUNT(*) FROM discovery_resources", null) >= maxTotal
                || count(c, "SELECT COUNT(*) FROM discovery_resources WHERE pay_to = ?", e.payTo())
                    >= maxPerPayTo) {
              return false;
            }
            try (PreparedStatement ins =
                c.prepareStatement(
                    "INSERT INTO discovery_resources (resource, pay_to, network, scheme,"
                        + " extension_keys, entry, updated_at) VALUES (?,?,?,?,?,?,?)"
                        + " ON CONFLICT (resource, pay_to) DO NOTHING")) {
              ins.setString(1, e.resource());
              ins.setString(2, e.payTo());
              ins.setString(3, e.network());
              ins.setString(4, e.scheme());
              ins.setString(5, keys);
              ins.setString(6, e.entry());
              ins.setLong(7, e.updatedAt());
              ins.executeUpdate();
            }
            return true;
          });
    } catch (SQLException ex) {
      throw new StoreException("cataloging a resource failed: " + ex.getMessage(), ex);
    }
  }

  private static long count(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (arg != null) {
        ps.setString(1, arg);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public DiscoveryPage discoveryResources(DiscoveryFilter f, int limit, long offset) {
    StringBuilder where = new StringBuilder(" WHERE 1 = 1");
    List<String> args = new ArrayList<>();
    if (f.payTo() != null) {
      where.append(" AND pay_to = ?");
      args.add(f.payTo());
    }
    if (f.network() != null) {
      where.append(" AND network = ?");
      args.add(f.network());
    }
    if (f.scheme() != null) {
      where.append(" AND scheme = ?");
      args.add(f.scheme());
    }
    if (f.extension() != null) {
      // the key is checked to be [a-z0-9-] before it gets here, so it holds no LIKE wildcard
      where.append(" AND extension_keys LIKE ?");
      args.add("%," + f.extension() + ",%");
    }
    return read(
        c -> {
          long total;
          try (PreparedStatement ps =
              c.prepareStatement("SELECT COUNT(*) FROM discovery_resources" + where)) {
            for (int i = 0; i < args.size(); i++) {
              ps.setString(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              total = rs.getLong(1);
            }
          }
          List<String> entries = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT entry FROM discovery_resources"
                      + where
                      + " ORDER BY updated_at DESC, resource, pay_to LIMIT ? OFFSET ?")) {
            int i = 0;
            for (; i < args.size(); i++) {
              ps.setString(i + 1, args.get(i));
            }
            ps.setInt(i + 1, limit);
            ps.setLong(i + 2, offset);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                entries.add(rs.getString(1));
              }
            }
          }
          return new DiscoveryPage(entries, total);
        });
  }

  @Override
  public long lastSequence() {
    try {
      String chainOf = replica;
      return autoCommitted(false, c -> lastSequence(c, chainOf));
    } catch (SQLException e) {
      throw new StoreException("reading the journal sequence failed: " + e.getMessage(), e);
    }
  }

  /**
   * The last sequence of a receipt chain: replica {@code chainOf}'s, or (null) the chain of a
   * journal no replica is bound to (SQLite's one facilitator, and rows from before replicas).
   */
  private static long lastSequence(Connection c, String chainOf) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COALESCE(MAX(outcome_seq), -1) FROM settlements WHERE " + chainIs(chainOf))) {
      if (chainOf != null) {
        ps.setString(1, chainOf);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static String chainIs(String chainOf) {
    return chainOf == null ? "replica IS NULL" : "replica = ?";
  }

  // ------------------------------------------------------------------------------------ replica
  // leases

  /**
   * Refuses (throws {@link FencedException}) a write for settlement {@code id} while this store is
   * bound to a replica that does not hold the lease of the settlement's signer with the token it
   * acquired. The lease row stays share-locked until the write's transaction ends, so a takeover
   * cannot slip between the check and the write. A signer nobody ever leased is not fenced.
   */
  private void fence(Connection c, long id) throws SQLException {
    String me = replica;
    if (me == null) {
      return;
    }
    String account;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT account FROM settlements WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return; // the write finds no row either
        }
        account = rs.getString(1);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT holder, token FROM signer_leases WHERE signer = ?" + shareLock())) {
      ps.setString(1, account);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        String holder = rs.getString(1);
        long token = rs.getLong(2);
        Long mine = heldTokens.get(account.toLowerCase(java.util.Locale.ROOT));
        if (!me.equalsIgnoreCase(holder) || mine == null || mine != token) {
          throw new FencedException(
              "settlement "
                  + id
                  + " of signer "
                  + account
                  + ": the lease is held by "
                  + holder
                  + " with token "
                  + token
                  + ", this replica "
                  + me
                  + " holds "
                  + (mine == null ? "none" : "token " + mine)
                  + ": not written");
        }
      }
    }
  }

  @Override
  public void bindReplica(String replica, java.util.Collection<String> ownSigners) {
    try {
      autoCommitted(
          true,
          c -> {
            for (String s : ownSigners) {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE settlements SET replica = ? WHERE replica IS NULL AND outcome_seq IS NOT NULL"
                          + " AND lower(account) = ?")) {
                ps.setString(1, replica);
                ps.setString(2, s.toLowerCase(java.util.Locale.ROOT));
                ps.executeUpdate();
              }
            }
            return null;
          });
    } catch (SQLException e) {
      throw new StoreException("binding replica " + replica + " failed: " + e.getMessage(), e);
    }
    this.replica = replica;
  }

  @Override
  public long acquireHome(String signer, String home, java.time.Duration ttl) {
    try {
      long token =
          autoCommitted(
              true,
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "INSERT INTO signer_leases (signer, home, holder, token, expires_at, updated_at)"
                            + " VALUES (?, ?, ?, 1, "
                            + nowMillisSql()
                            + " + ?, "
                            + nowMillisSql()
                            + ") ON CONFLICT (signer) DO UPDATE SET home = excluded.home,"
                            + " holder = excluded.holder, token = signer_leases.token + 1,"
                            + " expires_at = excluded.expires_at, updated_at = excluded.updated_at"
                            + " RETURNING token")) {
                  ps.setString(1, signer);
                  ps.setString(2, home);
                  ps.setString(3, home);
                  ps.setLong(4, ttl.toMillis());
                  try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                  }
                }
              });
      heldTokens.put(signer.toLowerCase(java.util.Locale.ROOT), token);
      return token;
    } catch (SQLException e) {
      throw new StoreException("taking the lease of " + signer + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public java.util.OptionalLong takeOver(
      String signer, long seenToken, String holder, java.time.Duration ttl) {
    try {
      java.util.OptionalLong token =
          autoCommitted(
              true,
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "UPDATE signer_leases SET holder = ?, token = token + 1, expires_at = "
                            + nowMillisSql()
                            + " + ?, updated_at = "
                            + nowMillisSql()
                            + " WHERE signer = ? AND token = ? AND expires_at < "
                            + nowMillisSql()
                            + " RETURNING token")) {
                  ps.setString(1, holder);
                  ps.setLong(2, ttl.toMillis());
                  ps.setString(3, signer);
                  ps.setLong(4, seenToken);
                  try (ResultSet rs = ps.executeQuery()) {
                    return rs.next()
                        ? java.util.OptionalLong.of(rs.getLong(1))
                        : java.util.OptionalLong.empty();
                  }
                }
              });
      token.ifPresent(t -> heldTokens.put(signer.toLowerCase(java.util.Locale.ROOT), t));
      return token;
    } catch (SQLException e) {
      throw new StoreException(
          "taking over the lease of " + signer + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean renew(String signer, String holder, long token, java.time.Duration ttl) {
    try {
      return autoCommitted(
          false,
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE signer_leases SET expires_at = "
                        + nowMillisSql()
                        + " + ?, updated_at = "
                        + nowMillisSql()
                        + " WHERE signer = ? AND holder = ? AND token = ?")) {
              ps.setLong(1, ttl.toMillis());
              ps.setString(2, signer);
              ps.setString(3, holder);
              ps.setLong(4, token);
              return ps.executeUpdate() == 1;
            }
          });
    } catch (SQLException e) {
      throw new StoreException("renewing the lease of " + signer + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void dropFence(String signer) {
    heldTokens.remove(signer.toLowerCase(java.util.Locale.ROOT));
  }

  @Override
  public List<Lease> leases() {
    return read(
        c -> {
          List<Lease> out = new ArrayList<>();
          try (Statement s = c.createStatement();
              ResultSet rs =
                  s.executeQuery(
                      "SELECT signer, home, holder, token, expires_at < "
                          + nowMillisSql()
                          + " FROM signer_leases ORDER BY signer")) {
            while (rs.next()) {
              out.add(
                  new Lease(
                      rs.getString(1),
                      rs.getString(2),
                      rs.getString(3),
                      rs.getLong(4),
                      rs.getBoolean(5)));
            }
          }
          return out;
        });
  }

  private <T> T read(Work<T> w) {
    try {
      return autoCommitted(false, w);
    } catch (SQLException e) {
      throw new StoreException("reading the journal failed: " + e.getMessage(), e);
    }
  }

  private List<SettlementRecord> select(Connection c, String where, Object... args)
      throws SQLException {
    Map<Long, SettlementRecord> rows = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + COLUMNS + " FROM settlements " + where)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.put(rs.getLong("id"), row(rs, List.of()));
        }
      }
    }
    if (rows.isEmpty()) {
      return List.of();
    }
    Map<Long, List<TxAttempt>> attempts = attempts(c, rows.keySet());
    List<SettlementRecord> out = new ArrayList<>();
    for (SettlementRecord r : rows.values()) {
      out.add(withAttempts(r, attempts.getOrDefault(r.id(), List.of())));
    }
    return out;
  }

  private Map<Long, List<TxAttempt>> attempts(Connection c, Set<Long> ids) throws SQLException {
    Map<Long, List<TxAttempt>> out = new LinkedHashMap<>();
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < ids.size(); i++) {
      in.append(i == 0 ? "?" : ",?");
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT settlement_id, tx_hash, account_nonce, raw_tx, max_fee,"
                + " priority_fee, gas_limit, created_at FROM tx_attempts WHERE settlement_id IN ("
                + in
                + ") ORDER BY "
                + attemptOrder())) {
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
}
