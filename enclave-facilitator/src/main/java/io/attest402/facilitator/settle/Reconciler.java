package io.attest402.facilitator.settle;

import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.RpcUnavailableException;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.TransferLogs;
import io.attest402.x402.types.ErrorReasons;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Drives every journaled in-flight settlement to a final outcome, on one thread: it fetches
 * receipts for all their transactions in one batch per chain and journals the outcome (settled only
 * with a matching Transfer log, and with several nodes only when a quorum agrees on the receipt);
 * re-broadcasts unmined transactions (a node may have lost them); replaces a transaction unmined
 * past {@link FacilitatorOptions#replaceAfter()} with bumped fees (within the caps) at the same
 * nonce; when a settlement's nonce was taken by some other transaction, reads {@code
 * authorizationState} to decide between "used elsewhere" and re-signing at a new nonce; and fills
 * account-nonce gaps. It also keeps each lane's view of its chain (checked chain id, account
 * nonces, balance).
 *
 * <p>With several signers every settlement stays with the signer that claimed it (its journaled
 * {@code account}): replacements, re-signing at a new nonce and gap fillers use that signer's key
 * and nonce sequence, and recovery at start restores each signer's nonces from its own pending
 * count and journaled transactions.
 */
final class Reconciler {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  private static final long BALANCE_REFRESH_MS = 5_000;

  private final Map<String, NetworkLane> lanes;
  private final SettlementStore store;
  private final Clock clock;
  private final FacilitatorOptions options;
  private final ReceiptIssuer issuer;
  private final FacilitatorMetrics metrics;
  private final TransactionSender sender;
  private final Consumer<SettlementRecord> onFinal;
  private final Set<Long> nonceTakenOnce = ConcurrentHashMap.newKeySet();
  private final Set<Long> unconfirmedOnce = ConcurrentHashMap.newKeySet();
  private final Set<Long> foreignOnce = ConcurrentHashMap.newKeySet();
  private final Semaphore wake = new Semaphore(0);
  // held for a whole pass, and by a settle path finishing its own fresh broadcast
  private final ReentrantLock passLock = new ReentrantLock();
  private final Thread thread;
  private volatile boolean running;
  private final Map<String, Long> lastHousekeeping = new ConcurrentHashMap<>();
  private final Set<Long> awaitingOwner = ConcurrentHashMap.newKeySet();
  private volatile ReplicaLeases leases;

  /** How far back the "used by whom" lookup reads {@code AuthorizationUsed} logs. */
  static final long USED_BY_LOOKBACK_BLOCKS = 10_000;

  private final ReceiptFollowUp followUp = new ReceiptFollowUp();

  /**
   * @param onFinal called with each settlement the reconciler journals as final
   */
  Reconciler(
      Map<String, NetworkLane> lanes,
      SettlementStore store,
      Clock clock,
      FacilitatorOptions options,
      ReceiptIssuer issuer,
      FacilitatorMetrics metrics,
      TransactionSender sender,
      Consumer<SettlementRecord> onFinal) {
    this.lanes = lanes;
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.issuer = issuer;
    this.metrics = metrics;
    this.sender = sender;
    this.onFinal = onFinal;
    this.thread = new Thread(this::reconcileLoop, "settlement-reconciler");
    this.thread.setDaemon(true);
  }

  /** Starts the reconciler thread after one pass on the caller's. */
  void start() {
    running = true;
    thread.start();
    reconcileOnce();
  }

  /** Replicas: the leases telling which other replicas' settlements this one reconciles now. */
  void leases(ReplicaLeases l) {
    this.leases = l;
  }

  /** Asks for a pass now (a transaction was just broadcast). */
  void wake() {
    followUp.broadcast();
    wake.release();
  }

