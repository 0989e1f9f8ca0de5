package io.attest402.x402.receipt;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The outcome a receipt records. */
public enum ReceiptStatus {
  /** The transfer was mined successfully. */
  SETTLED("settled"),
  /** Settlement failed (reverted, rejected before broadcast, or timed out). */
  FAILED("failed");

  private final String wire;

  ReceiptStatus(String wire) {
    this.wire = wire;
  }

  @JsonValue
  public String wire() {
    return wire;
  }

  @JsonCreator
  public static ReceiptStatus fromWire(String s) {
    for (ReceiptStatus r : values()) {
      if (r.wire.equals(s)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown receipt status '" + s + "'");
  }
}
