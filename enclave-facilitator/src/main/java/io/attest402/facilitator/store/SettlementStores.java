package io.attest402.facilitator.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * Which journal a facilitator writes: the embedded SQLite file, or a shared PostgreSQL database.
 */
public final class SettlementStores {
  /** The environment variable a PostgreSQL journal's password may come from. */
  public static final String PASSWORD_ENV = "ATTEST402_STORE_PASSWORD";

  /**
   * A PostgreSQL journal: where it is and its password (null: none, e.g. for a server that trusts
   * the client's certificate or network).
   */
  public record Postgres(
      PostgresSettlementStore.Location location, String password, java.time.Duration leaseTtl) {
    public Postgres(PostgresSettlementStore.Location location, String password) {
      this(location, password, PostgresSettlementStore.DEFAULT_LEASE_TTL);
    }

    /** The same journal with replicas' signer leases lasting {@code ttl} (--lease-seconds). */
    public Postgres withLeaseTtl(java.time.Duration ttl) {
      return new Postgres(location, password, ttl);
    }

    @Override
    public String toString() { // never the password
      return location.toString();
    }
  }

  private SettlementStores() {}

  /**
   * The PostgreSQL journal of {@code --store URL}: the password from {@code passwordFile} (its
   * first line) when given, else from {@link #PASSWORD_ENV}, else none; never from the URL.
   */
  public static Postgres postgres(String url, Path passwordFile, Map<String, String> env) {
    PostgresSettlementStore.Location at = PostgresSettlementStore.Location.parse(url);
    String password = env.get(PASSWORD_ENV);
    if (passwordFile != null) {
      try {
        String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
        password = text.lines().findFirst().orElse("");
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--store-password-file: cannot read " + passwordFile + ": " + e.getMessage(), e);
      }
    }
    return new Postgres(at, password);
  }

  /** Opens {@code postgres} when given, else {@code DATA_DIR/settlements.db}. */
  public static SettlementStore open(Postgres postgres, Path dataDir, Clock clock) {
    return postgres == null
        ? SqliteSettlementStore.open(dataDir.resolve("settlements.db"), clock)
        : PostgresSettlementStore.open(
            postgres.location(), postgres.password(), clock, postgres.leaseTtl());
  }

  /** Where the journal is, for logs. */
  public static String describe(Postgres postgres, Path dataDir) {
    return postgres == null ? dataDir.resolve("settlements.db").toString() : postgres.toString();
  }
}
