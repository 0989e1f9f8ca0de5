package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.ByteReader;
import java.util.Arrays;

/**
 * A parsed DCAP ECDSA quote: SGX v3 (and v4 with tee_type SGX), TDX v4 and v5 (body types 1, 2, 3),
 * with certification data type 5 (PEM PCK chain), nested in type 6 for v4/v5. Parsing follows the
 * length fields; bytes after the quote are exposed as {@link #trailingBytes()} and must be zero
 * padding. Immutable.
 */
public final class Quote {
  /** Body types of the v5 body descriptor. */
  public static final int BODY_SGX = 1, BODY_TD10 = 2, BODY_TD15 = 3;

  public static final int CERT_TYPE_PCK_CHAIN = 5, CERT_TYPE_QE_REPORT = 6;

  private final byte[] raw;
  private final QuoteHeader header;
  private final int bodyType;
  private final ReportBody body;
  private final int signedLength;
  private final byte[] signature;
  private final byte[] attestationKey;
  private final SgxReportBody qeReport;
  private final byte[] qeReportSignature;
  private final byte[] qeAuthData;
  private final int certificationDataType;
  private final byte[] certificationData;
  private final int length;
  private final int certificationDataOffset;

  private Quote(
      byte[] raw,
      QuoteHeader header,
      int bodyType,
      ReportBody body,
      int signedLength,
      byte[] signature,
      byte[] attestationKey,
      SgxReportBody qeReport,
      byte[] qeReportSignature,
      byte[] qeAuthData,
      int certificationDataType,
      byte[] certificationData,
      int length,
      int certificationDataOffset) {
    this.raw = raw;
    this.header = header;
    this.bodyType = bodyType;
    this.body = body;
    this.signedLength = signedLength;
    this.signature = signature;
    this.attestationKey = attestationKey;
    this.qeReport = qeReport;
    this.qeReportSignature = qeReportSignature;
    this.qeAuthData = qeAuthData;
    this.certificationDataType = certificationDataType;
    this.certificationData = certificationData;
    this.length = length;
    this.certificationDataOffset = certificationDataOffset;
  }

  /**
   * Parses a quote. Fails with {@link Kind#MALFORMED_QUOTE} or {@link Kind#UNSUPPORTED_QUOTE},
   * naming the offset and field, on anything it cannot read, including non-zero bytes after the
   * quote.
   */
  public static Quote parse(byte[] input) throws QuoteVerificationException {
    byte[] raw = input.clone();
    ByteReader r = new ByteReader(raw);
    QuoteHeader header = new QuoteHeader(r.bytes(QuoteHeader.SIZE, "header"));
    int version = header.version();
    if (version < 3 || version > 5) {
      throw unsupported(0, "header.version", "unsupported quote version " + version);
    }
    if (header.attestationKeyType() != 2) {
      throw unsupported(
          2,
          "header.att_key_type",
          "unsupported attestation key type "
              + header.attestationKeyType()
              + " (only 2 = ECDSA-P256)");
    }
    long tee = header.rawTeeType();
    if (version == 3 && tee != 0) {
      throw unsupported(
          4, "header.att_key_data_0", "v3 quote with non-zero reserved att_key_data_0");
    }
    if (tee != TeeType.SGX.code() && tee != TeeType.TDX.code()) {
      throw unsupported(4, "header.tee_type", String.format("unsupported tee_type 0x%08x", tee));
    }
    if (!Arrays.equals(header.qeVendorId(), QuoteHeader.INTEL_QE_VENDOR_ID)) {
      throw unsupported(12, "header.qe_vendor_id", "QE vendor is not Intel");
    }
    int bodyType;
    int bodySize;
    if (version == 5) {
      int at = r.offset();
      bodyType = r.u16("body.type");
      int sizeAt = r.offset();
      long declared = r.u32("body.size");
      int expectedType = header.teeType() == TeeType.SGX ? BODY_SGX : -1;
      if (bodyType < BODY_SGX || bodyType > BODY_TD15) {
        throw unsupported(at, "body.type", "unsupported v5 body type " + bodyType);
      }
      if ((bodyType == BODY_SGX) != (expectedType == BODY_SGX)) {
        throw ByteReader.fail(
            at, "body.type", "body type " + bodyType + " does not match tee_type");
      }
      bodySize =
          bodyType == BODY_SGX
              ? SgxReportBody.SIZE
              : bodyType == BODY_TD10 ? TdReportBody.SIZE_1_0 : TdReportBody.SIZE_1_5;
      if (declared != bodySize) {
        throw ByteReader.fail(
            sizeAt,
            "body.size",
            "body size " + declared + " != " + bodySize + " for body type " + bodyType);
      }
    } else {
      bodyType = header.teeType() == TeeType.SGX ? BODY_SGX : BODY_TD10;
      bodySize = bodyType == BODY_SGX ? SgxReportBody.SIZE : TdReportBody.SIZE_1_0;
    }
    byte[] bodyBytes = r.bytes(bodySize, "body");
    ReportBody body =
        bodyType == BODY_SGX ? SgxReportBody.decode(bodyBytes) : TdReportBody.decode(bodyBytes);
    int signedLength = r.offset();
    int sigLen = r.length32("signature_data_len");
    ByteReader s = r.slice(sigLen, "signature_data");
    int end = r.offset();
    for (int i = end; i < raw.length; i++) {
      if (raw[i] != 0) {
        throw ByteReader.fail(
            i,
            "trailing_padding",
            "non-zero byte after the end of the quote (quote ends at " + end + ")");
      }
    }
    byte[] signature = s.bytes(64, "signature_data.quote_signature");
    byte[] ak = s.bytes(64, "signature_data.attestation_key");
    ByteReader qe;
    if (version == 3) {
      qe = s;
    } else {
      int typeAt = s.offset();
      int outerType = s.u16("signature_data.certification_data_type");
      if (outerType != CERT_TYPE_QE_REPORT) {
        throw unsupported(
            typeAt,
            "signature_data.certification_data_type",
            "v" + version + " quote needs certification data type 6, got " + outerType);
      }
      int outerLen = s.length32("signature_data.certification_data_size");
      qe = s.slice(outerLen, "qe_report_certification_data");
      s.expectEnd("signature data");
    }
    SgxReportBody qeReport = SgxReportBody.decode(qe.bytes(SgxReportBody.SIZE, "qe_report"));
    byte[] qeSig = qe.bytes(64, "qe_report_signature");
    int authLen = qe.u16("qe_auth_data_size");
    byte[] auth = qe.bytes(authLen, "qe_auth_data");
    int typeAt = qe.offset();
    int certType = qe.u16("certification_data_type");
    if (certType < 1 || certType > 7) {
      throw ByteReader.fail(
          typeAt, "certification_data_type", "invalid certification data type " + certType);
    }
    if (certType != CERT_TYPE_PCK_CHAIN) {
      throw unsupported(
          typeAt,
          "certification_data_type",
          "unsupported certification data type "
              + certType
              + " (only 5 = PCK certificate chain is supported)");
    }
    int certLen = qe.length32("certification_data_size");
    int certAt = qe.offset();
    byte[] certData = qe.bytes(certLen, "certification_data");
    qe.expectEnd("certification data");
    return new Quote(
        raw,
        header,
        bodyType,
        body,
        signedLength,
        signature,
        ak,
        qeReport,
        qeSig,
        auth,
        certType,
        certData,
        end,
        certAt);
  }

