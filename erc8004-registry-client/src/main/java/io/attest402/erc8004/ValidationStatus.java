package io.attest402.erc8004;

import java.math.BigInteger;

/**
 * {@code getValidationStatus}: before any response, response is 0, tag "" and lastUpdate the
 * request time (the ValidationResponse log tells an unanswered request from a 0 answer).
 */
public record ValidationStatus(
    String requestHash,
    String validator,
    BigInteger agentId,
    int response,
    String responseHash,
    String tag,
    long lastUpdate) {}
