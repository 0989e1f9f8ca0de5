package io.attest402.demo.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.IdentityRegistryClient;
import io.attest402.erc8004.WalletSigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;

/**
 * The provider's ERC-8004 identity: registered once, remembered in the data dir, so a restart keeps
 * the same agentId and only updates the agent URI when it changed. The agentWallet is kept equal to
 * the provider's {@code payTo}, which is what payers check.
 */
final class ProviderIdentity {
  private static final Logger log = LoggerFactory.getLogger(ProviderIdentity.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What {@link #ensure} did, for the operator's log. */
  record Outcome(BigInteger agentId, boolean registered, boolean uriUpdated, boolean walletSet) {}

  private ProviderIdentity() {}

  static Outcome ensure(Erc8004Client client, Credentials provider, String agentUri, Path dataDir) {
    IdentityRegistryClient identity = client.identity();
    Path stateFile = dataDir.resolve("provider-identity.json");
    Optional<BigInteger> remembered = readState(stateFile, identity.address());
    BigInteger agentId = null;
    boolean registered = false;
    boolean uriUpdated = false;
    if (remembered.isPresent()
        && identity.exists(remembered.get())
        && identity.ownerOf(remembered.get()).equalsIgnoreCase(provider.getAddress())) {
      agentId = remembered.get();
      if (!agentUri.equals(identity.agentURI(agentId))) {
        identity.setAgentURI(agentId, agentUri);
        uriUpdated = true;
      }
    } else {
      agentId = identity.register(agentUri).agentId();
      registered = true;
      writeState(stateFile, identity.address(), agentId);
    }
    boolean walletSet = false;
    Optional<String> wallet = identity.agentWallet(agentId);
    if (wallet.isEmpty() || !wallet.get().equalsIgnoreCase(provider.getAddress())) {
      identity.setAgentWallet(agentId, WalletSigner.eoa(provider));
      walletSet = true;
    }
    log.info(
        "provider identity: agentId {} ({}{}{})",
        agentId,
        registered ? "registered" : "kept",
        uriUpdated ? ", URI updated" : "",
        walletSet ? ", agentWallet set" : "");
    return new Outcome(agentId, registered, uriUpdated, walletSet);
  }

  private static Optional<BigInteger> readState(Path file, String registry) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      if (!registry.equalsIgnoreCase(n.path("identityRegistry").asText())) {
        return Optional.empty(); // another deployment: register afresh there
      }
      return Optional.of(new BigInteger(n.path("agentId").asText()));
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void writeState(Path file, String registry, BigInteger agentId) {
    try {
      Files.createDirectories(file.getParent());
      ObjectNode n =
          JSON.createObjectNode()
              .put("identityRegistry", registry)
              .put("agentId", agentId.toString());
      Path tmp = Files.createTempFile(file.getParent(), ".provider-identity", ".json");
      Files.writeString(tmp, n.toPrettyString());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
