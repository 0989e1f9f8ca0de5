package io.attest402.facilitator.settle;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The facilitator account's transaction nonces on one chain, handed out without waiting for
 * receipts.
 *
 * <p>Every nonce below {@link #next()} is in exactly one of: mined (below the chain's latest
 * count), assigned to a journaled settlement transaction, reserved (handed out, being signed and
 * journaled), or free (handed back after a node refused the transaction, or found unaccounted for).
 * Free nonces are reused first, lowest first, so no gap stays open for long; one that stays free
 * past a bound is filled by a zero-value self-transfer (see {@link #takeStaleFree}). After errors,
 * {@link #resync} moves {@code next} up to the chain's pending count.
 */
public final class NonceManager {
  private final Clock clock;
  private long next = -1;
  private final Map<Long, Long> assigned = new HashMap<>(); // nonce -> settlement id
  private final Map<Long, Long> reserved = new HashMap<>(); // nonce -> since ms
  private final TreeMap<Long, Long> free = new TreeMap<>(); // nonce -> since ms

  public NonceManager(Clock clock) {
    this.clock = clock;
  }

  /**
   * Starts at {@code max(chainPending, highest journaled nonce + 1)} with the journal's in-flight
   * assignments.
   */
  public synchronized void init(long chainPending, Map<Long, Long> journaled) {
    assigned.clear();
    reserved.clear();
    free.clear();
    assigned.putAll(journaled);
    long n = chainPending;
    for (long j : journaled.keySet()) {
      n = Math.max(n, j + 1);
    }
    next = n;
  }

  public synchronized boolean initialised() {
    return next >= 0;
  }

  public synchronized long next() {
    return next;
  }

  /** A nonce for a new transaction: the lowest free one, else the next. */
  public synchronized long reserve() {
    if (next < 0) {
      throw new IllegalStateException("nonce manager not initialised");
    }
    long n;
    var f = free.pollFirstEntry();
    if (f != null) {
      n = f.getKey();
    } else {
      n = next++;
    }
    reserved.put(n, clock.millis());
    return n;
  }

  /** The reserved nonce's transaction is journaled for settlement {@code id}. */
  public synchronized void assign(long nonce, long id) {
    reserved.remove(nonce);
    assigned.put(nonce, id);
  }

  /** A reserved or assigned nonce's transaction never reached a node: the nonce is free again. */
  public synchronized void release(long nonce) {
    reserved.remove(nonce);
    assigned.remove(nonce);
    if (nonce >= next) {
      return;
    }
    if (nonce == next - 1 && free.isEmpty()) {
      next--;
    } else {
      free.put(nonce, clock.millis());
    }
  }

  /**
   * Settlement {@code id} no longer uses {@code nonce} (it finished, or moved to another nonce).
   */
  public synchronized void unassign(long nonce, long id) {
    assigned.remove(nonce, id);
  }

  /**
   * Catches up with the chain: nonces below {@code chainPending} are taken (by us or anyone);
   * {@code next} moves up if the chain is ahead.
   */
  public synchronized void resync(long chainPending) {
    if (chainPending > next) {
      next = chainPending;
    }
    free.headMap(chainPending).clear();
  }

  /**
   * Housekeeping against the chain's mined count {@code latest}: forgets everything below it, and
   * marks as free any nonce in {@code [latest, next)} that no journaled or reserved transaction
   * holds (after a crash, say).
   */
  public synchronized void observeLatest(long latest) {
    assigned.keySet().removeIf(n -> n < latest);
    free.headMap(latest).clear();
    long now = clock.millis();
    for (long n = latest; n < next; n++) {
      if (!assigned.containsKey(n) && !reserved.containsKey(n) && !free.containsKey(n)) {
        free.put(n, now);
      }
    }
  }

  /**
   * Free nonces older than {@code ageMs}, removed from the free set: the caller fills them with
   * no-op transactions.
   */
  public synchronized List<Long> takeStaleFree(long ageMs) {
    long now = clock.millis();
    List<Long> out = new ArrayList<>();
    var it = free.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (now - e.getValue() >= ageMs) {
        out.add(e.getKey());
        it.remove();
        reserved.put(e.getKey(), now);
      }
    }
    return out;
  }

  /**
   * A filler for {@code nonce} was sent (or refused): it no longer needs tracking beyond the
   * chain's count.
   */
  public synchronized void fillerDone(long nonce, boolean sent) {
    reserved.remove(nonce);
    if (!sent && nonce < next) {
      free.put(nonce, clock.millis());
    }
  }

  /** Nonces reserved or assigned to a journaled transaction: this account's load. */
  public synchronized int inFlight() {
    return assigned.size() + reserved.size();
  }

  public synchronized int freeCount() {
    return free.size();
  }

  @Override
  public synchronized String toString() {
    return "NonceManager[next="
        + next
        + ", assigned="
        + assigned.size()
        + ", reserved="
        + reserved.keySet()
        + ", free="
        + free.keySet()
        + "]";
  }
}
