package io.attest402.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Verification collateral in the dcap-qvl {@code QuoteCollateralV3} shape used by the test vectors:
 * PEM issuer chains, DER CRLs (hex in JSON; empty = not provided), the TCB info and QE identity as
 * their exact signed JSON text with raw r||s signatures, and optionally the PCK certificate chain.
 * Immutable.
 */
public final class Collateral {
  private final String pckCrlIssuerChain;
  private final byte[] rootCaCrl;
  private final byte[] pckCrl;
  private final String tcbInfoIssuerChain;
  private final String tcbInfo;
  private final byte[] tcbInfoSignature;
  private final String qeIdentityIssuerChain;
  private final String qeIdentity;
  private final byte[] qeIdentitySignature;
  private final String pckCertificateChain;

  /**
   * SHA-256 over every field, computed once: what a verifier caches this collateral's checks by.
   */
  private volatile String digest;

  private Collateral(Builder b) {
    this.pckCrlIssuerChain = nz(b.pckCrlIssuerChain);
    this.rootCaCrl = b.rootCaCrl == null ? new byte[0] : b.rootCaCrl.clone();
    this.pckCrl = b.pckCrl == null ? new byte[0] : b.pckCrl.clone();
    this.tcbInfoIssuerChain = Objects.requireNonNull(b.tcbInfoIssuerChain, "tcbInfoIssuerChain");
    this.tcbInfo = Objects.requireNonNull(b.tcbInfo, "tcbInfo");
    this.tcbInfoSignature = Objects.requireNonNull(b.tcbInfoSignature, "tcbInfoSignature").clone();
    this.qeIdentityIssuerChain =
        Objects.requireNonNull(b.qeIdentityIssuerChain, "qeIdentityIssuerChain");
    this.qeIdentity = Objects.requireNonNull(b.qeIdentity, "qeIdentity");
    this.qeIdentitySignature =
        Objects.requireNonNull(b.qeIdentitySignature, "qeIdentitySignature").clone();
    this.pckCertificateChain = b.pckCertificateChain;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Reads the JSON format of the test vectors (binary fields as hex strings or arrays of byte
   * values).
   */
  public static Collateral fromJson(String json) throws QuoteVerificationException {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (n == null || !n.isObject()) {
        throw new QuoteVerificationException(
            Kind.INVALID_COLLATERAL, "collateral is not a JSON object");
      }
      return builder()
          .pckCrlIssuerChain(optText(n, "pck_crl_issuer_chain"))
          .rootCaCrl(bin(n, "root_ca_crl", false))
          .pckCrl(bin(n, "pck_crl", false))
          .tcbInfoIssuerChain(text(n, "tcb_info_issuer_chain"))
          .tcbInfo(text(n, "tcb_info"))
          .tcbInfoSignature(bin(n, "tcb_info_signature", true))
          .qeIdentityIssuerChain(text(n, "qe_identity_issuer_chain"))
          .qeIdentity(text(n, "qe_identity"))
          .qeIdentitySignature(bin(n, "qe_identity_signature", true))
          .pckCertificateChain(
              n.hasNonNull("pck_certificate_chain") ? text(n, "pck_certificate_chain") : null)
          .build();
    } catch (IOException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "collateral is not valid JSON: " + e.getMessage(), e);
    }
  }

  public static Collateral fromJson(byte[] json) throws QuoteVerificationException {
    return fromJson(new String(json, StandardCharsets.UTF_8));
  }

  private static String text(JsonNode n, String f) throws QuoteVerificationException {
    JsonNode v = n.get(f);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "collateral field '" + f + "' is missing");
    }
    return v.asText();
  }

  private static String optText(JsonNode n, String f) throws QuoteVerificationException {
    JsonNode v = n.get(f);
    if (v == null || v.isNull()) {
      return "";
    }
    if (!v.isTextual()) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "collateral field '" + f + "' is not text");
    }
    return v.asText();
  }

  private static byte[] bin(JsonNode n, String f, boolean required)
      throws QuoteVerificationException {
    JsonNode v = n.get(f);
    try {
      if (v == null || v.isNull()) {
        if (required) {
          throw new IllegalArgumentException("missing");
        }
        return new byte[0];
      }
      if (v.isTextual()) {
        byte[] b = Hex.decode(v.asText());
        if (required && b.length == 0) {
          throw new IllegalArgumentException("empty");
        }
        return b;
      }
      if (v.isArray()) {
        byte[] b = new byte[v.size()];
        for (int i = 0; i < b.length; i++) {
          JsonNode e = v.get(i);
          if (!e.isInt() || e.intValue() < 0 || e.intValue() > 255) {
            throw new IllegalArgumentException("array element " + i + " is not a byte");
          }
          b[i] = (byte) e.intValue();
        }
        return b;
      }
      throw new IllegalArgumentException("neither hex nor a byte array");
    } catch (IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "collateral field '" + f + "' is invalid: " + e.getMessage(), e);
    }
  }

  /** The JSON format of the test vectors (binary fields lowercase hex). */
  public String toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("pck_crl_issuer_chain", pckCrlIssuerChain);
    o.put("root_ca_crl", Hex.encode(rootCaCrl));
    o.put("pck_crl", Hex.encode(pckCrl));
    o.put("tcb_info_issuer_chain", tcbInfoIssuerChain);
    o.put("tcb_info", tcbInfo);
    o.put("tcb_info_signature", Hex.encode(tcbInfoSignature));
    o.put("qe_identity_issuer_chain", qeIdentityIssuerChain);
    o.put("qe_identity", qeIdentity);
    o.put("qe_identity_signature", Hex.encode(qeIdentitySignature));
    if (pckCertificateChain != null) {
      o.put("pck_certificate_chain", pckCertificateChain);
    }
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String pckCrlIssuerChain() {
    return pckCrlIssuerChain;
  }

  /** DER root CA CRL; empty when not provided. */
  public byte[] rootCaCrl() {
    return rootCaCrl.clone();
  }

  /** DER PCK CRL; empty when not provided. */
  public byte[] pckCrl() {
    return pckCrl.clone();
  }

  public String tcbInfoIssuerChain() {
    return tcbInfoIssuerChain;
  }

  /** The exact signed text of the tcbInfo object. */
  public String tcbInfo() {
    return tcbInfo;
  }

  public byte[] tcbInfoSignature() {
    return tcbInfoSignature.clone();
  }

  public String qeIdentityIssuerChain() {
    return qeIdentityIssuerChain;
  }

  /** The exact signed text of the enclaveIdentity object. */
  public String qeIdentity() {
    return qeIdentity;
  }

  public byte[] qeIdentitySignature() {
    return qeIdentitySignature.clone();
  }

  /** PCK chain to use instead of the quote's certification data, or null. */
  public String pckCertificateChain() {
    return pckCertificateChain;
  }

  /** True when both CRLs are present. */
  public boolean hasCrls() {
    return rootCaCrl.length > 0 && pckCrl.length > 0;
  }

  /** SHA-256 (hex) over every field, each length-prefixed; equal digests mean equal collateral. */
  String digest() {
    String d = digest;
    if (d == null) {
      try {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (byte[] f :
            new byte[][] {
              utf8(pckCrlIssuerChain),
              rootCaCrl,
              pckCrl,
              utf8(tcbInfoIssuerChain),
              utf8(tcbInfo),
              tcbInfoSignature,
              utf8(qeIdentityIssuerChain),
              utf8(qeIdentity),
              qeIdentitySignature,
              pckCertificateChain == null ? null : utf8(pckCertificateChain)
            }) {
          int len = f == null ? -1 : f.length;
          md.update(
              new byte[] {
                (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len
              });
          if (f != null) {
            md.update(f);
          }
        }
        d = Hex.encode(md.digest());
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      digest = d;
    }
    return d;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  public Builder toBuilder() {
    return builder()
        .pckCrlIssuerChain(pckCrlIssuerChain)
        .rootCaCrl(rootCaCrl)
        .pckCrl(pckCrl)
        .tcbInfoIssuerChain(tcbInfoIssuerChain)
        .tcbInfo(tcbInfo)
        .tcbInfoSignature(tcbInfoSignature)
        .qeIdentityIssuerChain(qeIdentityIssuerChain)
        .qeIdentity(qeIdentity)
        .qeIdentitySignature(qeIdentitySignature)
        .pckCertificateChain(pckCertificateChain);
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private String pckCrlIssuerChain;
    private byte[] rootCaCrl;
    private byte[] pckCrl;
    private String tcbInfoIssuerChain;
    private String tcbInfo;
    private byte[] tcbInfoSignature;
    private String qeIdentityIssuerChain;
    private String qeIdentity;
    private byte[] qeIdentitySignature;
    private String pckCertificateChain;

    private Builder() {}

    public Builder pckCrlIssuerChain(String v) {
      pckCrlIssuerChain = v;
      return this;
    }

    public Builder rootCaCrl(byte[] v) {
      rootCaCrl = v;
      return this;
    }

    public Builder pckCrl(byte[] v) {
      pckCrl = v;
      return this;
    }

    public Builder tcbInfoIssuerChain(String v) {
      tcbInfoIssuerChain = v;
      return this;
    }

    public Builder tcbInfo(String v) {
      tcbInfo = v;
      return this;
    }

    public Builder tcbInfoSignature(byte[] v) {
      tcbInfoSignature = v;
      return this;
    }

    public Builder qeIdentityIssuerChain(String v) {
      qeIdentityIssuerChain = v;
      return this;
    }

    public Builder qeIdentity(String v) {
      qeIdentity = v;
      return this;
    }

    public Builder qeIdentitySignature(byte[] v) {
      qeIdentitySignature = v;
      return this;
    }

    public Builder pckCertificateChain(String v) {
      pckCertificateChain = v;
      return this;
    }

    public Collateral build() {
      return new Collateral(this);
    }
  }
}
