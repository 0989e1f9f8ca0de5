package io.attest402.facilitator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.x402.types.Wire;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real PostgreSQL server, plus what only a shared database has. */
class PostgresSettlementStoreTest extends SettlementStoreContract {
  private final Map<Path, PostgresSettlementStore.Location> databases = new ConcurrentHashMap<>();

  @Override
  SettlementStore open(Path dir) {
    return PostgresSettlementStore.open(
        databases.computeIfAbsent(dir, d -> PostgresServer.freshDatabase()), "", Clock.systemUTC());
  }

  @Test
  void finishesFromThreeStoresGetOneGaplessChainedSequence(@TempDir Path dir) throws Exception {
    ReceiptIssuer issuer =
        (f, prev) -> {
          ObjectNode o = Wire.newObject();
          o.put("seq", f.sequence());
          o.put("prevSeq", prev == null ? -1 : prev.path("seq").asLong());
          return Optional.of(o);
        };
    try (SettlementStore a = open(dir);
        SettlementStore b = open(dir);
        SettlementStore c = open(dir)) {
      List<SettlementStore> replicas = List.of(a, b, c);
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        ids.add(a.claim(intent(hex(5000 + i))).record().id());
      }
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<SettlementRecord>> done = new ArrayList<>();
      for (int i = 0; i < 90; i++) { // every row finished by each of the three stores
        long id = ids.get(i % 30);
        SettlementStore s = replicas.get(i % 3);
        done.add(pool.submit(() -> s.finish(id, Outcome.settled(hex(1), 5), "0xF", issuer)));
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS));
      Map<Long, Long> seqOf = new TreeMap<>();
      for (Future<SettlementRecord> f : done) {
        SettlementRecord r = f.get();
        Long before = seqOf.putIfAbsent(r.id(), r.outcomeSeq());
        if (before != null) {
          assertEquals(before, r.outcomeSeq(), "finish is idempotent across stores");
        }
      }
      assertEquals(30, seqOf.size());
      assertEquals(29, b.lastSequence());
      List<SettlementStore.ReceiptEntry> chain = c.receiptsFrom(0, 100);
      assertEquals(30, chain.size());
      for (int i = 0; i < 30; i++) {
        assertEquals(i, chain.get(i).sequence());
        assertEquals(i - 1, chain.get(i).receipt().path("prevSeq").asLong(), "chained in order");
      }
    }
  }

  @Test
  void migratesAnEmptyDatabaseOnceAndReopensWithoutChange(@TempDir Path dir) throws Exception {
    open(dir).close();
    open(dir).close();
    PostgresSettlementStore.Location db = databases.get(dir);
    try (Connection c = PostgresServer.connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT version, success FROM attest402_schema_history ORDER BY installed_rank")) {
      List<String> versions = new ArrayList<>();
      while (rs.next()) {
        versions.add(rs.getString(1) + (rs.getBoolean(2) ? "" : " FAILED"));
      }
      assertEquals(List.of("1", "2", "4", "5", "6"), versions);
    }
  }

  @Test
  void anUnreachableDatabaseIsAClearErrorWithinTheConnectTimeout() throws SQLException {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    PostgresSettlementStore.Location nowhere =
        new PostgresSettlementStore.Location("postgres", "127.0.0.1", closedPort, "none");
    StoreException e =
        assertThrows(
            StoreException.class,
            () -> PostgresSettlementStore.open(nowhere, "", Clock.systemUTC()));
    assertTrue(e.getMessage().contains("postgresql://postgres@127.0.0.1:" + closedPort + "/none"));
  }

  @Test
  void storeUrlsNameUserHostPortAndDatabaseAndNeverAPassword() {
    PostgresSettlementStore.Location l =
        PostgresSettlementStore.Location.parse("postgresql://attest@db.internal:6432/journal");
    assertEquals(new PostgresSettlementStore.Location("attest", "db.internal", 6432, "journal"), l);
    assertEquals(
        5432, PostgresSettlementStore.Location.parse("postgresql://u@h/d").port(), "default port");
    for (String bad :
        List.of(
            "postgresql://u:secret@h:5432/d",
            "postgresql://h:5432/d",
            "postgresql://u@h:5432/",
            "mysql://u@h/d",
            "postgresql://u@h/d?password=x",
            "postgresql://u@h/d/e")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> PostgresSettlementStore.Location.parse(bad),
              bad);
      assertTrue(!e.getMessage().contains("secret"), "the error never echoes a password");
    }
  }
}
