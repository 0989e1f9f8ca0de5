package io.attest402.erc8004;

import io.attest402.contracts.chain.Deployment;
import java.util.Objects;
import org.web3j.crypto.Keys;
import org.web3j.crypto.WalletUtils;

/**
 * Where the three ERC-8004 registries live on one chain. Any deployment with the 2026-01-25 ABI
 * works: ours (from a {@link Deployment}), or the public reference registries ({@link
 * #referenceTestnet}, {@link #referenceMainnet}). The validation registry may be absent (null): the
 * reference one is not published on every chain.
 */
public record RegistryAddresses(
    long chainId, String identityRegistry, String reputationRegistry, String validationRegistry) {

  /**
   * The reference deployments' vanity addresses, the same on every testnet (erc-8004-contracts
   * README).
   */
  public static final String REFERENCE_TESTNET_IDENTITY =
      "0x8004A818BFB912233c491871b3d84c89A494BD9e";

  public static final String REFERENCE_TESTNET_REPUTATION =
      "0x8004B663056A597Dffe9eCcC1965A193B7388713";

  /** Reserved for the validation registry on testnets; not published everywhere. */
  public static final String REFERENCE_TESTNET_VALIDATION =
      "0x8004Cb1BF31DAf7788923b405b754f57acEB4272";

  public static final String REFERENCE_MAINNET_IDENTITY =
      "0x8004A169FB4a3325136EB29fA0ceB6D2e539a432";
  public static final String REFERENCE_MAINNET_REPUTATION =
      "0x8004BAa17C55a88189AE136b182e5fdA19dE9b63";
  public static final String REFERENCE_MAINNET_VALIDATION =
      "0x8004Cc8439f36fd5F9F049D9fF86523Df6dAAB58";

  public RegistryAddresses {
    if (chainId <= 0) {
      throw new IllegalArgumentException("chainId must be positive");
    }
    identityRegistry =
        checksum(Objects.requireNonNull(identityRegistry, "identityRegistry"), "identityRegistry");
    reputationRegistry =
        reputationRegistry == null ? null : checksum(reputationRegistry, "reputationRegistry");
    validationRegistry =
        validationRegistry == null ? null : checksum(validationRegistry, "validationRegistry");
  }

  /** Our registries as {@code bin/attest402 chain} or {@code deploy} recorded them. */
  public static RegistryAddresses fromDeployment(Deployment d) {
    return new RegistryAddresses(
        d.chainId(),
        d.contracts().identityRegistry(),
        d.contracts().reputationRegistry(),
        d.contracts().validationRegistry());
  }

  /** The public reference registries on a testnet (Sepolia 11155111, Base Sepolia 84532, ...). */
  public static RegistryAddresses referenceTestnet(long chainId) {
    return new RegistryAddresses(
        chainId,
        REFERENCE_TESTNET_IDENTITY,
        REFERENCE_TESTNET_REPUTATION,
        REFERENCE_TESTNET_VALIDATION);
  }

  /** The public reference registries on a mainnet (no validation registry is published there). */
  public static RegistryAddresses referenceMainnet(long chainId) {
    return new RegistryAddresses(
        chainId, REFERENCE_MAINNET_IDENTITY, REFERENCE_MAINNET_REPUTATION, null);
  }

  /** {@code eip155:<chainId>}: the CAIP-2 network. */
  public String network() {
    return "eip155:" + chainId;
  }

  /** The spec's agentRegistry string {@code eip155:<chainId>:<identityRegistry>}. */
  public String agentRegistry() {
    return network() + ":" + identityRegistry;
  }

  /**
   * True when {@code agentRegistry} names this identity registry (address compared
   * case-insensitively).
   */
  public boolean isAgentRegistry(String agentRegistry) {
    if (agentRegistry == null) {
      return false;
    }
    String[] parts = agentRegistry.trim().split(":");
    return parts.length == 3
        && parts[0].equals("eip155")
        && parts[1].equals(Long.toString(chainId))
        && parts[2].equalsIgnoreCase(identityRegistry);
  }

  static String checksum(String address, String what) {
    if (!WalletUtils.isValidAddress(address) || !address.startsWith("0x")) {
      throw new IllegalArgumentException(what + " is not a 0x address: " + address);
    }
    return Keys.toChecksumAddress(address);
  }
}
