package io.attest402.facilitator.settle;

import java.math.BigInteger;
import java.time.Instant;

/**
 * One signed transaction of a settlement (the first one, or a fee-bumped replacement at the same
 * account nonce, or a re-signing at a new nonce when the old one was taken). {@code rawTx} is the
 * complete signed transaction, so it can be broadcast again after a crash.
 */
public record TxAttempt(
    String txHash,
    long accountNonce,
    String rawTx,
    BigInteger maxFeePerGas,
    BigInteger maxPriorityFeePerGas,
    BigInteger gasLimit,
    Instant createdAt) {}
