package io.attest402.erc8004.index;

import io.attest402.erc8004.ValidationRegistryClient;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/** A validation request and every response logged for it, in chain order. */
public record IndexedValidation(
    String requestHash,
    String validator,
    BigInteger agentId,
    String requestURI,
    long requestBlock,
    List<ValidationRegistryClient.Response> responses) {

  public Optional<ValidationRegistryClient.Response> latestResponse() {
    return responses.isEmpty()
        ? Optional.empty()
        : Optional.of(responses.get(responses.size() - 1));
  }
}
