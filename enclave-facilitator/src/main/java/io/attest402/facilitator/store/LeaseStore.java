package io.attest402.facilitator.store;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;

/**
 * Signer leases of facilitator replicas sharing one journal (table {@code signer_leases}, one row
 * per signer address). A settlement belongs to the signer whose key signed it, and so to the
 * replica whose enclave holds that key (the lease's {@code home}); the lease's {@code holder}
 * reconciles the signer's settlements now: its home while it heartbeats, or a live replica that
 * took the expired lease over. Every acquisition increments the lease's fencing token; once a
 * replica is {@linkplain #bindReplica bound}, every journal write for a leased signer's settlement
 * (signed transaction, broadcast mark, outcome, abandonment) checks, in the same transaction, that
 * this replica holds the lease with the token it acquired, and throws {@link FencedException}
 * otherwise. Lease times are the database's clock, so replicas' clocks need not agree.
 */
public interface LeaseStore {

  /**
   * How long a lease lasts without a heartbeat when replicas share this journal; empty for a
   * journal one facilitator owns (SQLite), which takes no lease.
   */
  java.util.Optional<Duration> leaseTtl();

  /** One lease as the table holds it; {@code expired} by the database's clock at the read. */
  record Lease(String signer, String home, String holder, long token, boolean expired) {}

  /**
   * This store serves replica {@code replica} (its identity key's address) from now on: outcomes go
   * to that replica's receipt chain, writes are fenced, and rows journaled before replicas (no
   * replica recorded) that one of {@code ownSigners} sent join its chain.
   */
  void bindReplica(String replica, Collection<String> ownSigners);

  /**
   * The signer's home takes (or takes back) its lease: holder becomes {@code home}, the token
   * increments (a replica that had taken it over is fenced out from now on).
   *
   * @return the new fencing token
   */
  long acquireHome(String signer, String home, Duration ttl);

  /**
   * Takes over the signer's lease if it is still expired with token {@code seenToken}.
   *
   * @return the new fencing token, empty when another replica renewed or took it first
   */
  OptionalLong takeOver(String signer, long seenToken, String holder, Duration ttl);

  /** Extends a lease still held as {@code holder} with {@code token}; false once it is lost. */
  boolean renew(String signer, String holder, long token, Duration ttl);

  /** Forgets the token held for {@code signer}: this replica's writes for it are fenced out. */
  void dropFence(String signer);

  List<Lease> leases();

  /** A journal write refused because this replica does not hold the signer's lease (any more). */
  final class FencedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public FencedException(String message) {
      super(message, null);
    }
  }
}
