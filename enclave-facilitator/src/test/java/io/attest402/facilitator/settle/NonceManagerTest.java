package io.attest402.facilitator.settle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.testkit.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NonceManagerTest {
  @Test
  void startsAboveTheChainAndTheJournal() {
    NonceManager m = new NonceManager(Clock.systemUTC());
    assertThrows(IllegalStateException.class, m::reserve);
    m.init(5, Map.of(7L, 1L));
    assertEquals(8, m.reserve());
    m.init(9, Map.of(7L, 1L));
    assertEquals(9, m.reserve());
  }

  @Test
  void concurrentReservationsAreDistinctAndContiguous() throws Exception {
    NonceManager m = new NonceManager(Clock.systemUTC());
    m.init(0, Map.of());
    Set<Long> got = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 1000; i++) {
      final long id = i;
      pool.submit(
          () -> {
            long n = m.reserve();
            m.assign(n, id);
            got.add(n);
          });
    }
    pool.shutdown();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    assertEquals(1000, got.size());
    assertEquals(999L, got.stream().mapToLong(Long::longValue).max().orElseThrow());
    assertEquals(1000, m.next());
  }

  @Test
  void releasedNoncesAreReusedLowestFirst() {
    NonceManager m = new NonceManager(Clock.systemUTC());
    m.init(0, Map.of());
    long a = m.reserve();
    long b = m.reserve();
    long c = m.reserve();
    m.assign(c, 3);
    m.release(a);
    m.release(b);
    assertEquals(a, m.reserve());
    assertEquals(b, m.reserve());
    assertEquals(3, m.reserve());
    // releasing the highest just steps back
    long d = m.reserve();
    m.release(d);
    assertEquals(d, m.reserve());
  }

  @Test
  void resyncJumpsToTheChainAndDropsStaleFreeNonces() {
    NonceManager m = new NonceManager(Clock.systemUTC());
    m.init(0, Map.of());
    long a = m.reserve();
    m.reserve();
    m.release(a);
    m.resync(10);
    assertEquals(10, m.reserve(), "nonce 0 was taken on chain by someone; not reused");
  }

  @Test
  void unaccountedNoncesBecomeGapsAndStaleGapsAreHandedToTheFiller() {
    MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_000_000));
    NonceManager m = new NonceManager(clock);
    // after a crash: chain mined up to 3, journal holds 5 in flight, nothing holds 3 and 4
    m.init(6, Map.of(5L, 42L));
    m.observeLatest(3);
    assertEquals(2, m.freeCount());
    assertEquals(List.of(), m.takeStaleFree(10_000), "not stale yet");
    clock.advance(Duration.ofMillis(10_000));
    List<Long> stale = m.takeStaleFree(10_000);
    assertEquals(List.of(3L, 4L), stale);
    // while fillers are out, the nonces are neither free nor gaps
    m.observeLatest(3);
    assertEquals(0, m.freeCount());
    m.fillerDone(3, true);
    m.fillerDone(4, false);
    assertEquals(1, m.freeCount(), "an unsent filler's nonce is free again");
    assertEquals(4, m.reserve(), "and the next settlement takes it");
  }

  @Test
  void minedNoncesAreForgotten() {
    NonceManager m = new NonceManager(Clock.systemUTC());
    m.init(0, Map.of());
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      long n = m.reserve();
      m.assign(n, i);
      seen.add(n);
    }
    m.observeLatest(5);
    assertEquals(0, m.freeCount());
    assertEquals(5, m.reserve());
    assertEquals(5, seen.size());
  }
}
