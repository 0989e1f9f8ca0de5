package io.attest402.contracts.chain;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.web3j.crypto.Credentials;

/**
 * Where our contracts live on one chain: the {@code deployment.json} that {@code chain} and {@code
 * deploy} write and every command reads. {@code accounts} is present only on dev chains (anvil's
 * public keys).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Deployment(
    @JsonProperty("chainId") long chainId,
    @JsonProperty("network") String network,
    @JsonProperty("rpcUrl") String rpcUrl,
    @JsonProperty("contracts") Contracts contracts,
    @JsonProperty("usdc") Token usdc,
    @JsonProperty("accounts") Map<String, Account> accounts) {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public Deployment {
    Objects.requireNonNull(rpcUrl, "rpcUrl");
    Objects.requireNonNull(contracts, "contracts");
    Objects.requireNonNull(usdc, "usdc");
    if (network == null) {
      network = "eip155:" + chainId;
    }
    accounts =
        accounts == null
            ? null
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(accounts));
  }

  public record Contracts(
      @JsonProperty("usdc") String usdc,
      @JsonProperty("identityRegistry") String identityRegistry,
      @JsonProperty("reputationRegistry") String reputationRegistry,
      @JsonProperty("validationRegistry") String validationRegistry,
      @JsonProperty("settlementLog") String settlementLog,
      @JsonProperty("permitToken") String permitToken,
      @JsonProperty("plainToken") String plainToken) {
    /**
     * Without {@code TestPlainToken} (the token with neither EIP-3009 nor EIP-2612; deployment
     * files written before it existed).
     */
    public Contracts(
        String usdc,
        String identityRegistry,
        String reputationRegistry,
        String validationRegistry,
        String settlementLog,
        String permitToken) {
      this(
          usdc,
          identityRegistry,
          reputationRegistry,
          validationRegistry,
          settlementLog,
          permitToken,
          null);
    }

    /**
     * Without {@code TestPermitToken} (the EIP-2612-only token; deployment files written before it
     * existed).
     */
    public Contracts(
        String usdc,
        String identityRegistry,
        String reputationRegistry,
        String validationRegistry,
        String settlementLog) {
      this(
          usdc,
          identityRegistry,
          reputationRegistry,
          validationRegistry,
          settlementLog,
          null,
          null);
    }

    /** Without a {@code SettlementLog} (deployment files written before it existed). */
    public Contracts(
        String usdc,
        String identityRegistry,
        String reputationRegistry,
        String validationRegistry) {
      this(usdc, identityRegistry, reputationRegistry, validationRegistry, null, null, null);
    }
  }

  /** The token's EIP-712 domain name and version, as x402 offers carry them in {@code extra}. */
  public record Token(
      @JsonProperty("name") String name,
      @JsonProperty("version") String version,
      @JsonProperty("decimals") int decimals) {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Account(
      @JsonProperty("address") String address, @JsonProperty("privateKey") String privateKey) {
    public Credentials credentials() {
      if (privateKey == null) {
        throw new IllegalStateException(
            "account " + address + " has no key in the deployment file");
      }
      return Credentials.create(privateKey);
    }
  }

  /**
   * A dev account by role ("deployer", "provider", "agent", "validator"), failing clearly when
   * absent.
   */
  public Account account(String role) {
    Account a = accounts == null ? null : accounts.get(role);
    if (a == null) {
      throw new IllegalStateException(
          "deployment has no '" + role + "' account (only dev chains carry keys)");
    }
    return a;
  }

  public Deployment withRpcUrl(String url) {
    return new Deployment(chainId, network, url, contracts, usdc, accounts);
  }

  public static Deployment read(Path file) {
    try {
      return JSON.readValue(file.toFile(), Deployment.class);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read deployment file " + file + ": " + e.getMessage(), e);
    }
  }

  public void write(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Path tmp = Files.createTempFile(parent, ".deployment", ".json");
      Files.writeString(tmp, toJson());
      Files.move(
          tmp,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write deployment file " + file, e);
    }
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
