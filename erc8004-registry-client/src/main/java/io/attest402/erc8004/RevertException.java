package io.attest402.erc8004;

import java.util.List;
import java.util.Optional;

/**
 * A registry call reverted. {@link #kind()} classifies the contract's reason (the reference
 * implementation's revert strings and OpenZeppelin's ERC-721 custom errors), {@link #reason()} is
 * the reason as the contract gave it. Thrown before sending when a preflight {@code eth_call}
 * already reverts (no gas spent, {@link #txHash()} empty), or after a mined transaction failed.
 */
public final class RevertException extends RegistryException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, independent of the exact revert string. */
  public enum Kind {
    /** Caller is not the agent's owner, an operator or the approved address. */
    NOT_AUTHORIZED,
    /** The agent does not exist (ERC721NonexistentToken). */
    AGENT_NOT_FOUND,
    /** {@code agentWallet} may only be set through setAgentWallet. */
    RESERVED_KEY,
    /** setAgentWallet with the zero address. */
    BAD_WALLET,
    /** setAgentWallet deadline already passed. */
    DEADLINE_EXPIRED,
    /** setAgentWallet deadline more than 5 minutes ahead. */
    DEADLINE_TOO_FAR,
    /** The new wallet's EIP-712 / ERC-1271 signature does not verify. */
    INVALID_WALLET_SIGNATURE,
    /** The agent's owner or operator rated its own agent. */
    SELF_FEEDBACK,
    TOO_MANY_DECIMALS,
    VALUE_TOO_LARGE,
    /** feedbackIndex 0 or beyond the client's last index. */
    BAD_FEEDBACK_INDEX,
    ALREADY_REVOKED,
    EMPTY_URI,
    /** getSummary without clientAddresses (Sybil guard). */
    CLIENTS_REQUIRED,
    /** validationRequest for the zero validator. */
    BAD_VALIDATOR,
    /** validationRequest with a requestHash already used. */
    REQUEST_EXISTS,
    /** No validation request with that hash. */
    UNKNOWN_REQUEST,
    /** validationResponse from someone else than the named validator. */
    NOT_VALIDATOR,
    /** validationResponse above 100. */
    RESPONSE_OUT_OF_RANGE,
    /** Another ERC-721 error (transfer to a non-receiver, wrong owner, ...). */
    TOKEN_ERROR,
    /** A Solidity panic (overflow, division by zero, ...). */
    PANIC,
    /** Reverted without reason data. */
    NO_REASON,
    /** Any other reason. */
    OTHER
  }

  private final Kind kind;
  private final String reason;
  private final String function;
  private final String errorName;
  private final List<Object> args;
  private final String txHash;

  public RevertException(
      Kind kind,
      String reason,
      String function,
      String errorName,
      List<Object> args,
      String txHash) {
    super(function + " reverted: " + reason + (txHash == null ? "" : " (tx " + txHash + ")"));
    this.kind = kind;
    this.reason = reason;
    this.function = function;
    this.errorName = errorName;
    this.args = List.copyOf(args);
    this.txHash = txHash;
  }

  public Kind kind() {
    return kind;
  }

  /** The revert string, or the custom error rendered as {@code Name(arg, ...)}. */
  public String reason() {
    return reason;
  }

  /** The contract function that reverted. */
  public String function() {
    return function;
  }

  /** {@code Error} for a revert string, {@code Panic}, or the custom error's name. */
  public String errorName() {
    return errorName;
  }

  /** Decoded arguments of a custom error (empty for strings). */
  public List<Object> args() {
    return args;
  }

  /** The failed transaction, when it was mined; empty for a preflight revert. */
  public Optional<String> txHash() {
    return Optional.ofNullable(txHash);
  }

  RevertException withTxHash(String hash) {
    return new RevertException(kind, reason, function, errorName, args, hash);
  }
}
