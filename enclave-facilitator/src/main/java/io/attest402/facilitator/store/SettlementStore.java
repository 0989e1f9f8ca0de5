package io.attest402.facilitator.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.facilitator.settle.Outcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementKey;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.TxAttempt;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/**
 * The settlement journal. One authorization ({@link SettlementKey}) is one row for ever: the
 * store's uniqueness on the key is what keeps two facilitator threads, or two replicas sharing one
 * database, from both settling it. The engine writes the intent (claim), then every signed
 * transaction before it is broadcast, then the outcome. Implementations are thread-safe and durable
 * once a method returns.
 */
public interface SettlementStore extends AutoCloseable {

  /**
   * A new settlement's intent.
   *
   * @param request what settlement and recovery need of the request (no resource, no extensions)
   * @param idempotencyKeyHash SHA-256 hex of the claiming request's {@code Idempotency-Key}, or
   *     null
   */
  record Intent(
      SettlementKey key,
      String payTo,
      BigInteger amount,
      BigInteger validBefore,
      JsonNode request,
      String account,
      String idempotencyKeyHash) {}

  /** The result of {@link #claim}: the row, and whether this call created it. */
  record Claim(SettlementRecord record, boolean created) {}

  /** One entry of the receipt chain. */
  record ReceiptEntry(long sequence, long settlementId, JsonNode receipt) {}

  /**
   * Inserts the intent in state CLAIMED unless a row for the key exists; returns the row either
   * way.
   */
  Claim claim(Intent intent);

  /**
   * Journals a signed transaction before it is broadcast: state becomes SIGNED (unless already
   * BROADCAST), the current account nonce and tx hash become the attempt's.
   */
  void addAttempt(long id, TxAttempt attempt);

  /** A node has accepted the settlement's transaction. */
  void markBroadcast(long id);

  /**
   * Journals the final outcome, assigning the next outcome sequence number and storing what {@code
   * issuer} returns for it, atomically. Idempotent: an already final row is returned unchanged.
   */
  SettlementRecord finish(long id, Outcome outcome, String facilitator, ReceiptIssuer issuer);

  /**
   * Removes a row that never reached a node (CLAIMED, or SIGNED and refused), so a retry starts
   * afresh.
   */
  void abandon(long id);

  Optional<SettlementRecord> byKey(SettlementKey key);

  /**
   * Binds a {@code payment-identifier} (by its SHA-256 {@code idHash}) to the request it first came
   * with ({@code fingerprint}, a SHA-256 of that request), durably; a later call with the same hash
   * returns the bound fingerprint and changes nothing.
   *
   * @return empty when this call bound it, else the fingerprint bound before
   */
  Optional<String> bindPaymentId(String idHash, String fingerprint);

  /** The fingerprint bound to {@code idHash}, if any (never binds). */
  Optional<String> paymentIdBinding(String idHash);

  Optional<SettlementRecord> byId(long id);

  /**
   * Rows whose authorization nonce or any transaction hash is {@code hex32} (lower-case 0x hex).
   */
  List<SettlementRecord> byNonceOrTxHash(String hex32);

  /** Rows not final (CLAIMED, SIGNED, BROADCAST), oldest first. */
  List<SettlementRecord> inFlight();

  /** Receipts of final outcomes with sequence >= {@code from}, in order, at most {@code limit}. */
  List<ReceiptEntry> receiptsFrom(long from, int limit);

  /** The highest outcome sequence journaled; -1 when none (the first outcome is sequence 0). */
  long lastSequence();

  /**
   * A credential issued for a transfer the payer sent itself (payer-settled path): one per
   * transaction and network.
   */
  record CredentialEntry(
      String network,
      String txHash,
      String payer,
      String payTo,
      String asset,
      String amount,
      String resource,
      String token,
      long issuedAt) {}

  /**
   * Journals {@code entry} unless a credential for its transaction exists: empty when recorded,
   * otherwise the credential issued before (nothing changes).
   */
  Optional<CredentialEntry> recordCredential(CredentialEntry entry);

  /**
   * A bazaar discovery entry: the served {@code DiscoveryResource} JSON ({@code entry}) of a
   * resource URL paid to {@code payTo} (lower-case), with the columns the listing filters on;
   * {@code extensionKeys} are the entry's extension keys.
   */
  record DiscoveryEntry(
      String resource,
      String payTo,
      String network,
      String scheme,
      List<String> extensionKeys,
      String entry,
      long updatedAt) {}

  /** The filters of {@code GET /discovery/resources}; null fields do not filter. */
  record DiscoveryFilter(String payTo, String network, String scheme, String extension) {}

  /** One page of entries (newest first) and how many match in all. */
  record DiscoveryPage(List<String> entries, long total) {}

  /**
   * Catalogs {@code entry}: replaces the row for its (resource, payTo), or adds one while the
   * catalog holds fewer than {@code maxTotal} rows and that payTo fewer than {@code maxPerPayTo}.
   *
   * @return false when a bound kept a new row out
   */
  boolean catalogResource(DiscoveryEntry entry, int maxTotal, int maxPerPayTo);

  DiscoveryPage discoveryResources(DiscoveryFilter filter, int limit, long offset);

  @Override
  void close();
}
