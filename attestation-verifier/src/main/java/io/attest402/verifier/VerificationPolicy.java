package io.attest402.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.Pem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a verified quote must satisfy to be accepted. Defaults are strict: only UpToDate, no debug
 * enclaves or TDs, SEPT_VE_DISABLE required for TDX, no service TDs, no simulated quotes, CRLs
 * required, and a measurement pin required (MRENCLAVE, or MRSIGNER + ISVPRODID, or MRTD / RTMRs)
 * unless {@code allowAnyMeasurement} says otherwise. Simulated quotes are trusted only through a
 * simulation root pinned by the SHA-256 of its DER ({@code simulationRoots}), never by its name.
 * Immutable.
 *
 * <p>JSON form (every key optional; unknown keys are an error): {@code
 * {"acceptedStatuses":["UpToDate"], "allowDebug":false, "requireSeptVeDisable":true,
 * "allowServiceTd":false, "simulationRoots":["sha256 hex"], "allowAnyMeasurement":false,
 * "requireCrls":true, "rejectTrailingBytes":false, "mrEnclave":"hex32", "mrSigner":"hex32",
 * "isvProdId":0, "minIsvSvn":0, "mrTd":"hex48", "rtmr0".."rtmr3":"hex48", "reportData":"hex32 or
 * hex64", "extraTrustAnchors":["-----BEGIN CERTIFICATE-----..."]}}.
 */
public final class VerificationPolicy {
  private final Set<TcbStatus> acceptedStatuses;
  private final boolean allowDebug;
  private final boolean requireSeptVeDisable;
  private final boolean allowServiceTd;
  private final Set<String> simulationRoots;
  private final boolean allowAnyMeasurement;
  private final boolean requireCrls;
  private final boolean rejectTrailingBytes;
  private final byte[] mrEnclave;
  private final byte[] mrSigner;
  private final Integer isvProdId;
  private final Integer minIsvSvn;
  private final byte[] mrTd;
  private final byte[][] rtmrs;
  private final byte[] reportData;
  private final List<X509Certificate> extraTrustAnchors;

  private VerificationPolicy(Builder b) {
    if (b.acceptedStatuses.contains(TcbStatus.REVOKED)) {
      throw new IllegalArgumentException("a policy cannot accept Revoked");
    }
    this.acceptedStatuses = Collections.unmodifiableSet(EnumSet.copyOf(b.acceptedStatuses));
    this.allowDebug = b.allowDebug;
    this.requireSeptVeDisable = b.requireSeptVeDisable;
    this.allowServiceTd = b.allowServiceTd;
    if (b.mrSigner != null && b.isvProdId == null) {
      throw new IllegalArgumentException(
          "a MRSIGNER pin needs ISVPRODID too: one signer signs many enclaves");
    }
    if (b.minIsvSvn != null && b.mrSigner == null) {
      throw new IllegalArgumentException(
          "minIsvSvn only means something with a MRSIGNER + ISVPRODID pin");
    }
    this.simulationRoots = Collections.unmodifiableSet(new TreeSet<>(b.simulationRoots));
    this.allowAnyMeasurement = b.allowAnyMeasurement;
    this.requireCrls = b.requireCrls;
    this.rejectTrailingBytes = b.rejectTrailingBytes;
    this.mrEnclave = b.mrEnclave;
    this.mrSigner = b.mrSigner;
    this.isvProdId = b.isvProdId;
    this.minIsvSvn = b.minIsvSvn;
    this.mrTd = b.mrTd;
    this.rtmrs = b.rtmrs.clone();
    this.reportData = b.reportData;
    this.extraTrustAnchors = List.copyOf(b.extraTrustAnchors);
  }

  /** The default policy: UpToDate only, everything else strict. */
  public static VerificationPolicy defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.acceptedStatuses = EnumSet.copyOf(acceptedStatuses);
    b.allowDebug = allowDebug;
    b.requireSeptVeDisable = requireSeptVeDisable;
    b.allowServiceTd = allowServiceTd;
    b.simulationRoots = new TreeSet<>(simulationRoots);
    b.allowAnyMeasurement = allowAnyMeasurement;
    b.requireCrls = requireCrls;
    b.rejectTrailingBytes = rejectTrailingBytes;
    b.mrEnclave = mrEnclave;
    b.mrSigner = mrSigner;
    b.isvProdId = isvProdId;
    b.minIsvSvn = minIsvSvn;
    b.mrTd = mrTd;
    b.rtmrs = rtmrs.clone();
    b.reportData = reportData;
    b.extraTrustAnchors = new ArrayList<>(extraTrustAnchors);
    return b;
  }

  public Set<TcbStatus> acceptedStatuses() {
    return acceptedStatuses;
  }

  public boolean allowDebug() {
    return allowDebug;
  }

  public boolean requireSeptVeDisable() {
    return requireSeptVeDisable;
  }

  public boolean allowServiceTd() {
    return allowServiceTd;
  }

  /**
   * SHA-256 (lowercase hex) of the DER of each simulation root CA this policy trusts; empty = no
   * simulation.
   */
  public Set<String> simulationRoots() {
    return simulationRoots;
  }

  /** True when at least one simulation root is pinned (derived from {@link #simulationRoots()}). */
  public boolean allowSimulated() {
    return !simulationRoots.isEmpty();
  }

  /**
   * When true, a policy that pins no measurement accepts any genuine enclave or TD (the verdict
   * says so).
   */
  public boolean allowAnyMeasurement() {
    return allowAnyMeasurement;
  }

  /**
   * True when the policy pins the code: MRENCLAVE, or MRSIGNER + ISVPRODID, or MRTD, or an RTMR.
   */
  public boolean pinsMeasurement() {
    if (mrEnclave != null || mrSigner != null || mrTd != null) {
      return true;
    }
    for (byte[] r : rtmrs) {
      if (r != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * When true (the default), collateral without CRLs is rejected; when false, missing CRLs skip
   * revocation.
   */
  public boolean requireCrls() {
    return requireCrls;
  }

  public boolean rejectTrailingBytes() {
    return rejectTrailingBytes;
  }

  public Optional<byte[]> mrEnclave() {
    return opt(mrEnclave);
  }

  public Optional<byte[]> mrSigner() {
    return opt(mrSigner);
  }

  public Optional<Integer> isvProdId() {
    return Optional.ofNullable(isvProdId);
  }

  public Optional<Integer> minIsvSvn() {
    return Optional.ofNullable(minIsvSvn);
  }

  public Optional<byte[]> mrTd() {
    return opt(mrTd);
  }

  public Optional<byte[]> rtmr(int i) {
    return opt(rtmrs[i]);
  }

  /** Expected REPORTDATA: 64 bytes, or 32 bytes compared with its first half. */
  public Optional<byte[]> reportData() {
    return opt(reportData);
  }

  public List<X509Certificate> extraTrustAnchors() {
    return extraTrustAnchors;
  }

  private static Optional<byte[]> opt(byte[] b) {
    return b == null ? Optional.empty() : Optional.of(b.clone());
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Reads the JSON form described in the class comment; IllegalArgumentException on unknown keys or
   * bad values.
   */
  public static VerificationPolicy fromJson(String json) {
    JsonNode n;
    try {
      n = MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("policy is not valid JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("policy must be a JSON object");
    }
    Builder b = builder();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      JsonNode v = n.get(k);
      switch (k) {
        case "acceptedStatuses" -> {
          if (!v.isArray()) {
            throw new IllegalArgumentException("acceptedStatuses must be an array");
          }
          List<TcbStatus> s = new ArrayList<>();
          for (JsonNode e : v) {
            s.add(TcbStatus.fromText(e.asText()));
          }
          b.acceptedStatuses(s.toArray(new TcbStatus[0]));
        }
        case "allowDebug" -> b.allowDebug(bool(k, v));
        case "requireSeptVeDisable" -> b.requireSeptVeDisable(bool(k, v));
        case "allowServiceTd" -> b.allowServiceTd(bool(k, v));
        case "allowSimulated" ->
            throw new IllegalArgumentException(
                "policy key 'allowSimulated' is no longer "
                    + "supported: pin the simulation root instead with \"simulationRoots\": [\"<sha256 hex of the "
                    + "root certificate DER>\"]");
        case "simulationRoots" -> {
          if (!v.isArray()) {
            throw new IllegalArgumentException(
                "simulationRoots must be an array of SHA-256 hex strings");
          }
          for (JsonNode e : v) {
            if (!e.isTextual()) {
              throw new IllegalArgumentException(
                  "simulationRoots must be an array of SHA-256 hex strings");
            }
            b.trustSimulationRoot(e.asText());
          }
        }
        case "allowAnyMeasurement" -> b.allowAnyMeasurement(bool(k, v));
        case "requireCrls" -> b.requireCrls(bool(k, v));
        case "rejectTrailingBytes" -> b.rejectTrailingBytes(bool(k, v));
        case "mrEnclave" -> b.mrEnclave(hex(k, v));
        case "mrSigner" -> b.mrSigner(hex(k, v));
        case "isvProdId" -> b.isvProdId(integer(k, v));
        case "minIsvSvn" -> b.minIsvSvn(integer(k, v));
        case "mrTd" -> b.mrTd(hex(k, v));
        case "rtmr0", "rtmr1", "rtmr2", "rtmr3" -> b.rtmr(k.charAt(4) - '0', hex(k, v));
        case "reportData" -> b.reportData(hex(k, v));
        case "extraTrustAnchors" -> {
          if (!v.isArray()) {
            throw new IllegalArgumentException("extraTrustAnchors must be an array of PEM strings");
          }
          for (JsonNode e : v) {
            try {
              for (X509Certificate c :
                  Pem.parseChain(e.asText().getBytes(StandardCharsets.US_ASCII))) {
                b.addTrustAnchor(c);
              }
            } catch (CertificateException | IllegalArgumentException ex) {
              throw new IllegalArgumentException("extraTrustAnchors: " + ex.getMessage(), ex);
            }
          }
        }
        default -> throw new IllegalArgumentException("unknown policy key '" + k + "'");
      }
    }
    return b.build();
  }

  /**
   * This policy in the JSON form {@link #fromJson} reads (every key written, in the order of the
   * class comment; hex lowercase), so that a client elsewhere (the demo's web page) applies the
   * same pins: {@code fromJson(p.toJson())} is {@code p}.
   */
  public String toJson() {
    com.fasterxml.jackson.databind.node.ObjectNode o = MAPPER.createObjectNode();
    com.fasterxml.jackson.databind.node.ArrayNode statuses = o.putArray("acceptedStatuses");
    acceptedStatuses.forEach(s -> statuses.add(s.text()));
    o.put("allowDebug", allowDebug);
    o.put("requireSeptVeDisable", requireSeptVeDisable);
    o.put("allowServiceTd", allowServiceTd);
    com.fasterxml.jackson.databind.node.ArrayNode roots = o.putArray("simulationRoots");
    simulationRoots.forEach(roots::add);
    o.put("allowAnyMeasurement", allowAnyMeasurement);
    o.put("requireCrls", requireCrls);
    o.put("rejectTrailingBytes", rejectTrailingBytes);
    mrEnclave().ifPresent(v -> o.put("mrEnclave", Hex.encode(v)));
    mrSigner().ifPresent(v -> o.put("mrSigner", Hex.encode(v)));
    isvProdId().ifPresent(v -> o.put("isvProdId", v));
    minIsvSvn().ifPresent(v -> o.put("minIsvSvn", v));
    mrTd().ifPresent(v -> o.put("mrTd", Hex.encode(v)));
    for (int i = 0; i < 4; i++) {
      final int r = i;
      rtmr(i).ifPresent(v -> o.put("rtmr" + r, Hex.encode(v)));
    }
    reportData().ifPresent(v -> o.put("reportData", Hex.encode(v)));
    if (!extraTrustAnchors.isEmpty()) {
      com.fasterxml.jackson.databind.node.ArrayNode anchors = o.putArray("extraTrustAnchors");
      extraTrustAnchors.forEach(c -> anchors.add(Pem.encode(List.of(c))));
    }
    try {
      return MAPPER.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean bool(String k, JsonNode v) {
    if (!v.isBoolean()) {
      throw new IllegalArgumentException(k + " must be true or false");
    }
    return v.booleanValue();
  }

  private static int integer(String k, JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(k + " must be an integer");
    }
    return v.intValue();
  }

  private static byte[] hex(String k, JsonNode v) {
    if (!v.isTextual()) {
      throw new IllegalArgumentException(k + " must be a hex string");
    }
    try {
      return Hex.decode(v.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(k + ": " + e.getMessage(), e);
    }
  }

  public static final class Builder {
    private Set<TcbStatus> acceptedStatuses = EnumSet.of(TcbStatus.UP_TO_DATE);
    private boolean allowDebug;
    private boolean requireSeptVeDisable = true;
    private boolean allowServiceTd;
    private Set<String> simulationRoots = new TreeSet<>();
    private boolean allowAnyMeasurement;
    private boolean requireCrls = true;
    private boolean rejectTrailingBytes;
    private byte[] mrEnclave;
    private byte[] mrSigner;
    private Integer isvProdId;
    private Integer minIsvSvn;
    private byte[] mrTd;
    private byte[][] rtmrs = new byte[4][];
    private byte[] reportData;
    private List<X509Certificate> extraTrustAnchors = new ArrayList<>();

    private Builder() {}

    /** Replaces the accepted statuses (at least one; never Revoked). */
    public Builder acceptedStatuses(TcbStatus... statuses) {
      if (statuses.length == 0) {
        throw new IllegalArgumentException("accept at least one TCB status");
      }
      acceptedStatuses = EnumSet.of(statuses[0], statuses);
      return this;
    }

    /**
     * Accepts every status except Revoked (the verdict still reports the status and advisories).
     */
    public Builder acceptAnyNonRevokedStatus() {
      acceptedStatuses = EnumSet.complementOf(EnumSet.of(TcbStatus.REVOKED));
      return this;
    }

    public Builder allowDebug(boolean v) {
      allowDebug = v;
      return this;
    }

    public Builder requireSeptVeDisable(boolean v) {
      requireSeptVeDisable = v;
      return this;
    }

    public Builder allowServiceTd(boolean v) {
      allowServiceTd = v;
      return this;
    }

    /**
     * Trusts the simulation root CA whose DER has this SHA-256 (64 hex digits; see {@code
     * SimulationCa.rootFingerprintSha256()}). May be called several times.
     */
    public Builder trustSimulationRoot(String sha256Hex) {
      if (sha256Hex == null || !sha256Hex.matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException(
            "a simulation root is pinned by the SHA-256 of its DER: 64 hex "
                + "digits, got "
                + (sha256Hex == null ? "null" : "'" + sha256Hex + "'"));
      }
      simulationRoots.add(sha256Hex.toLowerCase(java.util.Locale.ROOT));
      return this;
    }

    /** Removes every pinned simulation root. */
    public Builder clearSimulationRoots() {
      simulationRoots.clear();
      return this;
    }

    /**
     * Accepts a quote whatever its measurement when the policy pins none (the verdict reports it).
     */
    public Builder allowAnyMeasurement(boolean v) {
      allowAnyMeasurement = v;
      return this;
    }

    public Builder requireCrls(boolean v) {
      requireCrls = v;
      return this;
    }

    public Builder rejectTrailingBytes(boolean v) {
      rejectTrailingBytes = v;
      return this;
    }

    public Builder mrEnclave(byte[] v) {
      mrEnclave = exact(v, 32, "mrEnclave");
      return this;
    }

    public Builder mrSigner(byte[] v) {
      mrSigner = exact(v, 32, "mrSigner");
      return this;
    }

    public Builder isvProdId(int v) {
      isvProdId = range(v, "isvProdId");
      return this;
    }

    public Builder minIsvSvn(int v) {
      minIsvSvn = range(v, "minIsvSvn");
      return this;
    }

    public Builder mrTd(byte[] v) {
      mrTd = exact(v, 48, "mrTd");
      return this;
    }

    public Builder rtmr(int index, byte[] v) {
      if (index < 0 || index > 3) {
        throw new IllegalArgumentException("RTMR index must be 0..3");
      }
      rtmrs[index] = exact(v, 48, "rtmr" + index);
      return this;
    }

    /** Expected REPORTDATA: all 64 bytes, or 32 bytes to compare with its first half. */
    public Builder reportData(byte[] v) {
      if (v.length != 32 && v.length != 64) {
        throw new IllegalArgumentException("reportData must be 32 or 64 bytes");
      }
      reportData = v.clone();
      return this;
    }

    /**
     * Trusts one more root besides the pinned Intel SGX Root CA. Chains rooted there follow Intel's
     * structure exactly: the PCK CA and the TCB signing certificate must be issued directly by this
     * anchor.
     */
    public Builder addTrustAnchor(X509Certificate c) {
      boolean root =
          c.getSubjectX500Principal().equals(c.getIssuerX500Principal())
              && c.getBasicConstraints() >= 0;
      if (root) {
        try {
          c.verify(c.getPublicKey());
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
          root = false;
        }
      }
      if (!root) {
        throw new IllegalArgumentException(
            "a trust anchor must be a self-signed root CA certificate, not '"
                + c.getSubjectX500Principal().getName()
                + "'");
      }
      extraTrustAnchors.add(c);
      return this;
    }

    private static byte[] exact(byte[] v, int len, String name) {
      if (v.length != len) {
        throw new IllegalArgumentException(name + " must be " + len + " bytes, got " + v.length);
      }
      return v.clone();
    }

    private static int range(int v, String name) {
      if (v < 0 || v > 65535) {
        throw new IllegalArgumentException(name + " must be 0..65535");
      }
      return v;
    }

    public VerificationPolicy build() {
      return new VerificationPolicy(this);
    }
  }
}
