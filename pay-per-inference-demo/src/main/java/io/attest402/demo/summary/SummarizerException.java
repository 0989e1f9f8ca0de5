package io.attest402.demo.summary;

/** A summary could not be produced; the message says why in words fit for the API's caller. */
public final class SummarizerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SummarizerException(String message) {
    super(message);
  }

  public SummarizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
