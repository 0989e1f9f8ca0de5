package io.attest402.facilitator;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Every bound the facilitator keeps. Defaults suit a public L2; tests shorten them.
 *
 * @param receiptWait how long one {@code /settle} call waits for the receipt before answering
 *     {@code settlement_pending} with the hash (the settlement keeps being reconciled)
 * @param pollInterval how often the reconciler looks for receipts of in-flight transactions
 * @param replaceAfter how long a transaction may sit unmined before it is replaced with bumped fees
 * @param maxReplacements fee bumps per settlement before it is left to mine at the last fee
 * @param feeBumpPercent fee increase per replacement (nodes require at least 10%)
 * @param rebroadcastInterval how often an unmined transaction is sent again (a node may have
 *     dropped it)
 * @param gapFillAfter how long a facilitator-account nonce may stay unused below the highest one in
 *     flight before a zero-value self-transfer fills it
 * @param rpcTimeout bound of one JSON-RPC call (connect, read, whole call)
 * @param bodyLimitBytes request body limit of POST /verify and /settle
 * @param workerThreads threads for blocking chain work of HTTP requests
 * @param shutdownGrace how long graceful shutdown waits for in-flight requests and settlements
 * @param eip6492AllowedFactories ERC-6492 factories accepted for counterfactual payers (default
 *     none, as upstream)
 * @param limits what one settlement may cost and who may make the facilitator pay for how many
 *     (gas, fees, rates)
 * @param verifyBatchWindow how long concurrent verifications' eth_calls wait to share one batched
 *     eth_call ({@code BatchingChainAccess}); zero (the default): every call on its own
 */
public record FacilitatorOptions(
    Duration receiptWait,
    Duration pollInterval,
    Duration replaceAfter,
    int maxReplacements,
    int feeBumpPercent,
    Duration rebroadcastInterval,
    Duration gapFillAfter,
    Duration rpcTimeout,
    int bodyLimitBytes,
    int workerThreads,
    Duration shutdownGrace,
    List<String> eip6492AllowedFactories,
    SettleLimits limits,
    Duration verifyBatchWindow) {

  public FacilitatorOptions {
    Objects.requireNonNull(receiptWait, "receiptWait");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(replaceAfter, "replaceAfter");
    Objects.requireNonNull(rebroadcastInterval, "rebroadcastInterval");
    Objects.requireNonNull(gapFillAfter, "gapFillAfter");
    Objects.requireNonNull(rpcTimeout, "rpcTimeout");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (feeBumpPercent < 10) {
      throw new IllegalArgumentException(
          "feeBumpPercent must be at least 10 (nodes refuse smaller replacements)");
    }
    if (workerThreads < 1 || bodyLimitBytes < 1024 || maxReplacements < 0) {
      throw new IllegalArgumentException(
          "workerThreads >= 1, bodyLimitBytes >= 1024, maxReplacements >= 0");
    }
    eip6492AllowedFactories = List.copyOf(eip6492AllowedFactories);
    Objects.requireNonNull(limits, "limits");
    if (verifyBatchWindow.isNegative()) {
      throw new IllegalArgumentException("verifyBatchWindow must not be negative");
    }
  }

  public static FacilitatorOptions defaults() {
    return new FacilitatorOptions(
        Duration.ofSeconds(20),
        Duration.ofMillis(250),
        Duration.ofSeconds(30),
        5,
        25,
        Duration.ofSeconds(4),
        Duration.ofSeconds(20),
        Duration.ofSeconds(10),
        64 * 1024,
        32,
        Duration.ofSeconds(15),
        List.of(),
        SettleLimits.defaults(),
        Duration.ZERO);
  }

  public FacilitatorOptions withReceiptWait(Duration d) {
    return new FacilitatorOptions(
        d,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withPollInterval(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        d,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withReplaceAfter(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        d,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withRebroadcastInterval(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        d,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withGapFillAfter(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        d,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withRpcTimeout(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        d,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withBodyLimitBytes(int n) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        n,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withWorkerThreads(int n) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        n,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withShutdownGrace(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        d,
        eip6492AllowedFactories,
        limits,
        verifyBatchWindow);
  }

  public FacilitatorOptions withLimits(SettleLimits l) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        l,
        verifyBatchWindow);
  }

  public FacilitatorOptions withVerifyBatchWindow(Duration d) {
    return new FacilitatorOptions(
        receiptWait,
        pollInterval,
        replaceAfter,
        maxReplacements,
        feeBumpPercent,
        rebroadcastInterval,
        gapFillAfter,
        rpcTimeout,
        bodyLimitBytes,
        workerThreads,
        shutdownGrace,
        eip6492AllowedFactories,
        limits,
        d);
  }
}
