package io.attest402.facilitator;

/**
 * A request the facilitator refuses before any payment logic runs: malformed, or for a version,
 * scheme, network or asset it does not serve. {@code reason} is the x402 reason code, {@code
 * getMessage()} says precisely what is wrong.
 */
public final class RequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String reason;

  public RequestException(int status, String reason, String message) {
    super(message);
    this.status = status;
    this.reason = reason;
  }

  public int status() {
    return status;
  }

  public String reason() {
    return reason;
  }
}
