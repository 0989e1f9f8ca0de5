package io.attest402.facilitator.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import org.sqlite.SQLiteDataSource;

/**
 * The settlement journal in an embedded SQLite database file ({@code org.xerial:sqlite-jdbc}), the
 * default for one facilitator.
 *
 * <p>Why SQLite: it is the most widely deployed embedded database, its crash behaviour is specified
 * and tested (a transaction that returned is on disk; with {@code synchronous=FULL} in WAL mode
 * even a power cut keeps it), it needs no server and one file, and the SQL of {@link
 * JdbcSettlementStore} runs unchanged on PostgreSQL ({@link PostgresSettlementStore}, for
 * replicas). H2 was the alternative; its MVStore delays commits by default ({@code WRITE_DELAY})
 * and its file format changes between versions, both poor properties for a payment journal.
 *
 * <p>Schema: versioned Flyway migrations in {@code store/migration/sqlite}: {@code settlements}
 * (one row per authorization, unique on network+asset+payer+nonce) and {@code tx_attempts} (every
 * signed transaction: hash, account nonce, raw bytes, fees). One connection, serialised by this
 * object's monitor: the journal's write rate is bounded by the chain's, far below SQLite's.
 */
public final class SqliteSettlementStore extends JdbcSettlementStore {
  private final Connection db;

  private SqliteSettlementStore(Connection db, Clock clock) {
    super(clock);
    this.db = db;
  }

  /**
   * Opens (creating when absent) {@code file}, e.g. {@code DATA_DIR/settlements.db}, and migrates
   * it to the current schema.
   */
  public static SqliteSettlementStore open(Path file, Clock clock) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ownerOnly(file);
      String url = "jdbc:sqlite:" + file.toAbsolutePath();
      Connection c = DriverManager.getConnection(url);
      try {
        try (Statement s = c.createStatement()) {
          s.execute("PRAGMA journal_mode=WAL");
          s.execute("PRAGMA synchronous=FULL");
          s.execute("PRAGMA busy_timeout=10000");
          s.execute("PRAGMA foreign_keys=ON");
        }
        addIdempotencyKeyColumn(c);
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl(url);
        migrate(ds, "sqlite");
      } catch (SQLException | RuntimeException e) {
        c.close();
        throw e;
      }
      for (String suffix : new String[] {"-wal", "-shm"}) {
        Path side = Path.of(file.toAbsolutePath() + suffix);
        if (Files.exists(side)) {
          ownerOnly(side);
        }
      }
      return new SqliteSettlementStore(c, clock);
    } catch (SQLException | IOException | org.flywaydb.core.api.FlywayException e) {
      throw new StoreException("cannot open settlement journal " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Journals written before retries were bound to an {@code Idempotency-Key} (and before migrations
   * were versioned) lack {@code idem_key}; V1 has it, so it is added before V1 adopts the tables.
   */
  private static void addIdempotencyKeyColumn(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      boolean hasTable = false;
      boolean hasIdemKey = false;
      try (ResultSet cols = s.executeQuery("PRAGMA table_info(settlements)")) {
        while (cols.next()) {
          hasTable = true;
          hasIdemKey |= "idem_key".equals(cols.getString("name"));
        }
      }
      if (hasTable && !hasIdemKey) {
        s.execute("ALTER TABLE settlements ADD COLUMN idem_key TEXT");
      }
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
  protected synchronized <T> T autoCommitted(boolean durable, Work<T> w) throws SQLException {
    durability(durable);
    return w.run(db);
  }

  /** A durable write waiting for a group commit: its work, then its result or failure. */
  private static final class Pending<T> {
    final Work<T> work;
    T result;
    Throwable failure;
    boolean done;

    Pending(Work<T> work) {
      this.work = work;
    }
  }

  /** Durable writes queued for the next group commit (guarded by itself). */
  private final java.util.ArrayDeque<Pending<?>> queued = new java.util.ArrayDeque<>();

  private long groupCommits;
  private long groupedWrites;

  /**
   * Durable transactions (a signed transaction before its broadcast, an outcome) from concurrent
   * callers share one commit and so one fsync: each caller queues its work; whichever caller holds
   * the connection next runs every queued work in one transaction, each under its own savepoint (a
   * work that fails is rolled back alone and its caller gets the failure), commits once, and then
   * every caller of the group returns. No caller returns before its write is committed with {@code
   * synchronous=FULL}, so "journaled before broadcast" holds as with one commit per write; a failed
   * commit fails every work of the group (none of it is on disk).
   */
  @Override
  protected <T> T inTransaction(boolean durable, Work<T> w) throws SQLException {
    if (!durable) {
      return transaction(false, w);
    }
    Pending<T> mine = new Pending<>(w);
    synchronized (queued) {
      queued.add(mine);
    }
    synchronized (this) {
      if (!mine.done) {
        commitGroup();
      }
    }
    if (mine.failure instanceof SQLException e) {
      throw e;
    }
    if (mine.failure instanceof RuntimeException e) {
      throw e;
    }
    if (mine.failure instanceof Error e) {
      throw e;
    }
    return mine.result;
  }

  /** Runs every queued durable work in one transaction; called holding this object's monitor. */
  private void commitGroup() {
    List<Pending<?>> group;
    synchronized (queued) {
      group = new java.util.ArrayList<>(queued);
      queued.clear();
    }
    if (group.isEmpty()) {
      return;
    }
    try {
      transaction(
          true,
          c -> {
            int i = 0;
            for (Pending<?> p : group) {
              String sp = "w" + i++;
              try (Statement s = c.createStatement()) {
                s.execute("SAVEPOINT " + sp);
              }
              try {
                run(p, c);
                try (Statement s = c.createStatement()) {
                  s.execute("RELEASE " + sp);
                }
              } catch (SQLException | RuntimeException | Error e) {
                p.failure = e;
                try (Statement s = c.createStatement()) {
                  s.execute("ROLLBACK TO " + sp);
                  s.execute("RELEASE " + sp);
                }
              }
            }
            return null;
          });
      groupCommits++;
      groupedWrites += group.size();
    } catch (SQLException | RuntimeException e) {
      for (Pending<?> p : group) {
        if (p.failure == null) {
          p.failure = e;
        }
      }
    } finally {
      for (Pending<?> p : group) {
        if (p.failure != null) {
          p.result = null;
        }
        p.done = true;
      }
    }
  }

  private static <T> void run(Pending<T> p, Connection c) throws SQLException {
    p.result = p.work.run(c);
  }

  /** Durable writes queued, not yet committed. */
  int queuedWrites() {
    synchronized (queued) {
      return queued.size();
    }
  }

  /** Durable commits so far and the writes they carried (a test checks that writes share them). */
  synchronized long[] groupCommitStats() {
    return new long[] {groupCommits, groupedWrites};
  }

  private synchronized <T> T transaction(boolean durable, Work<T> w) throws SQLException {
    durability(durable);
    db.setAutoCommit(false);
    try {
      T result = w.run(db);
      db.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      rollback();
      throw e;
    } finally {
      autoCommit();
    }
  }

  /** The one connection is held under this object's monitor for the whole transaction. */
  @Override
  protected void lockSequence(Connection c, String chainOf) {}

  @Override
  protected String attemptOrder() {
    return "created_at, rowid";
  }

  @Override
  protected String nowMillisSql() {
    return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
  }

  @Override
  public java.util.Optional<java.time.Duration> leaseTtl() {
    return java.util.Optional.empty();
  }

  /** One process writes an SQLite journal (a write lock is the whole file): no row lock. */
  @Override
  protected String shareLock() {
    return "";
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
