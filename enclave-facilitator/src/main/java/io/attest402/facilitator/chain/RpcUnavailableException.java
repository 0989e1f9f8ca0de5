package io.attest402.facilitator.chain;

/**
 * The chain's JSON-RPC node could not answer in time (down, slow, or answering nonsense).
 * Retryable.
 */
public class RpcUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RpcUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public RpcUnavailableException(String message) {
    super(message);
  }
}
