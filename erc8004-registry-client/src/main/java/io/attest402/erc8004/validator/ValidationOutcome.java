package io.attest402.erc8004.validator;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/**
 * One validation by the TEE validator: the response (100 pass, 0 fail), every reason for a failure,
 * the report posted as the responseURI, and the transaction that posted it (empty when only
 * checked).
 */
public record ValidationOutcome(
    String requestHash,
    BigInteger agentId,
    int response,
    String attestationUrl,
    String signerAddress,
    boolean simulated,
    List<String> reasons,
    String reportJson,
    String responseTx) {

  public boolean passed() {
    return response == 100;
  }

  public Optional<String> tx() {
    return Optional.ofNullable(responseTx);
  }
}
