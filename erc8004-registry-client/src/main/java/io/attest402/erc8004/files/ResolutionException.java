package io.attest402.erc8004.files;

/**
 * A URI could not be resolved: unsupported or forbidden scheme, too large, timed out, HTTP error.
 */
public final class ResolutionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ResolutionException(String message) {
    super(message);
  }

  public ResolutionException(String message, Throwable cause) {
    super(message, cause);
  }
}
