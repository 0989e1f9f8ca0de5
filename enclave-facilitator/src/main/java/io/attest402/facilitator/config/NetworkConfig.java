package io.attest402.facilitator.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.attest402.x402.evm.Networks;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One EVM chain the facilitator serves: its CAIP-2 id ({@code eip155:N}), the JSON-RPC endpoint, and the assets it
 * accepts. {@code devFunderKey} is set only on dev chains (the deployment's public deployer key), to give the
 * facilitator account gas at start.
 */
public record NetworkConfig(
    @JsonProperty("network") String network,
    @JsonProperty("rpcUrl") String rpcUrl,
    @JsonProperty("assets") List<AssetConfig> assets,
    @JsonProperty("devFunderKey") String devFunderKey) {

  public NetworkConfig {
    Objects.requireNonNull(network, "network");
    Networks.chainId(network); // eip155:N only
    Objects.requireNonNull(rpcUrl, "rpcUrl of " + network);
    if (assets == null || assets.isEmpty()) {
      throw new IllegalArgumentException("network " + network + " lists no assets");
    }
    assets = List.copyOf(assets);
  }

  public NetworkConfig(String network, String rpcUrl, List<AssetConfig> assets) {
    this(network, rpcUrl, assets, null);
  }

  public long chainId() {
    return Networks.chainId(network);
  }

  public Optional<AssetConfig> asset(String address) {
    return assets.stream().filter(a -> a.is(address)).findFirst();
  }
}
