package io.attest402.verifier;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * The one exception the verifier raises. {@link #kind()} says what failed; parse failures also
 * carry the byte {@link #offset()} in the quote and the name of the {@link #field()} being read.
 */
public final class QuoteVerificationException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, coarse enough to branch on. */
  public enum Kind {
    /**
     * The quote bytes do not follow the DCAP format (bad length, impossible value, inconsistent
     * sizes).
     */
    MALFORMED_QUOTE,
    /**
     * Well-formed but not supported (version, key type, TEE type, certification data type, ...).
     */
    UNSUPPORTED_QUOTE,
    /** Collateral missing, unparsable or inconsistent. */
    INVALID_COLLATERAL,
    /**
     * Collateral (TCB info, QE identity, CRL) or a certificate is outside its validity window at
     * the given time.
     */
    EXPIRED_OR_NOT_YET_VALID,
    /** A certificate chain does not verify (signature, CN, structure). */
    INVALID_CERTIFICATE_CHAIN,
    /**
     * The chain does not end at a trusted root (the pinned Intel SGX Root CA or a policy extra
     * anchor).
     */
    UNTRUSTED_ROOT,
    /**
     * The quote is signed by the attest402 simulation CA and the policy does not allow simulated
     * quotes.
     */
    SIMULATED_REJECTED,
    /** A certificate in a chain is revoked by a CRL. */
    REVOKED_CERTIFICATE,
    /** A CRL signature or issuer is wrong. */
    INVALID_CRL,
    /** TCB info signature invalid. */
    INVALID_TCB_INFO_SIGNATURE,
    /** QE identity signature invalid. */
    INVALID_QE_IDENTITY_SIGNATURE,
    /** TCB info does not apply to this platform or TEE (FMSPC, PCE-ID, id, version, TDX module). */
    TCB_INFO_MISMATCH,
    /** QE report signature by the PCK key invalid. */
    INVALID_QE_REPORT_SIGNATURE,
    /** QE report data does not bind the attestation key and QE auth data. */
    QE_REPORT_DATA_MISMATCH,
    /**
     * The QE report does not match the QE identity (MRSIGNER, ISVPRODID, MISCSELECT, ATTRIBUTES,
     * id).
     */
    QE_IDENTITY_MISMATCH,
    /** The quote signature by the attestation key is invalid. */
    INVALID_QUOTE_SIGNATURE,
    /** No TCB level (platform, TDX module or QE) matches (Intel: STATUS_TCB_NOT_SUPPORTED). */
    TCB_NOT_SUPPORTED,
    /** The TCB status is Revoked. */
    TCB_REVOKED,
    /**
     * The quote is genuine but the policy rejects it (status, debug, measurements, report data,
     * ...).
     */
    POLICY_VIOLATION
  }

  private final Kind kind;
  private final int offset;
  private final String field;

  public QuoteVerificationException(Kind kind, String message) {
    this(kind, message, -1, null, null);
  }

  public QuoteVerificationException(Kind kind, String message, Throwable cause) {
    this(kind, message, -1, null, cause);
  }

  public QuoteVerificationException(
      Kind kind, String message, int offset, String field, Throwable cause) {
    super(format(message, offset, field), cause);
    this.kind = Objects.requireNonNull(kind, "kind");
    this.offset = offset;
    this.field = field;
  }

  static QuoteVerificationException at(Kind kind, int offset, String field, String message) {
    return new QuoteVerificationException(kind, message, offset, field, null);
  }

  private static String format(String message, int offset, String field) {
    if (offset < 0 && field == null) {
      return message;
    }
    return message + " (field " + field + " at offset " + offset + ")";
  }

  public Kind kind() {
    return kind;
  }

  /** Byte offset in the quote of the field that failed to parse, if this is a parse failure. */
  public OptionalInt offset() {
    return offset < 0 ? OptionalInt.empty() : OptionalInt.of(offset);
  }

  /** Name of the quote field that failed to parse, or null. */
  public String field() {
    return field;
  }
}
