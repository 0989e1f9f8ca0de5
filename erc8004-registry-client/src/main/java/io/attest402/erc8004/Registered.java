package io.attest402.erc8004;

import java.math.BigInteger;

/**
 * A new agent: its id, owner and URI as the {@code Registered} event reported them, and the
 * transaction.
 */
public record Registered(
    BigInteger agentId, String owner, String agentURI, String txHash, long blockNumber) {}
