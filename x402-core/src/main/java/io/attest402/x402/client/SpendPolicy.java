package io.attest402.x402.client;

import io.attest402.x402.evm.Networks;
import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the paying client may spend: a cap per request and per session (in the asset's base units, counted per
 * asset), and optional allow-lists of networks, assets and payees (addresses compared case-insensitively). Only
 * exact offers on {@code eip155} networks with an EIP-712 domain in {@code extra} can be signed. Thread-safe; the
 * session total is kept in this object.
 */
public final class SpendPolicy {
  private final BigInteger maxPerRequest;
  private final BigInteger maxPerSession;
  private final Set<String> networks;
  private final Set<String> assets;
  private final Set<String> payees;
  private final Map<String, BigInteger> spent = new HashMap<>();

  private SpendPolicy(Builder b) {
    this.maxPerRequest = b.maxPerRequest;
    this.maxPerSession = b.maxPerSession;
    this.networks = b.networks == null ? null : Set.copyOf(b.networks);
    this.assets = b.assets == null ? null : lower(b.assets);
    this.payees = b.payees == null ? null : lower(b.payees);
  }

  private static Set<String> lower(Set<String> s) {
    return s.stream().map(x -> x.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Settings; unset allow-lists allow anything, unset caps are unlimited. */
  public static final class Builder {
    private BigInteger maxPerRequest;
    private BigInteger maxPerSession;
    private Set<String> networks;
    private Set<String> assets;
    private Set<String> payees;

    public Builder maxPerRequest(BigInteger max) {
      this.maxPerRequest = max;
      return this;
    }

    public Builder maxPerRequest(long max) {
      return maxPerRequest(BigInteger.valueOf(max));
    }

    public Builder maxPerSession(BigInteger max) {
      this.maxPerSession = max;
      return this;
    }

    public Builder maxPerSession(long max) {
      return maxPerSession(BigInteger.valueOf(max));
    }

    public Builder allowNetworks(String... n) {
      this.networks = Set.of(n);
      return this;
    }

    public Builder allowAssets(String... a) {
      this.assets = Set.of(a);
      return this;
    }

    public Builder allowPayees(String... p) {
      this.payees = Set.of(p);
      return this;
    }

    public SpendPolicy build() {
      return new SpendPolicy(this);
    }
  }

  /** Why an offer is not allowed (empty: allowed now, given what this session has spent). */
  public synchronized List<String> check(PaymentRequirements r, int x402Version) {
    List<String> reasons = new ArrayList<>();
    if (!"exact".equals(r.scheme())) {
      reasons.add("scheme " + r.scheme() + " is not supported (only exact)");
    }
    boolean evm = x402Version == 1 ? Networks.V1_CHAIN_IDS.containsKey(r.network())
        : Networks.chainIdIfEvm(r.network()).isPresent();
    if (!evm) {
      reasons.add("network " + r.network() + " is not an EVM network this client can sign for");
    }
    if (r.extraString("name") == null || r.extraString("version") == null) {
      reasons.add("offer lacks the token's EIP-712 domain (extra.name, extra.version)");
    }
    if (networks != null && !networks.contains(r.network())) {
      reasons.add("network " + r.network() + " is not allowed");
    }
    if (assets != null && !assets.contains(r.asset().toLowerCase(Locale.ROOT))) {
      reasons.add("asset " + r.asset() + " is not allowed");
    }
    if (payees != null && !payees.contains(r.payTo().toLowerCase(Locale.ROOT))) {
      reasons.add("payee " + r.payTo() + " is not allowed");
    }
    if (maxPerRequest != null && r.amount().compareTo(maxPerRequest) > 0) {
      reasons.add("amount " + r.amount() + " exceeds the per-request cap " + maxPerRequest);
    }
    if (maxPerSession != null) {
      BigInteger after = spentOn(r.asset()).add(r.amount());
      if (after.compareTo(maxPerSession) > 0) {
        reasons.add("amount " + r.amount() + " would bring this session's spending on " + r.asset() + " to " + after
            + ", over the cap " + maxPerSession);
      }
    }
    return reasons;
  }

  /** Counts an amount against the session (before signing); false if it no longer fits. */
  public synchronized boolean reserve(PaymentRequirements r, int x402Version) {
    if (!check(r, x402Version).isEmpty()) {
      return false;
    }
    spent.merge(r.asset().toLowerCase(Locale.ROOT), r.amount(), BigInteger::add);
    return true;
  }

  /** Gives back a reservation whose payment was not taken. */
  public synchronized void release(PaymentRequirements r) {
    spent.computeIfPresent(r.asset().toLowerCase(Locale.ROOT), (k, v) -> v.subtract(r.amount()).max(BigInteger.ZERO));
  }

  /** What this session has spent (or reserved) on an asset. */
  public synchronized BigInteger spentOn(String asset) {
    return spent.getOrDefault(asset.toLowerCase(Locale.ROOT), BigInteger.ZERO);
  }
}
