package io.attest402.verifier;

import io.attest402.verifier.internal.Le;

/** The 48-byte quote header. Immutable. */
public final class QuoteHeader {
  public static final int SIZE = 48;

  /** Intel's QE vendor ID. */
  public static final byte[] INTEL_QE_VENDOR_ID =
      io.attest402.verifier.internal.Hex.decode("939a7233f79c4ca9940a0db3957f0607");

  private final byte[] raw;

  QuoteHeader(byte[] raw) {
    this.raw = raw.clone();
  }

  public int version() {
    return Le.u16(raw, 0);
  }

  /** 2 = ECDSA-256 with P-256. */
  public int attestationKeyType() {
    return Le.u16(raw, 2);
  }

  /** tee_type (v4/v5) or att_key_data_0 (v3, reserved). */
  public long rawTeeType() {
    return Le.u32(raw, 4);
  }

  /** SGX for v3 quotes; from tee_type for v4 and v5. */
  public TeeType teeType() {
    if (version() == 3) {
      return TeeType.SGX;
    }
    return rawTeeType() == TeeType.TDX.code() ? TeeType.TDX : TeeType.SGX;
  }

  public int qeSvn() {
    return Le.u16(raw, 8);
  }

  public int pceSvn() {
    return Le.u16(raw, 10);
  }

  public byte[] qeVendorId() {
    return Le.slice(raw, 12, 16);
  }

  public byte[] userData() {
    return Le.slice(raw, 28, 20);
  }

  public byte[] encoded() {
    return raw.clone();
  }
}
