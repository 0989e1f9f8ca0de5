package io.attest402.facilitator;

import java.math.BigInteger;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What one settlement may cost the facilitator's account, and how many settlements anyone can make
 * it pay for. The facilitator pays gas for every payment it settles, so each bound here closes a
 * way to drain it.
 *
 * @param maxGasPerSettlement hard gas cap of one settlement: verify's simulation and ERC-1271 calls
 *     run with it as their gas limit, and nothing is signed with a higher limit (EIP-3009 on
 *     USDC-like tokens needs 60–90k; a smart wallet's ERC-1271 check adds its own)
 * @param minAmount smallest amount (token base units) settled for an asset without its own {@code
 *     minAmount}
 * @param maxFeePerGas cap of {@code maxFeePerGas} (EIP-1559) and of the legacy gas price, wei
 * @param maxPriorityFeePerGas cap of the priority fee (tip), wei
 * @param maxTipPerBaseFee the tip is also at most this many times the base fee (0: no such bound)
 * @param settlesPerPayerPerMinute new settlements per payer and minute (0: unbounded)
 * @param settlesPerPayToPerMinute new settlements per payTo and minute (0: unbounded)
 * @param gasBudgetPerHour gas the facilitator spends per network and hour at most, counted at the
 *     signed gas limit (0: unbounded)
 * @param allowedPayTo when not empty, the only payTo addresses served (lower case)
 * @param logPayments log payer, payTo and amount of each settlement (off: a settlement id only)
 * @param apiKeys when enabled, the keys (hashed) that may call {@code /verify} and {@code /settle}
 */
public record SettleLimits(
    long maxGasPerSettlement,
    BigInteger minAmount,
    BigInteger maxFeePerGas,
    BigInteger maxPriorityFeePerGas,
    int maxTipPerBaseFee,
    int settlesPerPayerPerMinute,
    int settlesPerPayToPerMinute,
    long gasBudgetPerHour,
    Set<String> allowedPayTo,
    boolean logPayments,
    ApiKeys apiKeys) {

  private static final BigInteger GWEI = BigInteger.TEN.pow(9);

  public SettleLimits {
    Objects.requireNonNull(minAmount, "minAmount");
    Objects.requireNonNull(apiKeys, "apiKeys");
    Objects.requireNonNull(maxFeePerGas, "maxFeePerGas");
    Objects.requireNonNull(maxPriorityFeePerGas, "maxPriorityFeePerGas");
    if (maxGasPerSettlement < 50_000) {
      throw new IllegalArgumentException(
          "the gas cap per settlement must be at least 50000 (an EIP-3009 transfer "
              + "needs about 60000), not "
              + maxGasPerSettlement);
    }
    if (minAmount.signum() <= 0) {
      throw new IllegalArgumentException(
          "the minimum amount must be at least 1 base unit, not " + minAmount);
    }
    if (maxFeePerGas.signum() <= 0
        || maxPriorityFeePerGas.signum() < 0
        || maxPriorityFeePerGas.compareTo(maxFeePerGas) > 0) {
      throw new IllegalArgumentException(
          "fee caps: 0 <= max priority fee <= max fee per gas, max fee > 0");
    }
    if (maxTipPerBaseFee < 0
        || settlesPerPayerPerMinute < 0
        || settlesPerPayToPerMinute < 0
        || gasBudgetPerHour < 0) {
      throw new IllegalArgumentException(
          "rate limits, gas budget and tip ratio must not be negative");
    }
    allowedPayTo =
        allowedPayTo.stream()
            .map(a -> a.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * 200k gas per settlement, 1 base unit minimum, fees at most 500 gwei with a tip of at most 10
   * gwei and 10 × the base fee, 60 new settlements per payer and 600 per payTo per minute, 100M gas
   * per hour, any payTo, no payment details in logs.
   */
  public static SettleLimits defaults() {
    return builder().build();
  }

  /** A builder holding the defaults ({@link #defaults()}); set only what differs. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxGasPerSettlement = maxGasPerSettlement;
    b.minAmount = minAmount;
    b.maxFeePerGas = maxFeePerGas;
    b.maxPriorityFeePerGas = maxPriorityFeePerGas;
    b.maxTipPerBaseFee = maxTipPerBaseFee;
    b.settlesPerPayerPerMinute = settlesPerPayerPerMinute;
    b.settlesPerPayToPerMinute = settlesPerPayToPerMinute;
    b.gasBudgetPerHour = gasBudgetPerHour;
    b.allowedPayTo = allowedPayTo;
    b.logPayments = logPayments;
    b.apiKeys = apiKeys;
    return b;
  }

  public SettleLimits withMaxGasPerSettlement(long gas) {
    return toBuilder().maxGasPerSettlement(gas).build();
  }

  public SettleLimits withMinAmount(BigInteger min) {
    return toBuilder().minAmount(min).build();
  }

  public SettleLimits withFeeCaps(BigInteger maxFee, BigInteger maxTip, int tipPerBaseFee) {
    return toBuilder()
        .maxFeePerGas(maxFee)
        .maxPriorityFeePerGas(maxTip)
        .maxTipPerBaseFee(tipPerBaseFee)
        .build();
  }

  public SettleLimits withRates(int perPayerPerMinute, int perPayToPerMinute, long gasPerHour) {
    return toBuilder()
        .settlesPerPayerPerMinute(perPayerPerMinute)
        .settlesPerPayToPerMinute(perPayToPerMinute)
        .gasBudgetPerHour(gasPerHour)
        .build();
  }

  public SettleLimits withAllowedPayTo(Set<String> payTo) {
    return toBuilder().allowedPayTo(payTo).build();
  }

  public SettleLimits withLogPayments(boolean log) {
    return toBuilder().logPayments(log).build();
  }

  public SettleLimits withApiKeys(ApiKeys keys) {
    return toBuilder().apiKeys(keys).build();
  }

  /**
   * Builds a {@link SettleLimits}; starts from the defaults, validation runs in {@link #build()}.
   */
  public static final class Builder {
    private long maxGasPerSettlement = 200_000;
    private BigInteger minAmount = BigInteger.ONE;
    private BigInteger maxFeePerGas = GWEI.multiply(BigInteger.valueOf(500));
    private BigInteger maxPriorityFeePerGas = GWEI.multiply(BigInteger.TEN);
    private int maxTipPerBaseFee = 10;
    private int settlesPerPayerPerMinute = 60;
    private int settlesPerPayToPerMinute = 600;
    private long gasBudgetPerHour = 100_000_000L;
    private Set<String> allowedPayTo = Set.of();
    private boolean logPayments = false;
    private ApiKeys apiKeys = ApiKeys.none();

    private Builder() {}

    public Builder maxGasPerSettlement(long maxGasPerSettlement) {
      this.maxGasPerSettlement = maxGasPerSettlement;
      return this;
    }

    public Builder minAmount(BigInteger minAmount) {
      this.minAmount = minAmount;
      return this;
    }

    public Builder maxFeePerGas(BigInteger maxFeePerGas) {
      this.maxFeePerGas = maxFeePerGas;
      return this;
    }

    public Builder maxPriorityFeePerGas(BigInteger maxPriorityFeePerGas) {
      this.maxPriorityFeePerGas = maxPriorityFeePerGas;
      return this;
    }

    public Builder maxTipPerBaseFee(int maxTipPerBaseFee) {
      this.maxTipPerBaseFee = maxTipPerBaseFee;
      return this;
    }

    public Builder settlesPerPayerPerMinute(int settlesPerPayerPerMinute) {
      this.settlesPerPayerPerMinute = settlesPerPayerPerMinute;
      return this;
    }

    public Builder settlesPerPayToPerMinute(int settlesPerPayToPerMinute) {
      this.settlesPerPayToPerMinute = settlesPerPayToPerMinute;
      return this;
    }

    public Builder gasBudgetPerHour(long gasBudgetPerHour) {
      this.gasBudgetPerHour = gasBudgetPerHour;
      return this;
    }

    public Builder allowedPayTo(Set<String> allowedPayTo) {
      this.allowedPayTo = allowedPayTo;
      return this;
    }

    public Builder logPayments(boolean logPayments) {
      this.logPayments = logPayments;
      return this;
    }

    public Builder apiKeys(ApiKeys apiKeys) {
      this.apiKeys = apiKeys;
      return this;
    }

    public SettleLimits build() {
      return new SettleLimits(
          maxGasPerSettlement,
          minAmount,
          maxFeePerGas,
          maxPriorityFeePerGas,
          maxTipPerBaseFee,
          settlesPerPayerPerMinute,
          settlesPerPayToPerMinute,
          gasBudgetPerHour,
          allowedPayTo,
          logPayments,
          apiKeys);
    }
  }

  public boolean payToAllowed(String payTo) {
    return allowedPayTo.isEmpty()
        || (payTo != null && allowedPayTo.contains(payTo.toLowerCase(Locale.ROOT)));
  }
}
