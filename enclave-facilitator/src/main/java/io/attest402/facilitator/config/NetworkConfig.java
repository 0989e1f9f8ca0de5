package io.attest402.facilitator.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.attest402.x402.evm.Networks;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One EVM chain the facilitator serves: its CAIP-2 id ({@code eip155:N}), the JSON-RPC endpoint,
 * and the assets it accepts. {@code devFunderKey} is set only on dev chains (the deployment's
 * public deployer key), to give the facilitator account gas at start. {@code rpcUrls} are further,
 * independent nodes of the same chain: with them a settlement is final only when a majority of all
 * the nodes agree on its receipt (block hash and Transfer log), so one lying node cannot make a
 * payment look settled.
 */
public record NetworkConfig(
    @JsonProperty("network") String network,
    @JsonProperty("rpcUrl") String rpcUrl,
    @JsonProperty("assets") List<AssetConfig> assets,
    @JsonProperty("devFunderKey") String devFunderKey,
    @JsonProperty("rpcUrls") List<String> rpcUrls) {

  public NetworkConfig {
    Objects.requireNonNull(network, "network");
    Networks.chainId(network); // eip155:N only
    Objects.requireNonNull(rpcUrl, "rpcUrl of " + network);
    if (assets == null || assets.isEmpty()) {
      throw new IllegalArgumentException("network " + network + " lists no assets");
    }
    assets = List.copyOf(assets);
    rpcUrls = rpcUrls == null ? List.of() : List.copyOf(rpcUrls);
  }

  public NetworkConfig(String network, String rpcUrl, List<AssetConfig> assets) {
    this(network, rpcUrl, assets, null, null);
  }

  public NetworkConfig(
      String network, String rpcUrl, List<AssetConfig> assets, String devFunderKey) {
    this(network, rpcUrl, assets, devFunderKey, null);
  }

  /** Every node of this network: {@code rpcUrl} first (it sends), then {@code rpcUrls}. */
  public List<String> allRpcUrls() {
    List<String> all = new java.util.ArrayList<>();
    all.add(rpcUrl);
    all.addAll(rpcUrls);
    return List.copyOf(all);
  }

  /** Nodes that must agree on a receipt: a majority of {@link #allRpcUrls()}. */
  public int receiptQuorum() {
    return allRpcUrls().size() / 2 + 1;
  }

  public long chainId() {
    return Networks.chainId(network);
  }

  public Optional<AssetConfig> asset(String address) {
    return assets.stream().filter(a -> a.is(address)).findFirst();
  }
}
