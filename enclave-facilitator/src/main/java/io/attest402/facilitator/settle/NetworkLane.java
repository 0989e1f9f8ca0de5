package io.attest402.facilitator.settle;

import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.chain.FeeMarket;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.x402.evm.ExactEvmVerifier;
import java.math.BigInteger;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the facilitator holds for one chain: its configuration, the bounded chain client, the
 * official verifier over the same node, the further nodes that must confirm receipts, one {@link
 * SignerAccount} per attested signer (each with its own nonces and balance), and cached fees.
 */
public final class NetworkLane {
  private static final long FEES_TTL_MS = 1_000;

  private final NetworkConfig config;
  private final SettlementChain chain;
  private final List<SettlementChain> witnesses;
  private final ExactEvmVerifier verifier;
  private final List<SignerAccount> signers;
  private final Clock clock;
  private FeeMarket fees;
  private long feesAt;
  private volatile boolean chainIdChecked;
  private volatile boolean rpcUp = true;
  private volatile String rpcError = "";

  /**
   * @param witnesses the network's further nodes ({@link NetworkConfig#rpcUrls()}), asked to
   *     confirm receipts
   * @param signerKeys the attested signers in order, the first being the identity key
   */
  public NetworkLane(
      NetworkConfig config,
      SettlementChain chain,
      List<SettlementChain> witnesses,
      ExactEvmVerifier verifier,
      List<EnclaveKey> signerKeys,
      Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.chain = Objects.requireNonNull(chain, "chain");
    this.witnesses = List.copyOf(witnesses);
    this.verifier = Objects.requireNonNull(verifier, "verifier");
    this.clock = clock;
    if (signerKeys.isEmpty()) {
      throw new IllegalArgumentException("a lane needs at least one signer");
    }
    List<SignerAccount> s = new ArrayList<>();
    for (int i = 0; i < signerKeys.size(); i++) {
      s.add(new SignerAccount(i + 1, signerKeys.get(i), clock));
    }
    this.signers = List.copyOf(s);
  }

  /** Every signer's account on this chain, in attested order. */
  public List<SignerAccount> signers() {
    return signers;
  }

  /** The signer account for {@code address} (any case), if it is one of ours. */
  public Optional<SignerAccount> signer(String address) {
    if (address == null) {
      return Optional.empty();
    }
    String a = address.toLowerCase(Locale.ROOT);
    return signers.stream().filter(x -> x.address().toLowerCase(Locale.ROOT).equals(a)).findFirst();
  }

  /**
   * The signer for a new settlement: the least loaded of those not known to be out of gas (the
   * least loaded of all when every one is), the lowest index on a tie; counted as preparing until
   * {@link #donePreparing}.
   */
  public synchronized SignerAccount pickSigner() {
    SignerAccount best = null;
    for (boolean skipEmpty : new boolean[] {true, false}) {
      for (SignerAccount s : signers) {
        if (skipEmpty && s.knownEmpty()) {
          continue;
        }
        if (best == null || s.load() < best.load()) {
          best = s;
        }
      }
      if (best != null) {
        break;
      }
    }
    best.preparing(1);
    return best;
  }

  /** The settlement picked on {@code s} is journaled with its transaction, or abandoned. */
  public void donePreparing(SignerAccount s) {
    s.preparing(-1);
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

  /** Signer 1's nonces (the identity account, which also sends the receipt anchors). */
  public NonceManager nonces() {
    return signers.get(0).nonces();
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

  /** Signer 1's balance as last seen (null before the first look). */
  public BigInteger balance() {
    return signers.get(0).balance();
  }

  /** Whether every signer's nonces are initialised. */
  public boolean noncesInitialised() {
    return signers.stream().allMatch(s -> s.nonces().initialised());
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
