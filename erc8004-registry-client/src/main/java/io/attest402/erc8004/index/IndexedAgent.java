package io.attest402.erc8004.index;

import io.attest402.erc8004.files.RegistrationFile;
import java.math.BigInteger;
import java.util.Map;
import java.util.Optional;

/**
 * An agent as the indexer knows it from the Identity Registry's events, with its registration file
 * when it resolved ({@code fileError} says why not otherwise).
 */
public record IndexedAgent(
    BigInteger agentId,
    String owner,
    String agentURI,
    String agentWallet,
    Map<String, String> metadata,
    long registeredBlock,
    RegistrationFile file,
    String fileError) {

  public Optional<RegistrationFile> registrationFile() {
    return Optional.ofNullable(file);
  }

  public Optional<String> wallet() {
    return Optional.ofNullable(agentWallet);
  }
}
