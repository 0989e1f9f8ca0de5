package io.attest402.facilitator.anchor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.SettlementLogView;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.FeePolicy;
import io.attest402.facilitator.settle.NetworkLane;
import io.attest402.facilitator.store.SettlementStore;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Pins the facilitator's receipt chain on chain and checks it against what is pinned.
 *
 * <p>{@link #check()} (at start, before the settlement engine recovers anything, then every watch
 * interval) reads the newest {@code SettlementLog} anchor of the facilitator's account and compares
 * it with the journal: a journal that ends before the anchored seq (an older data directory
 * restored under the key) or holds another receipt there (another copy signed a different chain)
 * halts the facilitator through the {@link IntegrityGuard}.
 *
 * <p>Anchoring sends {@code anchor(seq, hash of receipt seq)} from the facilitator's own account
 * after {@link AnchorOptions#every()} new receipts, when {@link AnchorOptions#interval()} passed
 * with a new receipt, at start, and once more at shutdown (after the engine has journaled its last
 * outcomes). Its account nonce comes from the lane's {@link
 * io.attest402.facilitator.settle.NonceManager}, reserved for the whole life of the transaction, so
 * settlement transactions never collide with it; a nonce whose anchor was never mined is freed and
 * the engine's gap filler closes it.
 */
public final class ReceiptAnchorer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReceiptAnchorer.class);
  private static final long TICK_MS = 250;

  /** anchor() writes two storage slots and an event: well under this. */
  private static final long ANCHOR_GAS_CAP = 200_000;

  private final SettlementLogView view;
  private final NetworkLane lane;
  private final SettlementStore store;
  private final EnclaveKey key;
  private final AnchorOptions options;
  private final IntegrityGuard guard;
  private final Clock clock;
  private final FacilitatorMetrics metrics;
  private final ScheduledExecutorService timer;
  // Anchors pay the same capped fees as settlements: a lying RPC must not make an anchor overpay
  // either.
  private final FeePolicy feePolicy;
  private volatile long anchoredSeq = -1;
  private volatile long lastAnchorAt;
  private volatile long lastWatchAt;
  private volatile String lastTx;
  private volatile String lastError;
  private volatile boolean closed;
  private volatile boolean startPending;

  public ReceiptAnchorer(
      SettlementLogView view,
      NetworkLane lane,
      SettlementStore store,
      EnclaveKey key,
      AnchorOptions options,
      IntegrityGuard guard,
      Clock clock,
      FacilitatorMetrics metrics,
      FeePolicy feePolicy) {
    this.feePolicy = feePolicy;
    this.view = view;
    this.lane = lane;
    this.store = store;
    this.key = key;
    this.options = options;
    this.guard = guard;
    this.clock = clock;
    this.metrics = metrics;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "receipt-anchorer");
              t.setDaemon(true);
              return t;
            });
  }

  /** The contract anchors go to. */
  public String contract() {
    return view.address();
  }

  /** The newest seq this facilitator knows anchored (-1: none). */
  public long anchoredSeq() {
    return anchoredSeq;
  }

  /**
   * Reads the newest anchor and compares the journal with it; updates the guard. Returns false when
   * the chain could not be read (the guard then stays as it was, refusing while unchecked).
   */
  public synchronized boolean check() {
    Optional<SettlementLogView.Anchor> latest;
    try {
      latest = view.latest(key.address());
    } catch (Exception e) {
      String why =
          "cannot read the on-chain anchor from SettlementLog "
              + view.address()
              + " on "
              + lane.network()
              + ": "
              + e.getMessage();
      guard.stillUnchecked(why);
      lastError = why;
      return false;
    }
    lastWatchAt = clock.millis();
    if (latest.isEmpty()) {
      guard.intact(-1);
      return true;
    }
    SettlementLogView.Anchor a = latest.get();
    long last = store.lastSequence();
    if (last < a.seq()) {
      guard.halt(
          "the journal is behind the on-chain anchor: it ends at seq "
              + last
              + " but this key anchored seq "
              + a.seq()
              + " (head "
              + a.head()
              + ", block "
              + a.blockNumber()
              + ") in SettlementLog "
              + view.address()
              + ". This data directory is older than one this key already ran with (a restored backup, or another copy"
              + " of the facilitator); settling from it would sign a second, different receipt for an anchored seq."
              + " See deploy/README.md, 'Receipt anchors and rollback'",
          a.seq());
      log.error("HALTED: {}", guard.reason());
      return true;
    }
    String ours = headAt(a.seq());
    if (ours == null || !ours.equalsIgnoreCase(a.head())) {
      guard.halt(
          "the journal differs from the on-chain anchor: this key anchored seq "
              + a.seq()
              + " with head "
              + a.head()
              + " (block "
              + a.blockNumber()
              + ") in SettlementLog "
              + view.address()
              + ", but this journal's"
              + " receipt "
              + a.seq()
              + " has "
              + (ours == null ? "no hash" : "hash " + ours)
              + ". Another copy of the"
              + " facilitator signed a different receipt chain under this key (a fork). See deploy/README.md,"
              + " 'Receipt anchors and rollback'",
          a.seq());
      log.error("HALTED: {}", guard.reason());
      return true;
    }
    anchoredSeq = Math.max(anchoredSeq, a.seq());
    guard.intact(a.seq());
    return true;
  }

  private String headAt(long seq) {
    List<SettlementStore.ReceiptEntry> e = store.receiptsFrom(seq, 1);
    if (e.isEmpty() || e.get(0).sequence() != seq || !e.get(0).receipt().path("hash").isTextual()) {
      return null;
    }
    return e.get(0).receipt().path("hash").textValue();
  }

  /**
   * Starts the timer: the first tick anchors what the journal holds beyond the anchor (the anchor
   * at start).
   */
  public void start() {
    lastAnchorAt = clock.millis();
    startPending = true;
    timer.scheduleWithFixedDelay(this::tick, 0, TICK_MS, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    try {
      IntegrityGuard.State s = guard.state();
      long now = clock.millis();
      if (s == IntegrityGuard.State.UNCHECKED
          || now - lastWatchAt >= options.watchInterval().toMillis()) {
        if (s != IntegrityGuard.State.HALTED) {
          check();
        }
      }
      if (guard.state() != IntegrityGuard.State.INTACT) {
        return;
      }
      long last = store.lastSequence();
      long pending = last - anchoredSeq;
      boolean due =
          pending > 0
              && (startPending
                  || (options.every() > 0 && pending >= options.every())
                  || now - lastAnchorAt >= options.interval().toMillis());
      if (due) {
        anchorNow(options.confirmWait().toMillis());
      }
      startPending = false;
    } catch (RuntimeException e) {
      lastError = e.getMessage();
      log.warn("anchoring failed: {}", e.toString());
    }
  }

  /**
   * Anchors the journal's newest receipt if it is not anchored yet, waiting up to {@code waitMs}
   * for the transaction to be mined. Returns whether the newest receipt is anchored afterwards.
   */
  public synchronized boolean anchorNow(long waitMs) {
    if (guard.state() != IntegrityGuard.State.INTACT) {
      return false;
    }
    long seq = store.lastSequence();
    if (seq < 0 || seq <= anchoredSeq) {
      return true;
    }
    String head = headAt(seq);
    if (head == null) {
      lastError = "the journal has no receipt hash at seq " + seq;
      return false;
    }
    if (!lane.nonces().initialised()) {
      lastError = "account nonces on " + lane.network() + " not initialised yet (RPC down?)";
      return false;
    }
    SettlementChain chain = lane.chain();
    String data = view.anchorCallData(seq, head);
    BigInteger gas;
    try {
      gas =
          chain.estimateGas(
              key.address(), view.address(), data, BigInteger.valueOf(ANCHOR_GAS_CAP));
    } catch (SettlementChain.RevertedException e) {
      // the contract refuses this seq: someone anchored at or beyond it under our key; compare
      // again
      lastError = "anchor(" + seq + ") would revert: " + e.getMessage();
      log.warn("{}; re-reading the on-chain anchor", lastError);
      check();
      return false;
    }
    BigInteger gasLimit =
        gas.multiply(BigInteger.valueOf(13)).divide(BigInteger.TEN).add(BigInteger.valueOf(5_000));
    Fees fees;
    try {
      fees = feePolicy.fees(lane.feeMarket());
    } catch (FeePolicy.FeeCapExceededException e) {
      lastError = "anchor postponed: " + e.getMessage();
      return false;
    }
    long nonce = lane.nonces().reserve();
    boolean sentOrUnknown = false;
    try {
      long chainId = chain.chainId();
      RawTransaction tx =
          fees.legacy()
              ? RawTransaction.createTransaction(
                  BigInteger.valueOf(nonce),
                  fees.maxFeePerGas(),
                  gasLimit,
                  view.address(),
                  BigInteger.ZERO,
                  data)
              : RawTransaction.createTransaction(
                  chainId,
                  BigInteger.valueOf(nonce),
                  gasLimit,
                  view.address(),
                  BigInteger.ZERO,
                  data,
                  fees.maxPriorityFeePerGas(),
                  fees.maxFeePerGas());
      String raw = Numeric.toHexString(key.sign(tx, chainId));
      String hash = Hash.sha3(raw).toLowerCase(Locale.ROOT);
      SendResult sent = chain.sendRaw(raw);
      if (sent.kind() == SendResult.Kind.UNKNOWN) {
        metrics.rpcError(lane.network());
      } else {
        metrics.transactionSent(lane.network(), "anchor");
      }
      sentOrUnknown =
          sent.inPool()
              || sent.kind() == SendResult.Kind.UNKNOWN
              || sent.kind() == SendResult.Kind.NONCE_TOO_LOW;
      if (!sent.inPool()) {
        lastError = "anchor transaction refused by the node: " + sent.kind() + " " + sent.message();
        log.warn(
            "network={} anchor seq={} tx={} nonce={}: {}",
            lane.network(),
            seq,
            hash,
            nonce,
            lastError);
        if (sent.kind() == SendResult.Kind.NONCE_TOO_LOW) {
          lane.nonces().resync(chain.nonce(key.address(), true));
        }
        return false;
      }
      log.info(
          "network={} anchoring seq={} head={} tx={} accountNonce={}",
          lane.network(),
          seq,
          head,
          hash,
          nonce);
      TransactionReceipt receipt = awaitReceipt(chain, hash, waitMs);
      if (receipt == null) {
        lastError = "anchor transaction " + hash + " not mined within " + waitMs + " ms";
        log.warn("network={} {}", lane.network(), lastError);
        return false;
      }
      if (!receipt.isStatusOK()) {
        lastError = "anchor transaction " + hash + " reverted";
        log.warn("network={} {}; re-reading the on-chain anchor", lane.network(), lastError);
        check();
        return false;
      }
      anchoredSeq = seq;
      lastAnchorAt = clock.millis();
      lastTx = hash;
      lastError = null;
      guard.intact(seq);
      log.info(
          "network={} anchored seq={} in block {}", lane.network(), seq, receipt.getBlockNumber());
      return true;
    } finally {
      if (sentOrUnknown) {
        // no longer reserved: if it never mines, the engine sees a gap at this nonce and fills it
        lane.nonces().fillerDone(nonce, true);
      } else {
        lane.nonces().release(nonce);
      }
    }
  }

  private TransactionReceipt awaitReceipt(SettlementChain chain, String hash, long waitMs) {
    long deadline = System.nanoTime() + waitMs * 1_000_000L;
    while (true) {
      try {
        TransactionReceipt r = chain.receipts(List.of(hash)).get(hash);
        if (r != null) {
          return r;
        }
      } catch (RuntimeException e) {
        log.debug("receipt of anchor {}: {}", hash, e.toString());
      }
      if (System.nanoTime() >= deadline) {
        return null;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /** Adds the anchoring state to a {@code /health} document. */
  public void describe(ObjectNode anchor) {
    anchor.put("contract", view.address());
    anchor.put("network", lane.network());
    anchor.put("journalSeq", store.lastSequence());
    if (lastTx != null) {
      anchor.put("lastAnchorTx", lastTx);
    }
    if (lastError != null) {
      anchor.put("lastError", lastError);
    }
  }

  /**
   * Stops the timer and anchors the newest receipt once more (bounded). Call after the settlement
   * engine closed (its last outcomes are journaled) and before the chain client closes.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (guard.state() == IntegrityGuard.State.INTACT
          && !anchorNow(Math.min(30_000, options.confirmWait().toMillis()))) {
        log.warn("final anchor at shutdown not confirmed: {}", lastError);
      }
    } catch (RuntimeException e) {
      log.warn("final anchor at shutdown failed: {}", e.toString());
    }
  }
}
