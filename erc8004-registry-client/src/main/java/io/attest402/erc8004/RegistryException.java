package io.attest402.erc8004;

/**
 * A registry operation failed: the RPC is unreachable, a transaction was dropped, an answer was
 * malformed.
 */
public class RegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RegistryException(String message) {
    super(message);
  }

  public RegistryException(String message, Throwable cause) {
    super(message, cause);
  }
}
