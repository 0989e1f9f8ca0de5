package io.attest402.x402.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.Wire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link DeliveryStore} in SQLite ({@code org.xerial:sqlite-jdbc}, the facilitator journal's
 * driver): one file under the provider's data directory, so claims and stored responses survive a
 * restart; or in memory for a server that needs no restart safety.
 *
 * <p>Bounded: at most {@code maxEntries} unexpired claims (past that, {@link
 * DeliveryStore.Claim.Full}: an unexpired claim is never evicted, since forgetting it would let its
 * authorization buy a second delivery) and stored bodies of at most {@code maxBodyBytes} (a larger
 * response is remembered as delivered, without its body, and a retry gets 409). Expired claims are
 * purged as new ones arrive. WAL with {@code synchronous=NORMAL}: a committed claim survives a
 * crash of the process (power loss may lose the last ones; the facilitator's
 * one-success-per-authorization is the backstop). One connection, serialised by this object's
 * monitor.
 */
public final class SqliteDeliveryStore implements DeliveryStore {
  public static final long DEFAULT_MAX_ENTRIES = 1_000_000;
  public static final int DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
  private static final long PURGE_EVERY_SECONDS = 60;

  private final Connection db;
  private final long maxEntries;
  private final int maxBodyBytes;
  private long size;
  private long lastPurge = Long.MIN_VALUE;
  private boolean closed;

  private SqliteDeliveryStore(Connection db, long maxEntries, int maxBodyBytes)
      throws SQLException {
    if (maxEntries <= 0 || maxBodyBytes < 0) {
      throw new IllegalArgumentException(
          "maxEntries must be positive and maxBodyBytes not negative");
    }
    this.db = db;
    this.maxEntries = maxEntries;
    this.maxBodyBytes = maxBodyBytes;
    try (Statement s = db.createStatement()) {
      s.execute("PRAGMA busy_timeout=10000");
      s.execute(
          "CREATE TABLE IF NOT EXISTS deliveries ("
              + " auth_key TEXT PRIMARY KEY, payment_id TEXT UNIQUE, payload_hash TEXT NOT NULL,"
              + " state TEXT NOT NULL, status INTEGER, headers TEXT, body BLOB, expires_at INTEGER NOT NULL)");
      s.execute("CREATE INDEX IF NOT EXISTS deliveries_expiry ON deliveries (expires_at)");
      try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM deliveries")) {
        size = r.next() ? r.getLong(1) : 0;
      }
    }
  }

  /**
   * Opens (creating when absent) {@code file}, e.g. {@code DATA_DIR/deliveries.db}, with the
   * default bounds.
   */
  public static SqliteDeliveryStore open(Path file) {
    return open(file, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BODY_BYTES);
  }

  public static SqliteDeliveryStore open(Path file, long maxEntries, int maxBodyBytes) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=NORMAL");
      }
      return new SqliteDeliveryStore(c, maxEntries, maxBodyBytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the directory of " + file, e);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot open the delivery store " + file + ": " + e.getMessage(), e);
    }
  }

  /** A store that lives as long as this object (at-most-once within one process only). */
  public static SqliteDeliveryStore inMemory(long maxEntries, int maxBodyBytes) {
    try {
      return new SqliteDeliveryStore(
          DriverManager.getConnection("jdbc:sqlite::memory:"), maxEntries, maxBodyBytes);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot open an in-memory delivery store: " + e.getMessage(), e);
    }
  }

  public static SqliteDeliveryStore inMemory() {
    return inMemory(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BODY_BYTES);
  }

  @Override
  public synchronized Claim claim(PaymentKey key, Instant now) {
    Objects.requireNonNull(key, "key");
    long nowSeconds = now.getEpochSecond();
    try {
      if (nowSeconds - lastPurge >= PURGE_EVERY_SECONDS || size >= maxEntries) {
        purge(nowSeconds);
      }
      if (key.paymentId() != null) {
        try (PreparedStatement q =
            db.prepareStatement(
                "SELECT payload_hash, state, status, headers, body FROM deliveries WHERE payment_id = ?")) {
          q.setString(1, key.paymentId());
          try (ResultSet r = q.executeQuery()) {
            if (r.next()) {
              if (!r.getString(1).equals(key.payloadHash())) {
                return new Claim.IdConflict();
              }
              if (!"done".equals(r.getString(2))) {
                return new Claim.InProgress();
              }
              byte[] body = r.getBytes(5);
              if (body == null) {
                return new Claim.NotKept();
              }
              return new Claim.Stored(
                  new StoredResponse(r.getInt(3), headers(r.getString(4)), body));
            }
          }
        }
      }
      if (size >= maxEntries) {
        return new Claim.Full();
      }
      try (PreparedStatement ins =
          db.prepareStatement(
              "INSERT INTO deliveries (auth_key, payment_id,"
                  + " payload_hash, state, expires_at) VALUES (?, ?, ?, 'claimed', ?) ON CONFLICT DO NOTHING")) {
        ins.setString(1, key.authorization());
        ins.setString(2, key.paymentId());
        ins.setString(3, key.payloadHash());
        ins.setLong(4, key.expiresAt().getEpochSecond());
        if (ins.executeUpdate() == 0) {
          // the authorization (or, with another authorization, the payment-identifier) is taken
          return key.paymentId() != null && idTakenByOther(key)
              ? new Claim.IdConflict()
              : new Claim.AuthorizationUsed();
        }
      }
      size++;
      return new Claim.Claimed();
    } catch (SQLException e) {
      throw new IllegalStateException("delivery store failed: " + e.getMessage(), e);
    }
  }

  private boolean idTakenByOther(PaymentKey key) throws SQLException {
    try (PreparedStatement q =
        db.prepareStatement("SELECT 1 FROM deliveries WHERE payment_id = ? AND auth_key <> ?")) {
      q.setString(1, key.paymentId());
      q.setString(2, key.authorization());
      try (ResultSet r = q.executeQuery()) {
        return r.next();
      }
    }
  }

  @Override
  public synchronized void release(PaymentKey key) {
    try (PreparedStatement d =
        db.prepareStatement(
            "DELETE FROM deliveries WHERE auth_key = ? AND payload_hash = ? AND state = 'claimed'")) {
      d.setString(1, key.authorization());
      d.setString(2, key.payloadHash());
      size -= d.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("delivery store failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void complete(PaymentKey key, StoredResponse response) {
    ObjectNode h = Wire.newObject();
    response.headers().forEach(h::put);
    try (PreparedStatement u =
        db.prepareStatement(
            "UPDATE deliveries SET state = 'done', status = ?, headers = ?,"
                + " body = ? WHERE auth_key = ? AND payload_hash = ?")) {
      u.setInt(1, response.status());
      u.setString(2, X402Json.write(h));
      u.setBytes(3, response.body().length <= maxBodyBytes ? response.body() : null);
      u.setString(4, key.authorization());
      u.setString(5, key.payloadHash());
      u.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("delivery store failed: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized long size() {
    return size;
  }

  private void purge(long nowSeconds) throws SQLException {
    try (PreparedStatement d = db.prepareStatement("DELETE FROM deliveries WHERE expires_at < ?")) {
      d.setLong(1, nowSeconds);
      size -= d.executeUpdate();
    }
    lastPurge = nowSeconds;
  }

  private static Map<String, String> headers(String json) {
    Map<String, String> out = new LinkedHashMap<>();
    if (json == null) {
      return out;
    }
    JsonNode n = X402Json.parse(json);
    Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      db.close();
    } catch (SQLException e) {
      throw new IllegalStateException("cannot close the delivery store: " + e.getMessage(), e);
    }
  }
}
