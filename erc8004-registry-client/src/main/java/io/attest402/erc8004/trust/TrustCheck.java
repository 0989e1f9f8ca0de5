package io.attest402.erc8004.trust;

/**
 * One check of a trust decision: its name (e.g. {@code provider.payTo}), outcome and the reason in
 * words.
 */
public record TrustCheck(String name, Status status, String detail) {
  public enum Status {
    PASS,
    FAIL,
    SKIPPED
  }

  static TrustCheck pass(String name, String detail) {
    return new TrustCheck(name, Status.PASS, detail);
  }

  static TrustCheck fail(String name, String detail) {
    return new TrustCheck(name, Status.FAIL, detail);
  }

  static TrustCheck skipped(String name, String detail) {
    return new TrustCheck(name, Status.SKIPPED, detail);
  }
}