  /** Stops the thread, waiting up to {@code joinMillis} for its current pass. */
  void stop(long joinMillis) {
    running = false;
    wake.release();
    try {
      thread.join(joinMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Every node of the lane must report the configured chain id: a node of another chain would have
   * the facilitator sign what it says. Checked at start (a mismatch refuses to start) and, for a
   * node down at start, before the lane is first used.
   *
   * @throws IllegalStateException on a mismatch
   */
  void checkChainId(NetworkLane lane) {
    if (lane.chainIdChecked()) {
      return;
    }
    List<SettlementChain> all = new ArrayList<>();
    all.add(lane.chain());
    all.addAll(lane.witnesses());
    for (int i = 0; i < all.size(); i++) {
      long reported = all.get(i).reportedChainId();
      if (reported != lane.config().chainId()) {
        throw new IllegalStateException(
            "RPC node #"
                + (i + 1)
                + " of "
                + lane.network()
                + " reports chain id "
                + reported
                + ", not "
                + lane.config().chainId()
                + ": refusing to use it (wrong node or a lying one)");
      }
    }
    lane.chainIdChecked(true);
  }

  void initNonces(NetworkLane lane) {
    try {
      checkChainId(lane);
    } catch (IllegalStateException wrongChain) {
      throw new RpcUnavailableException(wrongChain.getMessage(), wrongChain);
    }
    List<SettlementRecord> inflight = store.inFlight();
    for (SignerAccount s : lane.signers()) {
      long pending = lane.chain().nonce(s.address(), true);
      Map<Long, Long> journaled = new HashMap<>();
      for (SettlementRecord r : inflight) {
        if (r.key().network().equals(lane.network())
            && r.accountNonce() != null
            && s.address().equalsIgnoreCase(r.account())) {
          journaled.put(r.accountNonce(), r.id());
        }
      }
      s.nonces().init(pending, journaled);
      log.info(
          "network={} signer {} account={} nonces start at {} ({} in flight)",
          lane.network(),
          s.index(),
          s.address(),
          s.nonces().next(),
          journaled.size());
    }
    lane.rpcUp(true, null);
  }

  private void reconcileLoop() {
    while (running) {
      try {
        wake.tryAcquire(
            followUp.nextWaitMicros(options.pollInterval().toMillis() * 1000),
            TimeUnit.MICROSECONDS);
        wake.drainPermits();
        if (!running) {
          break;
        }
        reconcileOnce();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("reconciler cycle failed: {}", e.toString());
      }
    }
  }

  /** One reconciliation pass over every in-flight settlement (also run once at start). */
  void reconcileOnce() {
    passLock.lock();
    try {
      pass();
    } finally {
      passLock.unlock();
    }
  }

  /**
   * The settle path's follow-up of its own broadcast, on its own thread: when no pass is running,
   * one receipt lookup for settlement {@code id}, and if the lane's nodes agree on a receipt, the
   * same final checks and journaling as a pass. On an automining node the receipt exists when the
   * send returns, so the settle answer needs no hand-over to the reconciler thread and no scan of
   * the journal. Anything else (a pass running, no receipt yet, an unreachable node) leaves the
   * settlement to the reconciler: returns false and the caller wakes it.
   */
  boolean finishFresh(NetworkLane lane, long id) {
    if (!passLock.tryLock()) {
      return false;
    }
    try {
      SettlementRecord r = store.byId(id).orElse(null);
      if (r == null || r.state().isFinal() || r.attempts().isEmpty()) {
        return r != null && r.state().isFinal();
      }
      if (lane.signer(r.account()).isEmpty() || !lane.noncesInitialised()) {
        return false;
      }
      Set<String> hashes = new HashSet<>();
      r.attempts().forEach(a -> hashes.add(a.txHash()));
      List<TransactionReceipt> reported =
          reported(r, lane.chain().receipts(hashes), witnessReceipts(lane, hashes));
      if (reported.isEmpty()) {
        return false;
      }
      TransactionReceipt agreed = confirmed(lane, r, reported);
      if (agreed == null) {
        return false;
      }
      nonceTakenOnce.remove(r.id());
      finalizeMined(lane, r, agreed);
      return true;
    } catch (RpcUnavailableException e) {
      return false;
    } finally {
      passLock.unlock();
    }
  }

  private void pass() {
    followUp.passStarts();
    List<SettlementRecord> inflight = store.inFlight();
    Map<String, List<SettlementRecord>> byNetwork = new HashMap<>();
    for (SettlementRecord r : inflight) {
      byNetwork.computeIfAbsent(r.key().network(), k -> new ArrayList<>()).add(r);
    }
    for (NetworkLane lane : lanes.values()) {
      List<SettlementRecord> recs = byNetwork.getOrDefault(lane.network(), List.of());
      try {
        if (!lane.noncesInitialised()) {
          initNonces(lane);
        }
        reconcileLane(lane, recs);
        for (SignerAccount s : lane.signers()) {
          if (s.balanceAgeMs() > BALANCE_REFRESH_MS) {
            refreshBalance(lane, s);
          }
        }
        lane.rpcUp(true, null);
      } catch (RpcUnavailableException e) {
        rpcDown(lane, e);
      } catch (RuntimeException e) {
        log.warn("network={} reconciliation failed: {}", lane.network(), e.toString());
      }
      metrics.pending(lane.network(), recs.size());
    }
  }

  void rpcDown(NetworkLane lane, RuntimeException e) {
    metrics.rpcError(lane.network());
    if (lane.rpcUp()) {
      log.warn("network={} RPC unavailable: {}", lane.network(), e.getMessage());
    }
    lane.rpcUp(false, e.getMessage());
  }

  private void reconcileLane(NetworkLane lane, List<SettlementRecord> recs) {
    reconcileAdopted(lane, recs);
    ReplicaLeases l = leases;
    List<SettlementRecord> signed =
        recs.stream()
            .filter(r -> r.state() != SettlementState.CLAIMED && !r.attempts().isEmpty())
            .filter(r -> l == null || !l.adopted(r.account()))
            // with replicas, another replica's rows are its own business (or adopted, above)
            .filter(r -> l == null || lane.signer(r.account()).isPresent())
            .filter(r -> ownSigner(lane, r) != null)
            // the settle path is sending it this instant: its own follow-up finishes it
            .filter(r -> !sender.aboutToBeSent(r.latestAttempt().txHash()))
            .toList();
    // A signer's mined nonce count is read only when a settlement without a receipt needs it, and
    // for housekeeping (nonce gaps) at most every housekeepingMillis(): off the path from a
    // broadcast to its receipt, which on a fast chain is the settle latency.
    Map<SignerAccount, Long> latestOf = new HashMap<>();
    if (!signed.isEmpty()) {
      Set<String> hashes = new HashSet<>();
      signed.forEach(r -> r.attempts().forEach(a -> hashes.add(a.txHash())));
      Map<String, TransactionReceipt> receipts = lane.chain().receipts(hashes);
      List<Map<String, TransactionReceipt>> witnessed = witnessReceipts(lane, hashes);
      long now = clock.millis();
      for (SettlementRecord r : signed) {
        SignerAccount s = ownSigner(lane, r);
        List<TransactionReceipt> reported = reported(r, receipts, witnessed);
        if (!reported.isEmpty()) {
          nonceTakenOnce.remove(r.id());
          TransactionReceipt agreed = confirmed(lane, r, reported);
          if (agreed != null) {
            finalizeMined(lane, r, agreed);
          }
        } else if (r.accountNonce() != null && r.accountNonce() < latest(lane, s, latestOf)) {
          if (nonceTakenOnce.add(r.id())) {
            // seen once: a receipt may lag the nonce count (a node indexing the block it just
            // mined); decide next pass, soon for a transaction sent moments ago
            Long sentAt = sender.lastSentAt(r.latestAttempt().txHash());
            if (sentAt != null) {
              followUp.unmined(now - sentAt);
            }
            continue;
          }
          nonceTakenOnce.remove(r.id());
          nonceTaken(lane, s, r);
        } else {
          nonceTakenOnce.remove(r.id());
          Long sentAt = sender.lastSentAt(r.latestAttempt().txHash());
          if (sentAt != null) {
            followUp.unmined(now - sentAt);
          }
          keepAlive(lane, s, r, now);
        }
      }
    }
    if (clock.millis() - lastHousekeeping.getOrDefault(lane.network(), 0L)
        >= housekeepingMillis()) {
      for (SignerAccount s : lane.signers()) {
        latest(lane, s, latestOf);
      }
      lastHousekeeping.put(lane.network(), clock.millis());
    }
    for (SignerAccount s : lane.signers()) {
      for (long n : s.nonces().takeStaleFree(options.gapFillAfter().toMillis())) {
        sender.fillGap(lane, s, n);
      }
    }
  }

  /**
   * The signer's mined nonce count (read at most once a pass, kept in {@code known}), which its
   * nonce manager's housekeeping observes. Read after the receipts: a transaction mined in between
   * looks like a taken nonce for one pass, which {@link #nonceTakenOnce} waits out.
   */
  private long latest(NetworkLane lane, SignerAccount s, Map<SignerAccount, Long> known) {
    return known.computeIfAbsent(
        s,
        signer -> {
          long latest = lane.chain().nonce(signer.address(), false);
          signer.nonces().observeLatest(latest);
          return latest;
        });
  }

  private long housekeepingMillis() {
    return Math.max(
        options.pollInterval().toMillis(), Math.min(1_000, options.gapFillAfter().toMillis() / 2));
  }

  /**
   * Every witness's receipts for {@code hashes}, one batch each (a witness that does not answer
   * reports nothing); empty with one node. Asked whether or not the primary node has a receipt: a
   * primary that withholds one must not make a mined settlement look dropped.
   */
  private List<Map<String, TransactionReceipt>> witnessReceipts(
      NetworkLane lane, Collection<String> hashes) {
    List<Map<String, TransactionReceipt>> out = new ArrayList<>();
    for (SettlementChain w : lane.witnesses()) {
      try {
        out.add(w.receipts(hashes));
      } catch (RpcUnavailableException e) {
        metrics.rpcError(lane.network());
        out.add(Map.of());
      }
    }
    return out;
  }

  /** The receipts the nodes report for one settlement's transactions, one per node at most. */
  private static List<TransactionReceipt> reported(
      SettlementRecord r,
      Map<String, TransactionReceipt> primary,
      List<Map<String, TransactionReceipt>> witnessed) {
    List<TransactionReceipt> out = new ArrayList<>();
    TransactionReceipt p = receiptOf(r, primary);
    if (p != null) {
      out.add(p);
    }
    for (Map<String, TransactionReceipt> w : witnessed) {
      TransactionReceipt t = receiptOf(r, w);
      if (t != null) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * The signer of ours that sent {@code r}'s transactions, or null (logged once) for a row another
   * facilitator's key signed: this one must never re-sign it.
   */
  private SignerAccount ownSigner(NetworkLane lane, SettlementRecord r) {
    SignerAccount s = lane.signer(r.account()).orElse(null);
    if (s == null && foreignOnce.add(r.id())) {
      log.warn(
          "settlement id={} network={} was signed by account {}, which is not one of this "
              + "facilitator's signers: left alone",
          r.id(),
          lane.network(),
          r.account());
    }
    return s;
  }

  private static TransactionReceipt receiptOf(
      SettlementRecord r, Map<String, TransactionReceipt> receipts) {
    for (TxAttempt a : r.attempts()) {
      TransactionReceipt t = receipts.get(a.txHash());
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  /** Unmined: replace with bumped fees past the bound, else re-broadcast now and then. */
  private void keepAlive(NetworkLane lane, SignerAccount signer, SettlementRecord r, long now) {
    TxAttempt last = r.latestAttempt();
    boolean stuck = now - last.createdAt().toEpochMilli() >= options.replaceAfter().toMillis();
    Optional<Fees> bump = Optional.empty();
    if (stuck
        && r.currentAttempts().size() <= options.maxReplacements()
        && r.accountNonce() != null) {
      try {
        bump =
            sender
                .feePolicy()
                .bumped(
                    new Fees(last.maxFeePerGas(), last.maxPriorityFeePerGas()),
                    options.feeBumpPercent(),
                    lane.feeMarket());
      } catch (FeePolicy.FeeCapExceededException e) {
        log.warn(
            "settlement id={} tx={} unmined; not replaced: {}",
            r.id(),
            last.txHash(),
            e.getMessage());
      }
    }
    if (bump.isPresent()) {
      Fees bumped = bump.get();
      String data = TransactionDecoder.decode(last.rawTx()).getData();
      TxAttempt a =
          sender.signAndJournal(
              lane,
              signer,
              r.id(),
              PaymentTerms.target(r),
              data,
              last.gasLimit(),
              r.accountNonce(),
              bumped);
      SendResult s = sender.send(lane, a, "replacement");
      log.info(
          "settlement id={} tx={} unmined for {}s: replaced by tx={} (maxFee {} -> {}): {}",
          r.id(),
          last.txHash(),
          (now - last.createdAt().toEpochMilli()) / 1000,
          a.txHash(),
          last.maxFeePerGas(),
          bumped.maxFeePerGas(),
          s.kind());
      afterResend(r, s);
      return;
    }
    Long sentAt = sender.lastSentAt(last.txHash());
    if (sentAt == null || now - sentAt >= options.rebroadcastInterval().toMillis()) {
      SendResult s = sender.send(lane, last, "rebroadcast");
      if (sentAt == null || s.kind() != SendResult.Kind.ALREADY_KNOWN) {
        log.info(
            "settlement id={} tx={} re-broadcast: {} {}",
            r.id(),
            last.txHash(),
            s.kind(),
            s.message());
      }
      afterResend(r, s);
    }
  }

  private void afterResend(SettlementRecord r, SendResult s) {
    if (s.inPool() && r.state() == SettlementState.SIGNED) {
      store.markBroadcast(r.id());
    }
  }

  /**
   * The settlement's account nonce is mined but none of its transactions is: another transaction
   * took the nonce. If the authorization is used, someone else settled it; otherwise sign it again
   * at a new nonce while it is valid.
   */
  private void nonceTaken(NetworkLane lane, SignerAccount signer, SettlementRecord r) {
    List<String> hashes = r.attempts().stream().map(TxAttempt::txHash).toList();
    List<TransactionReceipt> again =
        reported(r, lane.chain().receipts(hashes), witnessReceipts(lane, hashes));
    if (!again.isEmpty()) {
      TransactionReceipt agreed = confirmed(lane, r, again);
      if (agreed != null) {
        finalizeMined(lane, r, agreed);
      }
      return;
    }
    Boolean used = authorizationUsed(lane, r);
    if (used == null) {
      return; // the nodes disagree: decide nothing, ask again next pass
    }
    signer.nonces().unassign(r.accountNonce(), r.id());
    if (used) {
      TransactionReceipt ours = landedByUs(lane, r);
      if (ours != null) {
        finalizeMined(lane, r, ours);
        return;
      }
      finish(
          lane,
          r,
          Outcome.failed(
              ErrorReasons.NONCE_ALREADY_USED,
              "the authorization was used by a transaction this facilitator did not send",
              "",
              null));
      return;
    }
    long nowSeconds = Math.floorDiv(clock.millis(), 1000L);
    if (r.validBefore()
            .compareTo(
                BigInteger.valueOf(nowSeconds + ExactEvmVerifier.VALID_BEFORE_BUFFER_SECONDS))
        < 0) {
      finish(
          lane,
          r,
          Outcome.failed(
              ErrorReasons.VALID_BEFORE_EXPIRED,
              "the settlement transaction was dropped and the authorization has expired; nothing was transferred",
              "",
              null));
      return;
    }
    TxAttempt last = r.latestAttempt();
    String data = TransactionDecoder.decode(last.rawTx()).getData();
    TxAttempt a =
        sender.signAndJournal(
            lane, signer, r.id(), PaymentTerms.target(r), data, last.gasLimit(), null, null);
    SendResult s = sender.send(lane, a, "resign");
    log.warn(
        "settlement id={} accountNonce={} was taken by another transaction: signed again as tx={} "
            + "accountNonce={}: {}",
        r.id(),
        r.accountNonce(),
        a.txHash(),
        a.accountNonce(),
        s.kind());
    afterResend(r, s);
  }

  /**
   * Before an authorization found used is called "used elsewhere": the receipt of a transaction of
   * this facilitator's, from any replica, that used it, or null when none did. It looks at every
   * journal row for the authorization as the database has it now (every replica's rows, every
   * attempt, not the pass's snapshot) and at the transaction whose {@code AuthorizationUsed} log
   * spent it (EIP-3009): one journaled by any replica, or sent by any replica's signer, is ours.
   * Only a mined, successful transaction with the authorization's Transfer log, as a quorum of the
   * lane's nodes reports it, counts.
   */
  private TransactionReceipt landedByUs(NetworkLane lane, SettlementRecord r) {
    Set<String> hashes = new java.util.LinkedHashSet<>();
    Set<String> senders = new HashSet<>();
    r.attempts().forEach(a -> hashes.add(a.txHash().toLowerCase(java.util.Locale.ROOT)));
    List<SettlementRecord> rows = new ArrayList<>();
    store.byKey(r.key()).ifPresent(rows::add);
    for (SettlementRecord x : store.byNonceOrTxHash(r.key().nonce())) {
      if (x.key().equals(r.key())) {
        rows.add(x);
      }
    }
    for (SettlementRecord x : rows) {
      x.attempts().forEach(a -> hashes.add(a.txHash().toLowerCase(java.util.Locale.ROOT)));
      if (x.txHash() != null) {
        hashes.add(x.txHash().toLowerCase(java.util.Locale.ROOT));
      }
      senders.add(x.account().toLowerCase(java.util.Locale.ROOT));
    }
    senders.add(r.account().toLowerCase(java.util.Locale.ROOT));
    lane.signers().forEach(s -> senders.add(s.address().toLowerCase(java.util.Locale.ROOT)));
    ReplicaLeases l = leases;
    if (l != null) {
      senders.addAll(l.knownSigners());
    }
    if (!PaymentTerms.isPermit2(r)) {
      try {
        lane.chain()
            .authorizationUsedBy(
                r.key().asset(), r.key().payer(), r.key().nonce(), USED_BY_LOOKBACK_BLOCKS)
            .filter(u -> senders.contains(u.from()) || hashes.contains(u.txHash()))
            .ifPresent(u -> hashes.add(u.txHash()));
      } catch (RpcUnavailableException e) {
        metrics.rpcError(lane.network());
        log.warn(
            "settlement id={}: cannot read who used its authorization ({}); the journal decides",
            r.id(),
            e.getMessage());
      }
    }
    Map<String, TransactionReceipt> primary = lane.chain().receipts(hashes);
    List<Map<String, TransactionReceipt>> witnessed = witnessReceipts(lane, hashes);
    for (String h : hashes) {
      List<TransactionReceipt> reported = new ArrayList<>();
      if (primary.get(h) != null) {
        reported.add(primary.get(h));
      }
      for (Map<String, TransactionReceipt> w : witnessed) {
        if (w.get(h) != null) {
          reported.add(w.get(h));
        }
      }
      if (reported.isEmpty()) {
        continue;
      }
      TransactionReceipt agreed = confirmed(lane, r, reported);
      if (agreed != null
          && agreed.isStatusOK()
          && TransferLogs.hasMatchingTransfer(
              agreed.getLogs(), r.key().asset(), r.key().payer(), r.payTo(), r.amount())) {
        log.info(
            "settlement id={}: its authorization was used by tx={} of this facilitator's: settled",
            r.id(),
            h);
        return agreed;
      }
    }
    return null;
  }

  /**
   * The in-flight settlements of signers whose lease this replica took over from a stopped one:
   * receipts read and outcomes journaled, the journaled signed bytes re-broadcast, never re-signed
   * (the key is in the other enclave); a row never signed is dropped (nothing reached a chain, a
   * retry starts afresh). A write refused by the fence (the owner took its lease back) hands the
   * signer back.
   */
  private void reconcileAdopted(NetworkLane lane, List<SettlementRecord> recs) {
    ReplicaLeases l = leases;
    if (l == null) {
      return;
    }
    List<SettlementRecord> adopted = recs.stream().filter(r -> l.adopted(r.account())).toList();
    if (adopted.isEmpty()) {
      return;
    }
    Set<String> hashes = new HashSet<>();
    adopted.forEach(r -> r.attempts().forEach(a -> hashes.add(a.txHash())));
    Map<String, TransactionReceipt> receipts =
        hashes.isEmpty() ? Map.of() : lane.chain().receipts(hashes);
    List<Map<String, TransactionReceipt>> witnessed =
        hashes.isEmpty() ? List.of() : witnessReceipts(lane, hashes);
    Map<String, Long> latestOf = new HashMap<>();
    long now = clock.millis();
    for (SettlementRecord r : adopted) {
      try {
        if (r.state() == SettlementState.CLAIMED || r.attempts().isEmpty()) {
          store.abandon(r.id());
          log.info(
              "settlement id={} of stopped signer {}: claimed but never signed, dropped (nothing was"
                  + " broadcast)",
              r.id(),
              r.account());
          continue;
        }
        List<TransactionReceipt> reported = reported(r, receipts, witnessed);
        if (!reported.isEmpty()) {
          nonceTakenOnce.remove(r.id());
          TransactionReceipt agreed = confirmed(lane, r, reported);
          if (agreed != null) {
            finalizeMined(lane, r, agreed);
          }
          continue;
        }
        long latest =
            latestOf.computeIfAbsent(
                r.account().toLowerCase(java.util.Locale.ROOT),
                a -> lane.chain().nonce(r.account(), false));
        if (r.accountNonce() != null && r.accountNonce() < latest) {
          if (nonceTakenOnce.add(r.id())) {
            continue;
          }
          nonceTakenOnce.remove(r.id());
          adoptedNonceTaken(lane, r);
          continue;
        }
        TxAttempt last = r.latestAttempt();
        Long sentAt = sender.lastSentAt(last.txHash());
        if (sentAt == null || now - sentAt >= options.rebroadcastInterval().toMillis()) {
          SendResult sent = sender.send(lane, last, "takeover");
          if (sentAt == null) {
            log.info(
                "settlement id={} of stopped signer {}: journaled tx={} re-broadcast: {}",
                r.id(),
                r.account(),
                last.txHash(),
                sent.kind());
          }
          afterResend(r, sent);
        }
      } catch (io.attest402.facilitator.store.LeaseStore.FencedException e) {
        log.info("settlement id={}: {}", r.id(), e.getMessage());
        l.lost(r.account());
      }
    }
  }

  /**
   * A taken-over settlement whose account nonce is mined without any of its transactions: "used
   * elsewhere" only when no replica's transaction used it; not used, it waits for its owner to
   * re-sign it (or fails once the authorization has expired: nothing can move it any more).
   */
  private void adoptedNonceTaken(NetworkLane lane, SettlementRecord r) {
    Boolean used = authorizationUsed(lane, r);
    if (used == null) {
      return;
    }
    if (used) {
      TransactionReceipt ours = landedByUs(lane, r);
      if (ours != null) {
        finalizeMined(lane, r, ours);
        return;
      }
      finish(
          lane,
          r,
          Outcome.failed(
              ErrorReasons.NONCE_ALREADY_USED,
              "the authorization was used by a transaction this facilitator did not send",
              "",
              null));
      return;
    }
    long nowSeconds = Math.floorDiv(clock.millis(), 1000L);
    if (r.validBefore().compareTo(BigInteger.valueOf(nowSeconds)) <= 0) {
      finish(
          lane,
          r,
          Outcome.failed(
              ErrorReasons.VALID_BEFORE_EXPIRED,
              "the settlement transaction was dropped and the authorization has expired; nothing was transferred",
              "",
              null));
      return;
    }
    if (awaitingOwner.add(r.id())) {
      log.warn(
          "settlement id={}: signer {}'s nonce {} was taken by another transaction and the"
              + " authorization is unused; only its own replica may sign it again: left for it",
          r.id(),
          r.account(),
          r.accountNonce());
    }
  }

  private void finalizeMined(NetworkLane lane, SettlementRecord r, TransactionReceipt receipt) {
    String tx = receipt.getTransactionHash().toLowerCase(java.util.Locale.ROOT);
    long block = receipt.getBlockNumber().longValueExact();
    Outcome o;
    if (!receipt.isStatusOK()) {
      o = Outcome.failed(ErrorReasons.TRANSACTION_FAILED, "transaction reverted", tx, block);
    } else if (!TransferLogs.hasMatchingTransfer(
        receipt.getLogs(), r.key().asset(), r.key().payer(), r.payTo(), r.amount())) {
      o =
          Outcome.failed(
              ErrorReasons.TRANSFER_EVENT_MISMATCH,
              "transaction mined without the Transfer(from, to, value) log of the authorization",
              tx,
              block);
    } else {
      o = Outcome.settled(tx, block);
    }
    finish(lane, r, o);
  }

  /**
   * What a receipt says about a settlement, everything the journal and the signed receipt take from
   * it: the nodes must agree on all of it (a node that reports the true block hash with another
   * block number or transaction must not get its version signed).
   */
  private record Verdict(
      String txHash,
      String blockHash,
      BigInteger blockNumber,
      boolean statusOk,
      boolean transferMatches) {}

  private static Verdict verdict(SettlementRecord r, TransactionReceipt t) {
    return new Verdict(
        t.getTransactionHash() == null
            ? ""
            : t.getTransactionHash().toLowerCase(java.util.Locale.ROOT),
        t.getBlockHash() == null ? "" : t.getBlockHash().toLowerCase(java.util.Locale.ROOT),
        t.getBlockNumberRaw() == null ? null : t.getBlockNumber(),
        t.isStatusOK(),
        TransferLogs.hasMatchingTransfer(
            t.getLogs(), r.key().asset(), r.key().payer(), r.payTo(), r.amount()));
  }

  /**
   * The receipt a quorum of the lane's nodes agrees on (same transaction, block hash and number,
   * status and Transfer log), or null when there is no such quorum yet: the settlement stays in
   * flight, nothing is signed. {@code reported} holds at most one receipt per node, the primary's
   * first when it has one; with one node that node's word.
   */
  private TransactionReceipt confirmed(
      NetworkLane lane, SettlementRecord r, List<TransactionReceipt> reported) {
    if (lane.witnesses().isEmpty()) {
      return reported.get(0);
    }
    Map<Verdict, List<TransactionReceipt>> votes = new LinkedHashMap<>();
    for (TransactionReceipt t : reported) {
      votes.computeIfAbsent(verdict(r, t), k -> new ArrayList<>()).add(t);
    }
    for (Map.Entry<Verdict, List<TransactionReceipt>> v : votes.entrySet()) {
      if (v.getValue().size() >= lane.receiptQuorum()) {
        unconfirmedOnce.remove(r.id());
        return v.getValue().get(0);
      }
    }
    if (unconfirmedOnce.add(r.id())) {
      log.warn(
          "settlement id={} network={}: the nodes do not agree on its receipt yet ({} of {} report one, "
              + "{} versions, quorum {}): not final",
          r.id(),
          lane.network(),
          reported.size(),
          1 + lane.witnesses().size(),
          votes.size(),
          lane.receiptQuorum());
    }
    metrics.refused(lane.network(), "receipt_no_quorum");
    return null;
  }

  /**
   * Whether the settlement's authorization is used on chain, as a quorum of the lane's nodes says
   * ({@code authorizationState}); null when no quorum agrees (one node's word would let it turn a
   * settlement into a final "used elsewhere" or have it signed again).
   */
  private Boolean authorizationUsed(NetworkLane lane, SettlementRecord r) {
    boolean primary = usedOn(lane.chain(), r);
    if (lane.witnesses().isEmpty()) {
      return primary;
    }
    int used = primary ? 1 : 0;
    int unused = primary ? 0 : 1;
    for (SettlementChain w : lane.witnesses()) {
      try {
        if (usedOn(w, r)) {
          used++;
        } else {
          unused++;
        }
      } catch (RpcUnavailableException e) {
        metrics.rpcError(lane.network());
      }
    }
    if (used >= lane.receiptQuorum()) {
      return true;
    }
    if (unused >= lane.receiptQuorum()) {
      return false;
    }
    log.warn(
        "settlement id={} network={}: the nodes disagree whether its authorization is used ({} yes, "
            + "{} no, quorum {}): deciding nothing",
        r.id(),
        lane.network(),
        used,
        unused,
        lane.receiptQuorum());
    return null;
  }

  /** What one node says of the settlement's authorization: Permit2's nonce bitmap or EIP-3009's. */
  private static boolean usedOn(SettlementChain chain, SettlementRecord r) {
    return PaymentTerms.isPermit2(r)
        ? chain.permit2NonceUsed(r.key().payer(), PaymentTerms.permit2Nonce(r))
        : chain.authorizationState(r.key().asset(), r.key().payer(), r.key().nonce());
  }

  private void finish(NetworkLane lane, SettlementRecord r, Outcome o) {
    unconfirmedOnce.remove(r.id());
    // the receipt names the signer that sent the transaction (the identity key signs it)
    SettlementRecord fin = store.finish(r.id(), o, r.account(), issuer);
    SignerAccount s = lane.signer(r.account()).orElse(null);
    if (r.accountNonce() != null && s != null) {
      s.nonces().unassign(r.accountNonce(), r.id());
    }
    sender.forget(r.attempts());
    metrics.outcome(lane.network(), o.success(), o.errorReason());
    log.info(
        "settlement id={} final: {} tx={} block={} reason={} seq={}",
        r.id(),
        fin.state(),
        fin.txHash(),
        fin.blockNumber(),
        fin.errorReason(),
        fin.outcomeSeq());
    onFinal.accept(fin);
  }

  /** Refreshes every signer's balance; returns signer 1's. */
  BigInteger refreshBalance(NetworkLane lane) {
    for (SignerAccount s : lane.signers()) {
      refreshBalance(lane, s);
    }
    return lane.balance();
  }

  BigInteger refreshBalance(NetworkLane lane, SignerAccount s) {
    BigInteger b = lane.chain().balance(s.address());
    s.balance(b);
    metrics.balance(lane.network(), s.index(), b);
    return b;
  }

  void refreshBalanceQuietly(NetworkLane lane, SignerAccount s) {
    try {
      refreshBalance(lane, s);
    } catch (RuntimeException e) {
      log.debug("balance refresh failed: {}", e.toString());
    }
  }
}
