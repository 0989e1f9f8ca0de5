package io.attest402.facilitator.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import java.net.URISyntaxException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The settlement journal in a PostgreSQL database shared by facilitator replicas, through a
 * HikariCP pool with bounded timeouts. The claim's uniqueness is the table's UNIQUE constraint
 * ({@code INSERT ... ON CONFLICT DO NOTHING} waits for a concurrent inserter of the same key and
 * then does nothing), so two replicas never both own one authorization; outcome sequence numbers
 * are assigned under a transaction-scoped advisory lock per receipt chain (replica). Schema: Flyway
 * migrations in {@code store/migration/postgresql}.
 */
public final class PostgresSettlementStore extends JdbcSettlementStore {
  /**
   * The advisory lock class under which outcome sequence assignment is serialised per receipt chain
   * ("a402" in ASCII).
   */
  private static final int SEQUENCE_LOCK = 0x61343032;

  /** Bounded waits: for a pooled connection, a TCP connect, a statement, a socket read. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);

  /** Where the journal is: {@code postgresql://USER@HOST:PORT/DB}; the password comes apart. */
  public record Location(String user, String host, int port, String database) {
    public Location {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(database, "database");
    }

    /**
     * Parses {@code postgresql://USER@HOST[:PORT]/DB}. A password in the URL is refused: it would
     * be on the command line, in the process list and in the measured configuration.
     */
    public static Location parse(String url) {
      URI u;
      try {
        u = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("--store: not a URL: " + url, e);
      }
      if (!"postgresql".equals(u.getScheme())) {
        throw new IllegalArgumentException(
            "--store must be postgresql://USER@HOST:PORT/DB, not " + url);
      }
      String info = u.getRawUserInfo();
      if (info == null || info.isEmpty()) {
        throw new IllegalArgumentException("--store: the URL names no user: " + url);
      }
      if (info.contains(":")) {
        throw new IllegalArgumentException(
            "--store: no password in the URL; use --store-password-file or ATTEST402_STORE_PASSWORD");
      }
      String db = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
      if (u.getHost() == null || db.isEmpty() || db.contains("/")) {
        throw new IllegalArgumentException(
            "--store must be postgresql://USER@HOST:PORT/DB: " + url);
      }
      if (u.getRawQuery() != null || u.getRawFragment() != null) {
        throw new IllegalArgumentException("--store: no query or fragment: " + url);
      }
      return new Location(u.getUserInfo(), u.getHost(), u.getPort() < 0 ? 5432 : u.getPort(), db);
    }

    String jdbcUrl() {
      return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
      return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
    }
  }

  /** How long a replica's signer lease lasts without a heartbeat, unless configured. */
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);

  private final HikariDataSource pool;
  private final Duration leaseTtl;

  private PostgresSettlementStore(HikariDataSource pool, Clock clock, Duration leaseTtl) {
    super(clock);
    this.pool = pool;
    this.leaseTtl = leaseTtl;
  }

  /** Connects to {@code at}, migrates its schema to the current version and pools connections. */
  public static PostgresSettlementStore open(Location at, String password, Clock clock) {
    return open(at, password, clock, DEFAULT_LEASE_TTL);
  }

  /**
   * {@link #open(Location, String, Clock)} for replicas whose signer leases last {@code leaseTtl}
   * without a heartbeat (a killed replica's settlements are taken over that long after it died).
   */
  public static PostgresSettlementStore open(
      Location at, String password, Clock clock, Duration leaseTtl) {
    if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the lease TTL must be at least 1 second: " + leaseTtl);
    }
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("attest402-journal");
    cfg.setJdbcUrl(at.jdbcUrl());
    cfg.setUsername(at.user());
    cfg.setPassword(password);
    cfg.setMaximumPoolSize(8);
    cfg.setMinimumIdle(1);
    cfg.setConnectionTimeout(CONNECT_TIMEOUT.toMillis());
    cfg.setValidationTimeout(Duration.ofSeconds(5).toMillis());
    cfg.setInitializationFailTimeout(CONNECT_TIMEOUT.toMillis());
    cfg.addDataSourceProperty("connectTimeout", CONNECT_TIMEOUT.toSeconds());
    cfg.addDataSourceProperty("socketTimeout", STATEMENT_TIMEOUT.toSeconds() + 10);
    cfg.addDataSourceProperty(
        "options",
        "-c statement_timeout="
            + STATEMENT_TIMEOUT.toMillis()
            + " -c lock_timeout="
            + STATEMENT_TIMEOUT.toMillis());
    cfg.addDataSourceProperty("ApplicationName", "attest402-facilitator");
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(cfg);
    } catch (RuntimeException e) {
      throw new StoreException(
          "cannot connect to the settlement journal " + at + ": " + rootMessage(e), e);
    }
    try {
      migrateExclusively(pool);
    } catch (RuntimeException e) {
      pool.close();
      throw new StoreException(
          "cannot migrate the settlement journal " + at + ": " + rootMessage(e), e);
    }
    return new PostgresSettlementStore(pool, clock, leaseTtl);
  }

  /** The advisory lock key replicas migrate under ("a4m1"): one migrates, the others wait. */
  private static final long MIGRATION_LOCK = 0x61346d31L;

  /**
   * Migrates while holding a session advisory lock, so replicas started together do not race to
   * create the schema history (Flyway's own lock covers migrations, not the first baseline).
   */
  private static void migrateExclusively(HikariDataSource pool) {
    try (Connection c = pool.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
        ps.setLong(1, MIGRATION_LOCK);
        ps.executeQuery().close();
      }
      try {
        migrate(pool, "postgresql");
      } finally {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          ps.setLong(1, MIGRATION_LOCK);
          ps.executeQuery().close();
        }
      }
    } catch (SQLException e) {
      throw new StoreException("cannot lock the journal for migration: " + e.getMessage(), e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  /** PostgreSQL commits are durable (synchronous_commit) whatever {@code durable} says. */
  @Override
  protected <T> T autoCommitted(boolean durable, Work<T> w) throws SQLException {
    try (Connection c = pool.getConnection()) {
      return w.run(c);
    }
  }

  @Override
  protected <T> T inTransaction(boolean durable, Work<T> w) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        T result = w.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /**
   * One transaction-scoped advisory lock per receipt chain (the two-key form: this journal's class
   * key and a hash of the replica), so replicas journaling outcomes do not wait for each other; two
   * replicas whose hashes collide only share a lock.
   */
  @Override
  protected void lockSequence(Connection c, String chainOf) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(?))")) {
      ps.setInt(1, SEQUENCE_LOCK);
      ps.setString(2, chainOf == null ? "" : chainOf.toLowerCase(java.util.Locale.ROOT));
      ps.executeQuery().close();
    }
  }

  @Override
  protected String attemptOrder() {
    return "created_at, attempt_id";
  }

  @Override
  public java.util.Optional<Duration> leaseTtl() {
    return java.util.Optional.of(leaseTtl);
  }

  @Override
  protected String nowMillisSql() {
    return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
  }

  @Override
  protected String shareLock() {
    return " FOR SHARE";
  }

  @Override
  public void close() {
    pool.close();
  }
}
