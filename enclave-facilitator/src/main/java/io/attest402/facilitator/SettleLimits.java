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
    return new SettleLimits(
        200_000,
        BigInteger.ONE,
        GWEI.multiply(BigInteger.valueOf(500)),
        GWEI.multiply(BigInteger.TEN),
        10,
        60,
        600,
        100_000_000L,
        Set.of(),
        false,
        ApiKeys.none());
  }

  public SettleLimits withMaxGasPerSettlement(long gas) {
    return new SettleLimits(
        gas,
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

  public SettleLimits withMinAmount(BigInteger min) {
    return new SettleLimits(
        maxGasPerSettlement,
        min,
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

  public SettleLimits withFeeCaps(BigInteger maxFee, BigInteger maxTip, int tipPerBaseFee) {
    return new SettleLimits(
        maxGasPerSettlement,
        minAmount,
        maxFee,
        maxTip,
        tipPerBaseFee,
        settlesPerPayerPerMinute,
        settlesPerPayToPerMinute,
        gasBudgetPerHour,
        allowedPayTo,
        logPayments,
        apiKeys);
  }

  public SettleLimits withRates(int perPayerPerMinute, int perPayToPerMinute, long gasPerHour) {
    return new SettleLimits(
        maxGasPerSettlement,
        minAmount,
        maxFeePerGas,
        maxPriorityFeePerGas,
        maxTipPerBaseFee,
        perPayerPerMinute,
        perPayToPerMinute,
        gasPerHour,
        allowedPayTo,
        logPayments,
        apiKeys);
  }

  public SettleLimits withAllowedPayTo(Set<String> payTo) {
    return new SettleLimits(
        maxGasPerSettlement,
        minAmount,
        maxFeePerGas,
        maxPriorityFeePerGas,
        maxTipPerBaseFee,
        settlesPerPayerPerMinute,
        settlesPerPayToPerMinute,
        gasBudgetPerHour,
        payTo,
        logPayments,
        apiKeys);
  }

  public SettleLimits withLogPayments(boolean log) {
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
        log,
        apiKeys);
  }

  public SettleLimits withApiKeys(ApiKeys keys) {
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
        keys);
  }

  public boolean payToAllowed(String payTo) {
    return allowedPayTo.isEmpty()
        || (payTo != null && allowedPayTo.contains(payTo.toLowerCase(Locale.ROOT)));
  }
}
