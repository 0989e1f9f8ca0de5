package io.attest402.verifier;

import io.attest402.verifier.internal.Le;

/**
 * TD report body: TD report 1.0 (584 bytes, quote v4 and v5 body type 2) or 1.5 (648 bytes, v5 body
 * type 3). Immutable; every accessor returns a fresh copy.
 */
public final class TdReportBody implements ReportBody {
  public static final int SIZE_1_0 = 584;
  public static final int SIZE_1_5 = 648;

  /** TDATTRIBUTES bits. */
  public static final long TD_DEBUG = 1L,
      TD_SEPT_VE_DISABLE = 1L << 28,
      TD_PKS = 1L << 30,
      TD_KL = 1L << 31,
      TD_PERFMON = 1L << 63;

  private final byte[] raw;

  private TdReportBody(byte[] raw) {
    this.raw = raw;
  }

  /** Decodes 584 (TD 1.0) or 648 (TD 1.5) bytes. */
  public static TdReportBody decode(byte[] raw) {
    if (raw.length != SIZE_1_0 && raw.length != SIZE_1_5) {
      throw new IllegalArgumentException(
          "TD report body must be 584 or 648 bytes, got " + raw.length);
    }
    return new TdReportBody(raw.clone());
  }

  /** True for a TD report 1.5 body (with TEE_TCB_SVN2 and MRSERVICETD). */
  public boolean isV15() {
    return raw.length == SIZE_1_5;
  }

  public byte[] teeTcbSvn() {
    return Le.slice(raw, 0, 16);
  }

  public byte[] mrSeam() {
    return Le.slice(raw, 16, 48);
  }

  public byte[] mrSignerSeam() {
    return Le.slice(raw, 64, 48);
  }

  public byte[] seamAttributes() {
    return Le.slice(raw, 112, 8);
  }

  public byte[] tdAttributes() {
    return Le.slice(raw, 120, 8);
  }

  public long tdAttributeBits() {
    return Le.u64(raw, 120);
  }

  public boolean debug() {
    return (tdAttributeBits() & TD_DEBUG) != 0;
  }

  public boolean septVeDisable() {
    return (tdAttributeBits() & TD_SEPT_VE_DISABLE) != 0;
  }

  public byte[] xfam() {
    return Le.slice(raw, 128, 8);
  }

  public byte[] mrTd() {
    return Le.slice(raw, 136, 48);
  }

  public byte[] mrConfigId() {
    return Le.slice(raw, 184, 48);
  }

  public byte[] mrOwner() {
    return Le.slice(raw, 232, 48);
  }

  public byte[] mrOwnerConfig() {
    return Le.slice(raw, 280, 48);
  }

  public byte[] rtmr0() {
    return Le.slice(raw, 328, 48);
  }

  public byte[] rtmr1() {
    return Le.slice(raw, 376, 48);
  }

  public byte[] rtmr2() {
    return Le.slice(raw, 424, 48);
  }

  public byte[] rtmr3() {
    return Le.slice(raw, 472, 48);
  }

  /** RTMR0..3 by index. */
  public byte[] rtmr(int index) {
    if (index < 0 || index > 3) {
      throw new IllegalArgumentException("RTMR index must be 0..3");
    }
    return Le.slice(raw, 328 + 48 * index, 48);
  }

  @Override
  public byte[] reportData() {
    return Le.slice(raw, 520, 64);
  }

  /** TEE_TCB_SVN2 (TD 1.5 only; all zero for TD 1.0). */
  public byte[] teeTcbSvn2() {
    return isV15() ? Le.slice(raw, 584, 16) : new byte[16];
  }

  /** MRSERVICETD (TD 1.5 only; all zero for TD 1.0). */
  public byte[] mrServiceTd() {
    return isV15() ? Le.slice(raw, 600, 48) : new byte[48];
  }

  @Override
  public byte[] encoded() {
    return raw.clone();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a TD 1.0 report body (used by the simulator and tests); unset fields are zero. */
  public static final class Builder {
    private final byte[] b = new byte[SIZE_1_0];

    private Builder() {}

    public Builder teeTcbSvn(byte[] v) {
      Le.put(b, 0, v, 16, "teeTcbSvn");
      return this;
    }

    public Builder mrSeam(byte[] v) {
      Le.put(b, 16, v, 48, "mrSeam");
      return this;
    }

    public Builder mrSignerSeam(byte[] v) {
      Le.put(b, 64, v, 48, "mrSignerSeam");
      return this;
    }

    public Builder tdAttributes(long bits) {
      Le.put64(b, 120, bits);
      return this;
    }

    public Builder xfam(long v) {
      Le.put64(b, 128, v);
      return this;
    }

    public Builder mrTd(byte[] v) {
      Le.put(b, 136, v, 48, "mrTd");
      return this;
    }

    public Builder mrConfigId(byte[] v) {
      Le.put(b, 184, v, 48, "mrConfigId");
      return this;
    }

    public Builder mrOwner(byte[] v) {
      Le.put(b, 232, v, 48, "mrOwner");
      return this;
    }

    public Builder mrOwnerConfig(byte[] v) {
      Le.put(b, 280, v, 48, "mrOwnerConfig");
      return this;
    }

    public Builder rtmr(int index, byte[] v) {
      if (index < 0 || index > 3) {
        throw new IllegalArgumentException("RTMR index must be 0..3");
      }
      Le.put(b, 328 + 48 * index, v, 48, "rtmr" + index);
      return this;
    }

    public Builder reportData(byte[] v) {
      Le.put(b, 520, v, 64, "reportData");
      return this;
    }

    public TdReportBody build() {
      return new TdReportBody(b.clone());
    }
  }
}
