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
 * What the paying client may spend: a cap per request and per session, counted per asset, either in
 * base units for every asset ({@link Builder#maxPerRequest(BigInteger)}) or in token units for a
 * declared token ({@link Builder#token}, then {@code maxPerRequest("0.01 USDC")}; once any token
 * cap is stated, an asset without a cap of its own is refused); a cap on the offer's {@code
 * maxTimeoutSeconds} (how long a signed authorization stays spendable); and optional allow-lists of
 * schemes, networks, assets and payees (addresses compared case-insensitively). Only exact offers
 * on {@code eip155} networks with an EIP-712 domain in {@code extra} can be signed. Thread-safe;
 * the session total is kept in this object.
 */
public final class SpendPolicy {
  private final BigInteger maxPerRequest;
  private final BigInteger maxPerSession;
  private final Set<String> schemes;
  private final Set<String> networks;
  private final Set<String> assets;
  private final Set<String> payees;
  private final Integer maxTimeoutSeconds;

  /** Declared tokens by lower-case address. */
  private final Map<String, Token> tokens;

  /** Token caps in base units by lower-case asset address. */
  private final Map<String, BigInteger> tokenPerRequest;

  private final Map<String, BigInteger> tokenPerSession;
  private final Map<String, BigInteger> spent = new HashMap<>();

  /** A token caps may be stated in: its address, symbol and decimals. */
  public record Token(String address, String symbol, int decimals) {
    public Token {
      if (address == null || symbol == null || symbol.isBlank()) {
        throw new IllegalArgumentException("a token needs an address and a symbol");
      }
      TokenAmount.format(BigInteger.ZERO, decimals);
    }
  }

  private SpendPolicy(Builder b) {
    this.maxPerRequest = b.maxPerRequest;
    this.maxPerSession = b.maxPerSession;
    this.maxTimeoutSeconds = b.maxTimeoutSeconds;
    Map<String, Token> byAddress = new HashMap<>();
    Map<String, Token> bySymbol = new HashMap<>();
    for (Token t : b.tokens) {
      byAddress.put(t.address().toLowerCase(Locale.ROOT), t);
      if (bySymbol.put(t.symbol().toLowerCase(Locale.ROOT), t) != null) {
        throw new IllegalArgumentException("token symbol " + t.symbol() + " is declared twice");
      }
    }
    this.tokens = Map.copyOf(byAddress);
    this.tokenPerRequest = resolve(b.tokenPerRequest, bySymbol, "per-request");
    this.tokenPerSession = resolve(b.tokenPerSession, bySymbol, "per-session");
    this.schemes = b.schemes == null ? null : Set.copyOf(b.schemes);
    this.networks = b.networks == null ? null : Set.copyOf(b.networks);
    this.assets = b.assets == null ? null : lower(b.assets);
    this.payees = b.payees == null ? null : lower(b.payees);
  }

  private static Map<String, BigInteger> resolve(
      List<String> caps, Map<String, Token> bySymbol, String what) {
    Map<String, BigInteger> out = new HashMap<>();
    for (String cap : caps) {
      String[] parts = cap == null ? new String[0] : cap.trim().split("\\s+");
      if (parts.length != 2) {
        throw new IllegalArgumentException(
            what
                + " cap \""
                + cap
                + "\" must be an amount and a token symbol,"
                + " e.g. \"0.01 USDC\"");
      }
      Token t = bySymbol.get(parts[1].toLowerCase(Locale.ROOT));
      if (t == null) {
        throw new IllegalArgumentException(
            what
                + " cap \""
                + cap
                + "\": unknown token "
                + parts[1]
                + (bySymbol.isEmpty()
                    ? " (no token is declared)"
                    : " (declared: "
                        + bySymbol.values().stream()
                            .map(Token::symbol)
                            .sorted()
                            .collect(Collectors.joining(", "))
                        + ")"));
      }
      try {
        out.put(
            t.address().toLowerCase(Locale.ROOT), TokenAmount.toBaseUnits(parts[0], t.decimals()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            what
                + " cap \""
                + cap
                + "\": "
                + e.getMessage().replace("the token has", t.symbol() + " has"),
            e);
      }
    }
    return Map.copyOf(out);
  }

  /**
   * An amount of {@code asset} for messages: base units, and token units when the token is
   * declared.
   */
  private String describe(BigInteger amount, String asset) {
    Token t = tokens.get(asset.toLowerCase(Locale.ROOT));
    return t == null
        ? amount.toString()
        : amount + " (" + TokenAmount.format(amount, t.decimals()) + " " + t.symbol() + ")";
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
    private Set<String> schemes;
    private Set<String> networks;
    private Set<String> assets;
    private Set<String> payees;
    private Integer maxTimeoutSeconds;
    private final List<Token> tokens = new ArrayList<>();
    private final List<String> tokenPerRequest = new ArrayList<>();
    private final List<String> tokenPerSession = new ArrayList<>();

    /**
     * Declares a token so that caps can be stated in its units ({@code token(usdc, "USDC", 6)}).
     */
    public Builder token(String address, String symbol, int decimals) {
      tokens.add(new Token(address, symbol, decimals));
      return this;
    }

    /**
     * A per-request cap in token units of a declared token, e.g. {@code "0.01 USDC"} (checked at
     * {@link #build}).
     */
    public Builder maxPerRequest(String amountAndSymbol) {
      tokenPerRequest.add(amountAndSymbol);
      return this;
    }

    /**
     * A per-session cap in token units of a declared token, e.g. {@code "5 USDC"} (checked at
     * {@link #build}).
     */
    public Builder maxPerSession(String amountAndSymbol) {
      tokenPerSession.add(amountAndSymbol);
      return this;
    }

    /**
     * The longest {@code maxTimeoutSeconds} accepted (the signed authorization is spendable that
     * long).
     */
    public Builder maxTimeoutSeconds(int seconds) {
      if (seconds <= 0) {
        throw new IllegalArgumentException(
            "maxTimeoutSeconds cap must be positive, not " + seconds);
      }
      this.maxTimeoutSeconds = seconds;
      return this;
    }

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

    /**
     * Only offers of these schemes ({@code exact}, {@code upto}), e.g. to pay an {@code upto} offer
     * a server lists after its {@code exact} one.
     */
    public Builder allowSchemes(String... s) {
      this.schemes = Set.of(s);
      return this;
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
    // upto is judged (and reserved) at its maximum: the most the payee can charge
    if (!"exact".equals(r.scheme()) && !("upto".equals(r.scheme()) && x402Version == 2)) {
      reasons.add("scheme " + r.scheme() + " is not supported (only exact, and upto in v2)");
    }
    if (schemes != null && !schemes.contains(r.scheme())) {
      reasons.add("scheme " + r.scheme() + " is not allowed");
    }
    if ("upto".equals(r.scheme()) && r.extraString("facilitatorAddress") == null) {
      reasons.add("upto offer lacks extra.facilitatorAddress (the facilitator to bind to)");
    }
    boolean evm =
        x402Version == 1
            ? Networks.V1_CHAIN_IDS.containsKey(r.network())
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
    if (maxTimeoutSeconds != null && r.maxTimeoutSeconds() > maxTimeoutSeconds) {
      reasons.add(
          "maxTimeoutSeconds "
              + r.maxTimeoutSeconds()
              + " exceeds the cap "
              + maxTimeoutSeconds
              + " (a signed authorization would stay spendable that long)");
    }
    String asset = r.asset().toLowerCase(Locale.ROOT);
    boolean tokenCaps = !tokenPerRequest.isEmpty() || !tokenPerSession.isEmpty();
    if (tokenCaps
        && !tokenPerRequest.containsKey(asset)
        && !tokenPerSession.containsKey(asset)
        && maxPerRequest == null
        && maxPerSession == null) {
      reasons.add("no spending cap is stated for asset " + r.asset());
    }
    checkCap(reasons, r, maxPerRequest, maxPerSession);
    checkCap(reasons, r, tokenPerRequest.get(asset), tokenPerSession.get(asset));
    return reasons;
  }

  private void checkCap(
      List<String> reasons, PaymentRequirements r, BigInteger perRequest, BigInteger perSession) {
    if (perRequest != null && r.amount().compareTo(perRequest) > 0) {
      reasons.add(
          "amount "
              + describe(r.amount(), r.asset())
              + " exceeds the per-request cap "
              + describe(perRequest, r.asset()));
    }
    if (perSession != null) {
      BigInteger after = spentOn(r.asset()).add(r.amount());
      if (after.compareTo(perSession) > 0) {
        reasons.add(
            "amount "
                + describe(r.amount(), r.asset())
                + " would bring this session's spending on "
                + r.asset()
                + " to "
                + describe(after, r.asset())
                + ", over the cap "
                + describe(perSession, r.asset()));
      }
    }
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
    spent.computeIfPresent(
        r.asset().toLowerCase(Locale.ROOT), (k, v) -> v.subtract(r.amount()).max(BigInteger.ZERO));
  }

  /**
   * Settles a reservation made at {@code r.amount()} (for {@code upto}, the signed maximum) with
   * what the server says it charged ({@code SettleResponse.amount}): the session keeps only {@code
   * charged} and gets the rest of the reservation back. A charge above the reservation is a lying
   * or broken server (the signed authorization cannot move more): the whole reservation stays
   * counted and an {@link IllegalArgumentException} says so; so does a negative charge. A {@code
   * null} charge (a server that does not say) keeps the whole reservation.
   *
   * @return what this payment now counts for
   */
  public synchronized BigInteger settle(PaymentRequirements r, BigInteger charged) {
    if (charged == null) {
      return r.amount();
    }
    if (charged.signum() < 0) {
      throw new IllegalArgumentException(
          "server reports a negative charge " + charged + "; the reservation stays counted");
    }
    if (charged.compareTo(r.amount()) > 0) {
      throw new IllegalArgumentException(
          "server reports charging "
              + describe(charged, r.asset())
              + ", above the signed maximum "
              + describe(r.amount(), r.asset())
              + "; the whole maximum stays counted");
    }
    BigInteger refund = r.amount().subtract(charged);
    spent.computeIfPresent(
        r.asset().toLowerCase(Locale.ROOT), (k, v) -> v.subtract(refund).max(BigInteger.ZERO));
    return charged;
  }

  /** What this session has spent (or reserved) on an asset. */
  public synchronized BigInteger spentOn(String asset) {
    return spent.getOrDefault(asset.toLowerCase(Locale.ROOT), BigInteger.ZERO);
  }
}
