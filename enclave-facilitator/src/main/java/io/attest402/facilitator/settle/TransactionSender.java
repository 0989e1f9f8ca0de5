package io.attest402.facilitator.settle;

import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.store.SettlementStore;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.utils.Numeric;

/**
 * Signs and sends the signer accounts' transactions: reserves a nonce of the settlement's signer
 * (each {@link SignerAccount} its own sequence), signs with that signer's key within the fee caps
 * ({@link FeePolicy}), journals the signed transaction <em>before</em> anyone may broadcast it,
 * sends it, and fills account-nonce gaps with zero-value self-transfers. Shared by the settle path
 * and the reconciler.
 */
final class TransactionSender {
  private static final Logger log = LoggerFactory.getLogger(TransactionSender.class);
  private static final BigInteger FILLER_GAS = BigInteger.valueOf(21_000);

  private final SettlementStore store;
  private final Clock clock;
  private final FacilitatorOptions options;
  private final FacilitatorMetrics metrics;
  private final FeePolicy feePolicy;
  private final Map<String, Long> lastSent = new ConcurrentHashMap<>();
  private final Map<String, Integer> fillerRounds = new ConcurrentHashMap<>(); // "signer:nonce"
  // transactions this process journaled and has not sent yet: System.nanoTime() of the journaling
  private final Map<String, Long> unsent = new ConcurrentHashMap<>();

  /** How long a journaled, not yet sent transaction is left to the thread about to send it. */
  static final long SEND_GRACE_NANOS = 1_000_000_000L;

  TransactionSender(
      SettlementStore store,
      Clock clock,
      FacilitatorOptions options,
      FacilitatorMetrics metrics,
      FeePolicy feePolicy) {
    this.store = store;
    this.clock = clock;
    this.options = options;
    this.metrics = metrics;
    this.feePolicy = feePolicy;
  }

  FeePolicy feePolicy() {
    return feePolicy;
  }

  /** When {@code txHash} was last sent by this process (null: not since start). */
  Long lastSentAt(String txHash) {
    return lastSent.get(txHash);
  }

  /**
   * Whether {@code txHash} was journaled by this process under a second ago and is not sent yet:
   * the thread that signed it is about to send it (the reconciler neither re-broadcasts it nor
   * looks for its receipt meanwhile; past the grace, a thread that died before sending is covered).
   */
  boolean aboutToBeSent(String txHash) {
    Long at = unsent.get(txHash);
    return at != null && System.nanoTime() - at < SEND_GRACE_NANOS;
  }

  /** Forgets the send times of a final settlement's transactions. */
  void forget(List<TxAttempt> attempts) {
    attempts.forEach(
        a -> {
          lastSent.remove(a.txHash());
          unsent.remove(a.txHash());
        });
  }

  /**
   * Reserves a nonce (or uses {@code fixedNonce}), signs, and journals the transaction before
   * anyone sends it.
   */
  TxAttempt signAndJournal(
      NetworkLane lane,
      SignerAccount signer,
      long id,
      String to,
      String data,
      BigInteger gasLimit,
      Long fixedNonce,
      Fees fixedFees) {
    long nonce = fixedNonce != null ? fixedNonce : signer.nonces().reserve();
    try {
      Fees fees = fixedFees != null ? fixedFees : feePolicy.fees(lane.feeMarket());
      TxAttempt a = sign(lane, signer, nonce, to, data, BigInteger.ZERO, gasLimit, fees);
      unsent.put(a.txHash(), System.nanoTime());
      try {
        store.addAttempt(id, a);
      } catch (RuntimeException e) {
        unsent.remove(a.txHash());
        throw e;
      }
      if (fixedNonce == null) {
        signer.nonces().assign(nonce, id);
      }
      return a;
    } catch (RuntimeException e) {
      if (fixedNonce == null) {
        signer.nonces().release(nonce);
      }
      throw e;
    }
  }

  private TxAttempt sign(
      NetworkLane lane,
      SignerAccount signer,
      long nonce,
      String to,
      String data,
      BigInteger value,
      BigInteger gasLimit,
      Fees fees) {
    long chainId = lane.chain().chainId();
    RawTransaction tx =
        fees.legacy()
            ? RawTransaction.createTransaction(
                BigInteger.valueOf(nonce), fees.maxFeePerGas(), gasLimit, to, value, data)
            : RawTransaction.createTransaction(
                chainId,
                BigInteger.valueOf(nonce),
                gasLimit,
                to,
                value,
                data,
                fees.maxPriorityFeePerGas(),
                fees.maxFeePerGas());
    String raw = Numeric.toHexString(signer.key().sign(tx, chainId));
    String hash = Hash.sha3(raw).toLowerCase(java.util.Locale.ROOT);
    return new TxAttempt(
        hash,
        nonce,
        raw,
        fees.maxFeePerGas(),
        fees.maxPriorityFeePerGas(),
        gasLimit,
        clock.instant());
  }

  SendResult send(NetworkLane lane, TxAttempt a, String kind) {
    SendResult r;
    try {
      r = lane.chain().sendRaw(a.rawTx());
    } finally {
      lastSent.put(a.txHash(), clock.millis());
      unsent.remove(a.txHash());
    }
    if (r.kind() == SendResult.Kind.UNKNOWN) {
      metrics.rpcError(lane.network());
    } else {
      metrics.transactionSent(lane.network(), kind);
    }
    return r;
  }

  /** A nonce nobody uses below the highest in flight: a zero-value self-transfer closes the gap. */
  void fillGap(NetworkLane lane, SignerAccount signer, long nonce) {
    boolean sent = false;
    try {
      int round = fillerRounds.merge(signer.index() + ":" + nonce, 1, Integer::sum);
      Fees fees = feePolicy.fees(lane.feeMarket());
      for (int i = 1; i < round; i++) {
        fees = feePolicy.bumped(fees, options.feeBumpPercent(), lane.feeMarket()).orElse(fees);
      }
      TxAttempt a =
          sign(lane, signer, nonce, signer.address(), "0x", BigInteger.ZERO, FILLER_GAS, fees);
      SendResult s = send(lane, a, "filler");
      sent =
          s.inPool()
              || s.kind() == SendResult.Kind.NONCE_TOO_LOW
              || s.kind() == SendResult.Kind.UNKNOWN;
      log.warn(
          "network={} signer {} account nonce {} unused: filler tx={} {}",
          lane.network(),
          signer.index(),
          nonce,
          a.txHash(),
          s.kind());
    } finally {
      signer.nonces().fillerDone(nonce, sent);
      if (fillerRounds.size() > 1024) {
        fillerRounds.clear();
      }
    }
  }
}
