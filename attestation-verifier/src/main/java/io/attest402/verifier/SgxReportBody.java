package io.attest402.verifier;

import io.attest402.verifier.internal.Le;

/**
 * SGX enclave report body (sgx_report_body_t, 384 bytes): the body of SGX quotes and the format of
 * the QE report. Immutable; every accessor returns a fresh copy.
 */
public final class SgxReportBody implements ReportBody {
  public static final int SIZE = 384;

  /** ATTRIBUTES.FLAGS bits. */
  public static final long FLAG_INIT = 1L,
      FLAG_DEBUG = 1L << 1,
      FLAG_MODE64BIT = 1L << 2,
      FLAG_PROVISIONKEY = 1L << 4,
      FLAG_EINITTOKENKEY = 1L << 5,
      FLAG_KSS = 1L << 7;

  private final byte[] raw;

  private SgxReportBody(byte[] raw) {
    this.raw = raw;
  }

  /** Decodes exactly 384 bytes. */
  public static SgxReportBody decode(byte[] raw) {
    if (raw.length != SIZE) {
      throw new IllegalArgumentException(
          "SGX report body must be " + SIZE + " bytes, got " + raw.length);
    }
    return new SgxReportBody(raw.clone());
  }

  public byte[] cpuSvn() {
    return Le.slice(raw, 0, 16);
  }

  public long miscSelect() {
    return Le.u32(raw, 16);
  }

  public byte[] reserved1() {
    return Le.slice(raw, 20, 12);
  }

  public byte[] isvExtProdId() {
    return Le.slice(raw, 32, 16);
  }

  /** The 16 ATTRIBUTES bytes: FLAGS (u64 LE) then XFRM (u64 LE). */
  public byte[] attributes() {
    return Le.slice(raw, 48, 16);
  }

  public long attributeFlags() {
    return Le.u64(raw, 48);
  }

  public long xfrm() {
    return Le.u64(raw, 56);
  }

  public boolean debug() {
    return (attributeFlags() & FLAG_DEBUG) != 0;
  }

  public byte[] mrEnclave() {
    return Le.slice(raw, 64, 32);
  }

  public byte[] reserved2() {
    return Le.slice(raw, 96, 32);
  }

  public byte[] mrSigner() {
    return Le.slice(raw, 128, 32);
  }

  public byte[] reserved3() {
    return Le.slice(raw, 160, 32);
  }

  public byte[] configId() {
    return Le.slice(raw, 192, 64);
  }

  public int isvProdId() {
    return Le.u16(raw, 256);
  }

  public int isvSvn() {
    return Le.u16(raw, 258);
  }

  public int configSvn() {
    return Le.u16(raw, 260);
  }

  public byte[] reserved4() {
    return Le.slice(raw, 262, 42);
  }

  public byte[] isvFamilyId() {
    return Le.slice(raw, 304, 16);
  }

  @Override
  public byte[] reportData() {
    return Le.slice(raw, 320, 64);
  }

  @Override
  public byte[] encoded() {
    return raw.clone();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a report body (used by the simulator and by tests); unset fields are zero. */
  public static final class Builder {
    private final byte[] b = new byte[SIZE];

    private Builder() {}

    public Builder cpuSvn(byte[] v) {
      Le.put(b, 0, v, 16, "cpuSvn");
      return this;
    }

    public Builder miscSelect(long v) {
      Le.put32(b, 16, v);
      return this;
    }

    public Builder isvExtProdId(byte[] v) {
      Le.put(b, 32, v, 16, "isvExtProdId");
      return this;
    }

    public Builder attributes(byte[] v) {
      Le.put(b, 48, v, 16, "attributes");
      return this;
    }

    public Builder attributeFlags(long flags) {
      Le.put64(b, 48, flags);
      return this;
    }

    public Builder xfrm(long v) {
      Le.put64(b, 56, v);
      return this;
    }

    public Builder mrEnclave(byte[] v) {
      Le.put(b, 64, v, 32, "mrEnclave");
      return this;
    }

    public Builder mrSigner(byte[] v) {
      Le.put(b, 128, v, 32, "mrSigner");
      return this;
    }

    public Builder configId(byte[] v) {
      Le.put(b, 192, v, 64, "configId");
      return this;
    }

    public Builder isvProdId(int v) {
      Le.put16(b, 256, v);
      return this;
    }

    public Builder isvSvn(int v) {
      Le.put16(b, 258, v);
      return this;
    }

    public Builder configSvn(int v) {
      Le.put16(b, 260, v);
      return this;
    }

    public Builder isvFamilyId(byte[] v) {
      Le.put(b, 304, v, 16, "isvFamilyId");
      return this;
    }

    public Builder reportData(byte[] v) {
      Le.put(b, 320, v, 64, "reportData");
      return this;
    }

    public SgxReportBody build() {
      return new SgxReportBody(b.clone());
    }
  }
}
