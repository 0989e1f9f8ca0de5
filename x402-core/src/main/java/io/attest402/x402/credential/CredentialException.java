package io.attest402.x402.credential;

/** A credential that does not verify, with the precise reason. */
public final class CredentialException extends Exception {
  private static final long serialVersionUID = 1L;

  public CredentialException(String message) {
    super(message);
  }

  public CredentialException(String message, Throwable cause) {
    super(message, cause);
  }
}
