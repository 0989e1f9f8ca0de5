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
    return builder().build();
  }

  /** A builder holding the defaults ({@link #defaults()}); set only what differs. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.receiptWait = receiptWait;
    b.pollInterval = pollInterval;
    b.replaceAfter = replaceAfter;
    b.maxReplacements = maxReplacements;
    b.feeBumpPercent = feeBumpPercent;
    b.rebroadcastInterval = rebroadcastInterval;
    b.gapFillAfter = gapFillAfter;
    b.rpcTimeout = rpcTimeout;
    b.bodyLimitBytes = bodyLimitBytes;
    b.workerThreads = workerThreads;
    b.shutdownGrace = shutdownGrace;
    b.eip6492AllowedFactories = eip6492AllowedFactories;
    b.limits = limits;
    b.verifyBatchWindow = verifyBatchWindow;
    return b;
  }

  public FacilitatorOptions withReceiptWait(Duration d) {
    return toBuilder().receiptWait(d).build();
  }

  public FacilitatorOptions withPollInterval(Duration d) {
    return toBuilder().pollInterval(d).build();
  }

  public FacilitatorOptions withReplaceAfter(Duration d) {
    return toBuilder().replaceAfter(d).build();
  }

  public FacilitatorOptions withRebroadcastInterval(Duration d) {
    return toBuilder().rebroadcastInterval(d).build();
  }

  public FacilitatorOptions withGapFillAfter(Duration d) {
    return toBuilder().gapFillAfter(d).build();
  }

  public FacilitatorOptions withRpcTimeout(Duration d) {
    return toBuilder().rpcTimeout(d).build();
  }

  public FacilitatorOptions withBodyLimitBytes(int n) {
    return toBuilder().bodyLimitBytes(n).build();
  }

  public FacilitatorOptions withWorkerThreads(int n) {
    return toBuilder().workerThreads(n).build();
  }

  public FacilitatorOptions withShutdownGrace(Duration d) {
    return toBuilder().shutdownGrace(d).build();
  }

  public FacilitatorOptions withLimits(SettleLimits l) {
    return toBuilder().limits(l).build();
  }

  public FacilitatorOptions withVerifyBatchWindow(Duration d) {
    return toBuilder().verifyBatchWindow(d).build();
  }

  /**
   * Builds a {@link FacilitatorOptions}; starts from the defaults, validation runs in {@link
   * #build()}.
   */
  public static final class Builder {
    private Duration receiptWait = Duration.ofSeconds(20);
    private Duration pollInterval = Duration.ofMillis(250);
    private Duration replaceAfter = Duration.ofSeconds(30);
    private int maxReplacements = 5;
    private int feeBumpPercent = 25;
    private Duration rebroadcastInterval = Duration.ofSeconds(4);
    private Duration gapFillAfter = Duration.ofSeconds(20);
    private Duration rpcTimeout = Duration.ofSeconds(10);
    private int bodyLimitBytes = 64 * 1024;
    private int workerThreads = 32;
    private Duration shutdownGrace = Duration.ofSeconds(15);
    private List<String> eip6492AllowedFactories = List.of();
    private SettleLimits limits = SettleLimits.defaults();
    private Duration verifyBatchWindow = Duration.ZERO;

    private Builder() {}

    public Builder receiptWait(Duration receiptWait) {
      this.receiptWait = receiptWait;
      return this;
    }

    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    public Builder replaceAfter(Duration replaceAfter) {
      this.replaceAfter = replaceAfter;
      return this;
    }

    public Builder maxReplacements(int maxReplacements) {
      this.maxReplacements = maxReplacements;
      return this;
    }

    public Builder feeBumpPercent(int feeBumpPercent) {
      this.feeBumpPercent = feeBumpPercent;
      return this;
    }

    public Builder rebroadcastInterval(Duration rebroadcastInterval) {
      this.rebroadcastInterval = rebroadcastInterval;
      return this;
    }

    public Builder gapFillAfter(Duration gapFillAfter) {
      this.gapFillAfter = gapFillAfter;
      return this;
    }

    public Builder rpcTimeout(Duration rpcTimeout) {
      this.rpcTimeout = rpcTimeout;
      return this;
    }

    public Builder bodyLimitBytes(int bodyLimitBytes) {
      this.bodyLimitBytes = bodyLimitBytes;
      return this;
    }

    public Builder workerThreads(int workerThreads) {
      this.workerThreads = workerThreads;
      return this;
    }

    public Builder shutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = shutdownGrace;
      return this;
    }

    public Builder eip6492AllowedFactories(List<String> eip6492AllowedFactories) {
      this.eip6492AllowedFactories = eip6492AllowedFactories;
      return this;
    }

    public Builder limits(SettleLimits limits) {
      this.limits = limits;
      return this;
    }

    public Builder verifyBatchWindow(Duration verifyBatchWindow) {
      this.verifyBatchWindow = verifyBatchWindow;
      return this;
    }

    public FacilitatorOptions build() {
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
          verifyBatchWindow);
    }
  }
}
