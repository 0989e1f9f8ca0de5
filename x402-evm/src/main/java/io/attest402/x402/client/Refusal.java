package io.attest402.x402.client;

import java.util.List;

/** Why the client did not pay: a code and human-readable reasons. */
public record Refusal(Code code, List<String> reasons) {
  public Refusal {
    reasons = List.copyOf(reasons);
  }

  /** The kind of refusal. */
  public enum Code {
    /** The 402 could not be read (bad header, bad JSON, unsupported version). */
    MALFORMED_PAYMENT_REQUIRED,
    /** No offer passed the spend policy; the reasons list each offer's problems. */
    NO_ACCEPTABLE_OFFER,
    /** The trust hook said no. */
    TRUST_REFUSED,
    /** The offer could not be signed. */
    SIGNING_FAILED
  }

  @Override
  public String toString() {
    return code + ": " + String.join("; ", reasons);
  }
}
