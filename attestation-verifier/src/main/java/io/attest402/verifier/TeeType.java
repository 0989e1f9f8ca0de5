package io.attest402.verifier;

/** The TEE a quote comes from, with its header tee_type value. */
public enum TeeType {
  SGX(0x00000000L),
  TDX(0x00000081L);

  private final long code;

  TeeType(long code) {
    this.code = code;
  }

  public long code() {
    return code;
  }
}
