package io.attest402.facilitator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementKey;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SettlementState;
import io.attest402.facilitator.settle.TxAttempt;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal rules every {@link SettlementStore} keeps, run against each store on a real database
 * ({@link SqliteSettlementStoreTest}, {@link PostgresSettlementStoreTest}).
 */
abstract class SettlementStoreContract {
  static final String PAYER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

  static SettlementStore.Intent intent(String nonce) {
    ObjectNode req = Wire.newObject();
    req.put("n", nonce);
    return new SettlementStore.Intent(
        new SettlementKey(
            "eip155:31337", "0xAAaa000000000000000000000000000000000001", PAYER, nonce),
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        BigInteger.TEN,
        BigInteger.valueOf(2_000_000_000L),
        req,
        "0xFacFacFacFacFacFacFacFacFacFacFacFacFac0",
        null);
  }

  /**
   * Opens the store under test on {@code dir}'s database; a second call with the same {@code dir}
   * reopens the same database.
   */
  abstract SettlementStore open(Path dir);

  static String hex(int i) {
    return String.format("0x%064x", i);
  }

  static TxAttempt attempt(String hash, long nonce) {
    return new TxAttempt(
        hash,
        nonce,
        "0x02f8deadbeef",
        BigInteger.valueOf(100),
        BigInteger.ONE,
        BigInteger.valueOf(90_000),
        Instant.now());
  }

