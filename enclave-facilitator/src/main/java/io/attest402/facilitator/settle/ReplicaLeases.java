package io.attest402.facilitator.settle;

import io.attest402.facilitator.store.LeaseStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica's signer leases in a journal shared by replicas ({@link LeaseStore}). A settlement
 * belongs to the replica whose key signed it (its journaled {@code account}); this replica:
 *
 * <ul>
 *   <li>takes its own signers' leases at start (taking them back from a replica that took them over
 *       while it was down: the token increments, the other's writes are fenced out from then on)
 *       and heartbeats them every third of the lease's TTL;
 *   <li>takes over the expired lease of another replica's signer (a replica killed or cut off),
 *       reconciling that signer's in-flight settlements: it reads their receipts, re-broadcasts
 *       their journaled signed bytes and journals their outcomes, but never signs for a key it does
 *       not hold; it drops the lease when the renewal fails (the home replica took it back).
 * </ul>
 *
 * Every journal write checks the fencing token in the database ({@link LeaseStore}), so a replica
 * that was paused past its lease and comes back writes nothing until it holds a lease again.
 */
final class ReplicaLeases implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReplicaLeases.class);

  private record Held(String signer, long token) {}

  private final LeaseStore store;
  private final String replica;
  private final List<String> own;
  private final Set<String> ownLower;
  private final Duration ttl;
  private final Consumer<String> onTakeover;
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  private final Set<String> adopted = ConcurrentHashMap.newKeySet();
  private final Set<String> known = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "replica-leases");
            t.setDaemon(true);
            return t;
          });

  /**
   * @param replica this replica's name (its identity key's address)
   * @param own this replica's signer addresses
   * @param onTakeover called with a signer address whose lease this replica just took over
   */
  ReplicaLeases(
      LeaseStore store,
      String replica,
      List<String> own,
      Duration ttl,
      Consumer<String> onTakeover) {
    this.store = store;
    this.replica = replica;
    this.own = List.copyOf(own);
    this.ownLower = Set.copyOf(own.stream().map(ReplicaLeases::lower).toList());
    this.ttl = ttl;
    this.onTakeover = onTakeover;
    known.addAll(ownLower);
  }

  /** Binds the journal to this replica and takes its own leases, then heartbeats. */
  void start() {
    store.bindReplica(replica, own);
    for (String s : own) {
      long token = store.acquireHome(s, replica, ttl);
      held.put(lower(s), new Held(s, token));
      log.info("replica {}: lease of signer {} taken, token {}", replica, s, token);
    }
    long period = Math.max(100, ttl.toMillis() / 3);
    timer.scheduleWithFixedDelay(this::tickQuietly, period, period, TimeUnit.MILLISECONDS);
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("replica {}: lease heartbeat failed: {}", replica, e.toString());
    }
  }

  /** One heartbeat: renew what is held (take own leases back), take expired ones over. */
  void tick() {
    for (Held h : List.copyOf(held.values())) {
      if (store.renew(h.signer(), replica, h.token(), ttl)) {
        continue;
      }
      if (ownLower.contains(lower(h.signer()))) {
        long token = store.acquireHome(h.signer(), replica, ttl);
        held.put(lower(h.signer()), new Held(h.signer(), token));
        log.warn(
            "replica {}: own signer {}'s lease had lapsed (paused?): taken back, token {}",
            replica,
            h.signer(),
            token);
      } else {
        lost(h.signer());
      }
    }
    for (LeaseStore.Lease l : store.leases()) {
      known.add(lower(l.signer()));
      if (!l.expired() || held.containsKey(lower(l.signer()))) {
        continue;
      }
      if (ownLower.contains(lower(l.signer()))) {
        continue; // renewed above
      }
      OptionalLong token = store.takeOver(l.signer(), l.token(), replica, ttl);
      if (token.isPresent()) {
        held.put(lower(l.signer()), new Held(l.signer(), token.getAsLong()));
        adopted.add(lower(l.signer()));
        log.warn(
            "replica {}: signer {} of replica {} stopped heartbeating (holder {}): lease taken over,"
                + " token {}; its in-flight settlements are reconciled here (never re-signed)",
            replica,
            l.signer(),
            l.home(),
            l.holder(),
            token.getAsLong());
        onTakeover.accept(l.signer());
      }
    }
  }

  /** A taken-over lease is gone (its home took it back, or another replica): fenced out. */
  void lost(String signer) {
    if (held.remove(lower(signer)) != null || adopted.remove(lower(signer))) {
      adopted.remove(lower(signer));
      store.dropFence(signer);
      log.info("replica {}: lease of signer {} handed back", replica, signer);
    }
  }

  /** Whether this replica reconciles {@code account}'s settlements for another replica now. */
  boolean adopted(String account) {
    return account != null && adopted.contains(lower(account));
  }

  /** Every signer address any replica of this journal has leased (this one's included). */
  Set<String> knownSigners() {
    return Set.copyOf(known);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
