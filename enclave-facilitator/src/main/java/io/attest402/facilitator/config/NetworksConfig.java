package io.attest402.facilitator.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.contracts.chain.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chains a facilitator serves. From a {@code deployment.json} (one network, the TestUSDC asset)
 * and/or an optional networks file:
 *
 * <pre>{"networks": [{"network": "eip155:84532", "rpcUrl": "https://...",
 *   "assets": [{"address": "0x036C...", "name": "USDC", "version": "2", "decimals": 6}]}]}</pre>
 *
 * A network named in both keeps the networks file's entry.
 */
public record NetworksConfig(@JsonProperty("networks") List<NetworkConfig> networks) {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  public NetworksConfig {
    if (networks == null || networks.isEmpty()) {
      throw new IllegalArgumentException("no networks configured");
    }
    Map<String, NetworkConfig> byName = new LinkedHashMap<>();
    for (NetworkConfig n : networks) {
      if (byName.put(n.network(), n) != null) {
        throw new IllegalArgumentException("network " + n.network() + " is configured twice");
      }
    }
    networks = List.copyOf(networks);
  }

  /**
   * The deployment's network with its TestUSDC (and TestPermitToken and TestPlainToken when
   * deployed); dev chains (accounts present) carry the deployer key for gas.
   */
  public static NetworksConfig fromDeployment(Deployment d) {
    String funder = null;
    if (d.accounts() != null && d.accounts().get("deployer") != null) {
      funder = d.accounts().get("deployer").privateKey();
    }
    AssetConfig usdc =
        new AssetConfig(
            d.contracts().usdc(), d.usdc().name(), d.usdc().version(), d.usdc().decimals());
    List<AssetConfig> assets = new java.util.ArrayList<>(List.of(usdc));
    if (d.contracts().permitToken() != null) {
      // the EIP-2612-only token, paid through Permit2
      var t = io.attest402.contracts.chain.Deployer.PERMIT_TOKEN;
      assets.add(new AssetConfig(d.contracts().permitToken(), t.name(), t.version(), t.decimals()));
    }
    if (d.contracts().plainToken() != null) {
      // neither EIP-3009 nor EIP-2612: Permit2 after a (sponsored) approval
      var t = io.attest402.contracts.chain.Deployer.PLAIN_TOKEN;
      assets.add(new AssetConfig(d.contracts().plainToken(), t.name(), t.version(), t.decimals()));
    }
    return new NetworksConfig(
        List.of(new NetworkConfig(d.network(), d.rpcUrl(), List.copyOf(assets), funder)));
  }

  public static NetworksConfig read(Path file) {
    try {
      return JSON.readValue(file.toFile(), NetworksConfig.class);
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      throw new IllegalArgumentException(
          "invalid networks file " + file + ": " + c.getMessage(), e);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          "invalid networks file " + file + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read networks file " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "invalid networks file " + file + ": " + e.getMessage(), e);
    }
  }

  /** This configuration with {@code other}'s networks added or replacing same-named ones. */
  public NetworksConfig overlay(NetworksConfig other) {
    Map<String, NetworkConfig> byName = new LinkedHashMap<>();
    networks.forEach(n -> byName.put(n.network(), n));
    other.networks.forEach(n -> byName.put(n.network(), n));
    return new NetworksConfig(new ArrayList<>(byName.values()));
  }

  public NetworkConfig network(String name) {
    return networks.stream().filter(n -> n.network().equals(name)).findFirst().orElse(null);
  }

  public List<String> names() {
    return networks.stream().map(NetworkConfig::network).toList();
  }
}