  @Test
  void oneRowPerAuthorizationEvenUnderConcurrentClaims(@TempDir Path dir) throws Exception {
    try (SettlementStore s = open(dir)) {
      AtomicInteger created = new AtomicInteger();
      Set<Long> ids = ConcurrentHashMap.newKeySet();
      ExecutorService pool = Executors.newFixedThreadPool(16);
      for (int i = 0; i < 64; i++) {
        pool.submit(
            () -> {
              SettlementStore.Claim c = s.claim(intent(hex(1)));
              if (c.created()) {
                created.incrementAndGet();
              }
              ids.add(c.record().id());
            });
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS));
      assertEquals(1, created.get());
      assertEquals(1, ids.size());
    }
  }

  @Test
  void journalSurvivesReopeningAndFinishAssignsGaplessSequences(@TempDir Path dir) {
    long id;
    try (SettlementStore s = open(dir)) {
      id = s.claim(intent(hex(2))).record().id();
      s.addAttempt(id, attempt(hex(100), 7));
      s.markBroadcast(id);
      s.addAttempt(id, attempt(hex(101), 7));
    }
    try (SettlementStore s = open(dir)) {
      SettlementRecord r = s.byId(id).orElseThrow();
      assertEquals(SettlementState.BROADCAST, r.state());
      assertEquals(7L, r.accountNonce());
      assertEquals(hex(101), r.txHash());
      assertEquals(2, r.attempts().size());
      assertEquals("0x02f8deadbeef", r.attempts().get(0).rawTx());
      assertEquals(List.of(r), s.inFlight());
      assertEquals(
          1, s.byNonceOrTxHash(hex(100)).size(), "found by a replaced transaction's hash too");
      assertEquals(1, s.byNonceOrTxHash(hex(2)).size(), "and by authorization nonce");

      long other = s.claim(intent(hex(3))).record().id();
      s.addAttempt(other, attempt(hex(102), 8));
      ReceiptIssuer issuer =
          (f, prev) -> {
            ObjectNode o = Wire.newObject();
            o.put("seq", f.sequence());
            o.put("prevSeq", prev == null ? -1 : prev.path("seq").asLong());
            return Optional.of(o);
          };
      SettlementRecord a = s.finish(id, Outcome.settled(hex(101), 12), "0xF", issuer);
      SettlementRecord b =
          s.finish(
              other,
              Outcome.failed("invalid_exact_evm_transaction_failed", "reverted", hex(102), 13L),
              "0xF",
              issuer);
      assertEquals(0L, a.outcomeSeq());
      assertEquals(1L, b.outcomeSeq());
      assertEquals(-1, a.receipt().path("prevSeq").asLong());
      assertEquals(0, b.receipt().path("prevSeq").asLong());
      SettlementRecord again = s.finish(id, Outcome.failed("x", "y", "", null), "0xF", issuer);
      assertEquals(SettlementState.SETTLED, again.state(), "finish is idempotent");
      assertEquals(1, s.lastSequence());
      assertEquals(2, s.receiptsFrom(0, 10).size());
      assertEquals(1, s.receiptsFrom(1, 10).size());
      assertTrue(s.inFlight().isEmpty());
    }
  }

  @Test
  void abandonRemovesOnlyWhatNeverReachedANode(@TempDir Path dir) {
    try (SettlementStore s = open(dir)) {
      long claimed = s.claim(intent(hex(4))).record().id();
      long broadcast = s.claim(intent(hex(5))).record().id();
      s.addAttempt(broadcast, attempt(hex(200), 1));
      s.markBroadcast(broadcast);
      s.abandon(claimed);
      s.abandon(broadcast);
      assertFalse(s.byId(claimed).isPresent());
      assertTrue(s.byId(broadcast).isPresent(), "a broadcast settlement is never dropped");
      assertTrue(s.claim(intent(hex(4))).created(), "a retry after abandon starts afresh");
      assertNull(s.byId(broadcast).orElseThrow().outcomeSeq());
    }
  }

  @Test
  void twoStoresOnOneDatabaseClaimEachAuthorizationOnce(@TempDir Path dir) throws Exception {
    try (SettlementStore a = open(dir);
        SettlementStore b = open(dir)) {
      Map<String, Set<Long>> ids = new ConcurrentHashMap<>();
      AtomicInteger created = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < 80; i++) {
        SettlementStore s = i % 2 == 0 ? a : b;
        String nonce = hex(1000 + i % 10);
        done.add(
            pool.submit(
                () -> {
                  SettlementStore.Claim c = s.claim(intent(nonce));
                  if (c.created()) {
                    created.incrementAndGet();
                  }
                  ids.computeIfAbsent(nonce, k -> ConcurrentHashMap.newKeySet())
                      .add(c.record().id());
                }));
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
      for (Future<?> f : done) {
        f.get();
      }
      assertEquals(10, created.get(), "one claim per authorization across both stores");
      assertEquals(10, ids.size());
      ids.values().forEach(v -> assertEquals(1, v.size(), "both stores see the same row"));
    }
  }

  static SettlementStore.DiscoveryEntry entry(String resource, String payTo, long at) {
    return new SettlementStore.DiscoveryEntry(
        resource,
        payTo,
        "eip155:31337",
        "exact",
        List.of("bazaar"),
        "{\"resource\":\"" + resource + "\",\"at\":" + at + "}",
        at);
  }

  /**
   * The bazaar catalog: one row per (resource, payTo), refreshed in place; new rows stop at the
   * per-payTo and total bounds; filtered and paged newest first; kept across a reopen.
   */
  @Test
  void discoveryCatalogIsBoundedFilteredPagedAndDurable(@TempDir Path dir) {
    String a = "0xaaaa000000000000000000000000000000000001";
    String b = "0xbbbb000000000000000000000000000000000002";
    try (SettlementStore s = open(dir)) {
      assertTrue(s.catalogResource(entry("http://x/1", a, 1), 3, 2));
      assertTrue(s.catalogResource(entry("http://x/2", a, 2), 3, 2));
      assertFalse(s.catalogResource(entry("http://x/3", a, 3), 3, 2), "a's bound");
      assertTrue(s.catalogResource(entry("http://x/1", a, 4), 3, 2), "a refresh is no new row");
      // the same URL paid to another payTo is another entry; it cannot replace a's
      assertTrue(s.catalogResource(entry("http://x/2", b, 5), 3, 2));
      assertFalse(s.catalogResource(entry("http://x/9", b, 6), 3, 2), "the total bound");
      SettlementStore.DiscoveryPage all =
          s.discoveryResources(new SettlementStore.DiscoveryFilter(null, null, null, null), 10, 0);
      assertEquals(3, all.total());
      assertEquals(
          List.of(
              "{\"resource\":\"http://x/2\",\"at\":5}",
              "{\"resource\":\"http://x/1\",\"at\":4}",
              "{\"resource\":\"http://x/2\",\"at\":2}"),
          all.entries());
      SettlementStore.DiscoveryPage page =
          s.discoveryResources(new SettlementStore.DiscoveryFilter(a, null, null, null), 1, 1);
      assertEquals(2, page.total());
      assertEquals(List.of("{\"resource\":\"http://x/2\",\"at\":2}"), page.entries());
      assertEquals(
          0,
          s.discoveryResources(
                  new SettlementStore.DiscoveryFilter(null, "eip155:1", null, null), 10, 0)
              .total());
      assertEquals(
          0,
          s.discoveryResources(
                  new SettlementStore.DiscoveryFilter(null, null, null, "payment-identifier"),
                  10,
                  0)
              .total());
      assertEquals(
          3,
          s.discoveryResources(
                  new SettlementStore.DiscoveryFilter(null, null, "exact", "bazaar"), 10, 0)
              .total());
    }
    try (SettlementStore s = open(dir)) {
      assertEquals(
          3,
          s.discoveryResources(new SettlementStore.DiscoveryFilter(null, null, null, null), 10, 0)
              .total(),
          "journaled");
    }
  }
}
