package io.attest402.x402.facilitator;

/** A facilitator call that produced no usable answer; {@link #kind()} says why. */
public final class FacilitatorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the call failed. */
  public enum Kind {
    /** No answer within the request timeout: for settle, the outcome is unknown. */
    TIMEOUT,
    /** Connection refused, reset, DNS, TLS. */
    TRANSPORT,
    /** A non-2xx status without a verify/settle body. */
    HTTP_STATUS,
    /** A body that is not the expected JSON, or larger than allowed. */
    BAD_RESPONSE
  }

  private final Kind kind;
  private final int status;

  public FacilitatorException(Kind kind, int status, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.status = status;
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when there was no response. */
  public int status() {
    return status;
  }
}
