package io.attest402.facilitator.settle;

import io.attest402.facilitator.chain.FeeMarket;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.x402.evm.ExactEvmVerifier;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * Everything the facilitator holds for one chain: its configuration, the bounded chain client, the
 * official verifier over the same node, the further nodes that must confirm receipts, the
 * facilitator account's nonces, and cached fees and balance.
 */
public final class NetworkLane {
  private static final long FEES_TTL_MS = 1_000;

  private final NetworkConfig config;
  private final SettlementChain chain;
  private final List<SettlementChain> witnesses;
  private final ExactEvmVerifier verifier;
  private final NonceManager nonces;
  private final Clock clock;
  private FeeMarket fees;
  private long feesAt;
  private volatile boolean chainIdChecked;
  private volatile BigInteger balance;
  private volatile long balanceAt;
  private volatile boolean rpcUp = true;
  private volatile String rpcError = "";

  public NetworkLane(
      NetworkConfig config, SettlementChain chain, ExactEvmVerifier verifier, Clock clock) {
    this(config, chain, List.of(), verifier, clock);
  }

  /**
   * @param witnesses the network's further nodes ({@link NetworkConfig#rpcUrls()}), asked to
   *     confirm receipts
   */
  public NetworkLane(
      NetworkConfig config,
      SettlementChain chain,
      List<SettlementChain> witnesses,
      ExactEvmVerifier verifier,
      Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.chain = Objects.requireNonNull(chain, "chain");
    this.witnesses = List.copyOf(witnesses);
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.clock = clock;
    this.nonces = new NonceManager(clock);
  }

  public NetworkConfig config() {
    return config;
  }

  public String network() {
    return config.network();
  }

  public SettlementChain chain() {
    return chain;
  }

  /** The nodes besides {@link #chain()}; every one of them reports receipts independently. */
  public List<SettlementChain> witnesses() {
    return witnesses;
  }

  /** How many nodes (of {@code 1 + witnesses().size()}) must agree on a receipt. */
  public int receiptQuorum() {
    return (1 + witnesses.size()) / 2 + 1;
  }

  public boolean chainIdChecked() {
    return chainIdChecked;
  }

  public void chainIdChecked(boolean v) {
    this.chainIdChecked = v;
  }

  public ExactEvmVerifier verifier() {
    return verifier;
  }

  public NonceManager nonces() {
    return nonces;
  }

  /**
   * The node's fee market, fetched at most once a second (callers cap it with {@link FeePolicy}).
   */
  public synchronized FeeMarket feeMarket() {
    long now = clock.millis();
    if (fees == null || now - feesAt >= FEES_TTL_MS) {
      fees = chain.feeMarket();
      feesAt = now;
    }
    return fees;
  }

  /** The facilitator account's balance as last seen (null before the first look). */
  public BigInteger balance() {
    return balance;
  }

  public long balanceAgeMs() {
    return balance == null ? Long.MAX_VALUE : clock.millis() - balanceAt;
  }

  public void balance(BigInteger wei) {
    this.balance = wei;
    this.balanceAt = clock.millis();
  }

  public boolean rpcUp() {
    return rpcUp;
  }

  public String rpcError() {
    return rpcError;
  }

  public void rpcUp(boolean up, String error) {
    this.rpcUp = up;
    this.rpcError = error == null ? "" : error;
  }
}
