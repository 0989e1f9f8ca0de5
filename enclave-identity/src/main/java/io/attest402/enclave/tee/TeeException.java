package io.attest402.enclave.tee;

/**
 * A TEE backend could not do what was asked: the device or kernel files are missing or misbehave, a
 * quote is malformed or does not carry the report data we asked for, or a sealed blob cannot be
 * opened. The message says which file and what was expected, so an operator can act on it.
 */
public final class TeeException extends Exception {
  private static final long serialVersionUID = 1L;

  public TeeException(String message) {
    super(message);
  }

  public TeeException(String message, Throwable cause) {
    super(message, cause);
  }
}
