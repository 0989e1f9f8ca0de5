package io.attest402.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * One compiled contract as the build's solc step wrote it: ABI and creation bytecode, loaded from
 * the classpath.
 */
public record ContractArtifact(
    String name, JsonNode abi, String bytecode, String deployedBytecode) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final String TEST_USDC = "TestUSDC";
  public static final String IDENTITY_REGISTRY = "IdentityRegistry";
  public static final String REPUTATION_REGISTRY = "ReputationRegistry";
  public static final String VALIDATION_REGISTRY = "ValidationRegistry";
  public static final String TEST_SMART_WALLET = "TestSmartWallet";
  public static final String SETTLEMENT_LOG = "SettlementLog";
  public static final String TEST_PERMIT_TOKEN = "TestPermitToken";
  public static final String TEST_PLAIN_TOKEN = "TestPlainToken";
  public static final String PERMIT2 = "Permit2";
  public static final String X402_EXACT_PERMIT2_PROXY = "X402ExactPermit2Proxy";
  public static final String X402_UPTO_PERMIT2_PROXY = "X402UptoPermit2Proxy";

  /** Loads {@code io/attest402/contracts/artifacts/NAME.json}. */
  public static ContractArtifact load(String name) {
    String resource = "/io/attest402/contracts/artifacts/" + name + ".json";
    try (InputStream in = ContractArtifact.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no compiled contract " + name + " (" + resource + ")");
      }
      JsonNode root = JSON.readTree(in);
      return new ContractArtifact(
          name,
          root.get("abi"),
          root.get("bytecode").asText(),
          root.get("deployedBytecode").asText());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
