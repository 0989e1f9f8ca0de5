package io.attest402.x402.receipt;

/** A receipt does not verify: malformed, wrong header, wrong signer, or bad signature. */
public final class ReceiptException extends Exception {
  private static final long serialVersionUID = 1L;

  public ReceiptException(String message) {
    super(message);
  }

  public ReceiptException(String message, Throwable cause) {
    super(message, cause);
  }
}
