package io.attest402.erc8004.index;

import io.attest402.erc8004.ValidationRegistryClient;
import java.math.BigInteger;
import java.util.List;

/** A validation request and every response logged for it, in chain order. */
public record IndexedValidation(
    String requestHash,
    String validator,
    BigInteger agentId,
    String requestURI,
    long requestBlock,
    List<ValidationRegistryClient.Response> responses) {}
