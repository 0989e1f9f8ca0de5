package io.attest402.facilitator.settle;

import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.x402.evm.ExactEvmVerifier;
import java.math.BigInteger;
import java.time.Clock;
import java.util.Objects;

/**
 * Everything the facilitator holds for one chain: its configuration, the bounded chain client, the official
 * verifier over the same node, the facilitator account's nonces, and cached fees and balance.
 */
public final class NetworkLane {
  private static final long FEES_TTL_MS = 1_000;

  private final NetworkConfig config;
  private final SettlementChain chain;
  private final ExactEvmVerifier verifier;
  private final NonceManager nonces;
  private final Clock clock;
  private Fees fees;
  private long feesAt;
  private volatile BigInteger balance;
  private volatile long balanceAt;
  private volatile boolean rpcUp = true;
  private volatile String rpcError = "";

  public NetworkLane(NetworkConfig config, SettlementChain chain, ExactEvmVerifier verifier, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.chain = Objects.requireNonNull(chain, "chain");
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

  public ExactEvmVerifier verifier() {
    return verifier;
  }

  public NonceManager nonces() {
    return nonces;
  }

  /** Current fees, fetched at most once a second. */
  public synchronized Fees fees() {
    long now = clock.millis();
    if (fees == null || now - feesAt >= FEES_TTL_MS) {
      fees = chain.fees();
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