  private static QuoteVerificationException unsupported(int offset, String field, String message) {
    return new QuoteVerificationException(Kind.UNSUPPORTED_QUOTE, message, offset, field, null);
  }

  public QuoteHeader header() {
    return header;
  }

  public int version() {
    return header.version();
  }

  public TeeType teeType() {
    return header.teeType();
  }

  /**
   * 1 = SGX enclave report, 2 = TD report 1.0, 3 = TD report 1.5 (for v3/v4 quotes: implied by the
   * TEE).
   */
  public int bodyType() {
    return bodyType;
  }

  public ReportBody body() {
    return body;
  }

  /** The SGX body, or an exception for TDX quotes. */
  public SgxReportBody sgxBody() {
    if (body instanceof SgxReportBody b) {
      return b;
    }
    throw new IllegalStateException("not an SGX quote");
  }

  /** The TD body, or an exception for SGX quotes. */
  public TdReportBody tdBody() {
    if (body instanceof TdReportBody b) {
      return b;
    }
    throw new IllegalStateException("not a TDX quote");
  }

  public byte[] reportData() {
    return body.reportData();
  }

  /** The bytes covered by the quote signature: header (+ v5 body descriptor) + body. */
  public byte[] signedRegion() {
    return Arrays.copyOf(raw, signedLength);
  }

  /** Quote signature r||s (by the attestation key). */
  public byte[] signature() {
    return signature.clone();
  }

  /** Attestation public key X||Y (P-256). */
  public byte[] attestationKey() {
    return attestationKey.clone();
  }

  public SgxReportBody qeReport() {
    return qeReport;
  }

  /** QE report signature r||s (by the PCK key). */
  public byte[] qeReportSignature() {
    return qeReportSignature.clone();
  }

  public byte[] qeAuthData() {
    return qeAuthData.clone();
  }

  public int certificationDataType() {
    return certificationDataType;
  }

  /** The certification data: for type 5 the PEM PCK chain, often NUL-terminated. */
  public byte[] certificationData() {
    return certificationData.clone();
  }

  /** Offset of the certification data (the PEM PCK chain) in the quote. */
  public int certificationDataOffset() {
    return certificationDataOffset;
  }

  /** Bytes consumed by the quote according to its length fields. */
  public int length() {
    return length;
  }

  /** Zero padding after the quote in the input. */
  public int trailingBytes() {
    return raw.length - length;
  }

  /** The input bytes. */
  public byte[] encoded() {
    return raw.clone();
  }
}
