package io.attest402.facilitator.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.attest402.x402.evm.Addresses;
import java.util.Objects;

/**
 * A token this facilitator settles on one network: its address and its EIP-712 domain name and
 * version (what x402 offers carry in {@code extra}), plus its decimals for display, and optionally
 * the smallest amount (base units) it settles (null: {@link
 * io.attest402.facilitator.SettleLimits#minAmount()}).
 */
public record AssetConfig(
    @JsonProperty("address") String address,
    @JsonProperty("name") String name,
    @JsonProperty("version") String version,
    @JsonProperty("decimals") int decimals,
    @JsonProperty("minAmount") java.math.BigInteger minAmount) {

  public AssetConfig(String address, String name, String version, int decimals) {
    this(address, name, version, decimals, null);
  }

  public AssetConfig {
    Objects.requireNonNull(address, "asset address");
    if (!Addresses.isAddress(address)) {
      throw new IllegalArgumentException("asset address is not an EVM address: " + address);
    }
    Objects.requireNonNull(name, "asset EIP-712 name");
    Objects.requireNonNull(version, "asset EIP-712 version");
    if (minAmount != null && minAmount.signum() <= 0) {
      throw new IllegalArgumentException(
          "minAmount of asset " + address + " must be at least 1 base unit");
    }
  }

  public boolean is(String other) {
    return other != null && address.equalsIgnoreCase(other);
  }
}
