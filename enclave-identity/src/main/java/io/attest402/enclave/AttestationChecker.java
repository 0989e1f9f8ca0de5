package io.attest402.enclave;

import io.attest402.enclave.tee.Measurement;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;

/**
 * Client-side check of a facilitator's {@link AttestationDocument}, for payers and the TEE
 * validator: the quote verifies with the attestation-verifier under the caller's {@link
 * VerificationPolicy} (simulated quotes only when the policy allows them), its report data binds
 * the served public key (and the caller's nonce, when one was requested), the address derives from
 * that key, and what the document says about itself (TEE type, simulated flag, measurement, report
 * data) agrees with the quote. Stateless and thread-safe.
 */
public final class AttestationChecker {
  private static final QuoteVerifier VERIFIER = new QuoteVerifier();

  private AttestationChecker() {}

  /**
   * The verdict. {@code ok} only when every check passed; {@code reasons} lists each failure in
   * words. {@code address} is the attested signer address (null when the key is unusable); {@code
   * verdict} the verifier's own verdict (null when the quote could not be decoded).
   */
  public record Result(
      boolean ok,
      List<String> reasons,
      String address,
      byte[] publicKey,
      boolean simulated,
      String teeType,
      Measurement measurement,
      Verdict verdict,
      List<String> signers) {
    public Result {
      reasons = List.copyOf(reasons);
      signers = signers == null ? List.of() : List.copyOf(signers);
    }

    /** A result whose only attested signer is {@code address} (none when null). */
    public Result(
        boolean ok,
        List<String> reasons,
        String address,
        byte[] publicKey,
        boolean simulated,
        String teeType,
        Measurement measurement,
        Verdict verdict) {
      this(
          ok,
          reasons,
          address,
          publicKey,
          simulated,
          teeType,
          measurement,
          verdict,
          address == null ? List.of() : List.of(address));
    }

    public String summary() {
      return ok
          ? "attestation OK: "
              + teeType
              + (simulated ? " (SIMULATED)" : "")
              + " signer "
              + address
              + (measurementPinned()
                  ? ", measurement " + measurementText()
                  : " (MEASUREMENT NOT PINNED: any enclave accepted, --allow-any-measurement)")
          : "attestation REJECTED: " + String.join("; ", reasons);
    }

    /**
     * True when the verifier matched the policy's measurement pin (false when any measurement was
     * allowed).
     */
    public boolean measurementPinned() {
      return verdict != null && verdict.ok() && verdict.measurementPinned();
    }

    /** The measurement in one short line ({@code mrEnclave ..} or {@code mrTd .. rtmr3 ..}). */
    public String measurementText() {
      if (measurement == null) {
        return "unknown";
      }
      return measurement.tee().equals("sgx")
          ? "mrEnclave "
              + measurement.mrEnclave()
              + " mrSigner "
              + measurement.mrSigner()
              + " isvProdId "
              + measurement.isvProdId()
              + " isvSvn "
              + measurement.isvSvn()
          : "mrTd " + measurement.mrTd() + " rtmr3 " + measurement.rtmrs().get(3);
    }
  }

  /**
   * Refuses a client policy that pins no measurement (MRENCLAVE, MRSIGNER + ISVPRODID, MRTD or
   * RTMRs) unless it says {@code allowAnyMeasurement}: without a pin, any genuine enclave that
   * binds its own key would pass.
   *
   * @throws IllegalArgumentException with what to do
   */
  public static VerificationPolicy requirePinned(VerificationPolicy policy) {
    if (policy != null && !policy.pinsMeasurement() && !policy.allowAnyMeasurement()) {
      throw new IllegalArgumentException(
          "the attestation policy pins no measurement: any genuine enclave would "
              + "pass. Pin the facilitator's code in a policy file (mrEnclave, or mrSigner + isvProdId + minIsvSvn, "
              + "or mrTd + rtmr0..rtmr3; bin/attest402 measure writes one) and pass it with --policy FILE, or accept "
              + "any measurement explicitly with --allow-any-measurement (flagged in every output)");
    }
    return policy;
  }

  /**
   * Checks {@code doc}.
   *
   * @param collateral collateral to verify with; null = use the collateral the document carries
   *     (its signatures chain to the trust anchor, so a served copy is as good as a fetched one)
   * @param at verification time
   * @param policy the caller's policy (pin MRENCLAVE/MRSIGNER or MRTD/RTMRs here)
   * @param expectedNonce the 32-byte nonce the caller sent, or null when it asked for the startup
   *     document
   */
  public static Result check(
      AttestationDocument doc,
      Collateral collateral,
      Instant at,
      VerificationPolicy policy,
      byte[] expectedNonce) {
    return check(doc, collateral, at, policy, expectedNonce, FreshnessProof.DEFAULT_WINDOW);
  }

  /**
   * {@link #check(AttestationDocument, Collateral, Instant, VerificationPolicy, byte[])} with the
   * tolerance of the freshness proof's time: a document answering {@code expectedNonce} either
   * carries a quote whose report data ends in it (a fresh quote), or the startup quote plus a
   * {@link FreshnessProof} over it signed by the key the quote binds within {@code window} of
   * {@code at}.
   */
  public static Result check(
      AttestationDocument doc,
      Collateral collateral,
      Instant at,
      VerificationPolicy policy,
      byte[] expectedNonce,
      java.time.Duration window) {
    Objects.requireNonNull(doc, "doc");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(policy, "policy");
    List<String> reasons = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    byte[] pub = null;
    String address = null;
    try {
      pub = doc.publicKeyBytes();
      if (!onSecp256k1(pub)) {
        reasons.add("served public key is not an uncompressed secp256k1 point");
        pub = null;
      } else {
        address = KeyBinding.address(pub);
        if (doc.signerAddress() == null || !address.equalsIgnoreCase(doc.signerAddress())) {
          reasons.add(
              "signer address "
                  + doc.signerAddress()
                  + " does not derive from the served public "
                  + "key ("
                  + address
                  + ")");
        }
      }
    } catch (RuntimeException e) {
      reasons.add("served public key is not hex: " + e.getMessage());
    }
    List<byte[]> signerKeys = pub == null ? null : signerKeys(doc, pub, reasons);
    List<String> signerAddresses =
        signerKeys == null ? List.of() : signerKeys.stream().map(KeyBinding::address).toList();
    byte[] nonce = null;
    try {
      nonce = doc.nonceBytes();
      if (nonce.length != KeyBinding.NONCE_BYTES) {
        reasons.add("served nonce is " + nonce.length + " bytes, expected 32");
        nonce = null;
      }
    } catch (RuntimeException e) {
      reasons.add("served nonce is not hex");
    }
    // A signed nonce answers with the startup quote (zero nonce in its report data) and a freshness
    // proof.
    boolean signedNonce = expectedNonce != null && doc.freshness() != null;
    if (signedNonce) {
      if (pub != null) {
        doc.freshness().problem(expectedNonce, pub, at, window).ifPresent(reasons::add);
      }
    }
    byte[] expectedNonceBytes =
        expectedNonce == null || signedNonce ? new byte[KeyBinding.NONCE_BYTES] : expectedNonce;
    if (signedNonce && nonce != null && !Arrays.equals(nonce, expectedNonceBytes)) {
      reasons.add("a document with a freshness proof must carry the startup quote (zero nonce)");
    } else if (!signedNonce
        && expectedNonce != null
        && nonce != null
        && !Arrays.equals(nonce, expectedNonce)) {
      reasons.add(
          "document answers nonce "
              + hex.formatHex(nonce)
              + ", not the requested "
              + hex.formatHex(expectedNonce));
    }
    byte[] quote;
    try {
      quote = doc.quoteBytes();
    } catch (RuntimeException e) {
      reasons.add("quote is not base64");
      return new Result(false, reasons, address, pub, doc.simulated(), doc.teeType(), null, null);
    }
    Collateral c = collateral;
    if (c == null) {
      try {
        c = doc.collateralValue().orElse(null);
      } catch (QuoteVerificationException e) {
        reasons.add("served collateral is invalid: " + e.getMessage());
      }
    }
    Verdict verdict = null;
    Measurement measurement = null;
    if (c == null && reasons.stream().noneMatch(r -> r.startsWith("served collateral"))) {
      reasons.add(
          "no collateral to verify the quote with: the document carries none (the facilitator could not "
              + "fetch it, or what it had is past its nextUpdate); fetch it from Intel PCS or a PCCS (--pccs URL)");
    } else if (c != null) {
      List<String> stale = CollateralValidity.stale(c, at);
      if (!stale.isEmpty()) {
        reasons.add(
            (collateral == null ? "served" : "fetched")
                + " collateral is stale at "
                + at
                + ": "
                + String.join(", ", stale));
      }
      verdict = VERIFIER.verify(quote, c, at, policy);
      if (!verdict.ok()) {
        reasons.add(
            "quote rejected: "
                + verdict
                    .failure()
                    .map(f -> f.kind() + ": " + f.getMessage())
                    .orElse("verification failed"));
      }
    }
    Quote q = verdict != null ? verdict.quote().orElse(null) : null;
    if (q == null) {
      try {
        q = Quote.parse(quote);
      } catch (QuoteVerificationException e) {
        if (verdict == null) {
          reasons.add("quote does not parse: " + e.getMessage());
        }
      }
    }
    if (q != null) {
      measurement = Measurement.of(q);
      byte[] rd = q.reportData();
      if (signerKeys != null
          && !Arrays.equals(Arrays.copyOf(rd, 32), KeyBinding.signersHash(signerKeys))) {
        reasons.add(
            signerKeys.size() == 1
                ? "quote report data does not bind the served public key"
                : "quote report data does not bind the served list of "
                    + signerKeys.size()
                    + " signers (in this order)");
      }
      if (!Arrays.equals(Arrays.copyOfRange(rd, 32, 64), expectedNonceBytes)) {
        reasons.add(
            expectedNonce == null || signedNonce
                ? "quote report data does not end in 32 zero bytes (startup quote expected)"
                : "quote report data does not carry the requested nonce");
      }
      if (doc.reportData() == null || !doc.reportData().equalsIgnoreCase(hex.formatHex(rd))) {
        reasons.add("served reportData differs from the quote's");
      }
      boolean sgx = q.teeType() == TeeType.SGX;
      if (doc.teeType() == null
          || doc.teeType().endsWith("sgx") != sgx
          || !(doc.teeType().endsWith("sgx") || doc.teeType().endsWith("tdx"))) {
        reasons.add(
            "served teeType " + doc.teeType() + " does not match a " + q.teeType() + " quote");
      }
      if (doc.measurement() != null && !doc.measurement().equals(measurement)) {
        reasons.add("served measurement differs from the quote's");
      }
      if (q.teeType() == TeeType.TDX) {
        tdxRuntimeMeasurement(doc, q, policy, reasons);
      }
    }
    boolean simulated = verdict != null ? verdict.simulated() : doc.simulated();
    boolean rejectedSimulation =
        verdict != null
            && verdict
                .failure()
                .filter(f -> f.kind() == QuoteVerificationException.Kind.SIMULATED_REJECTED)
                .isPresent();
    if (verdict != null
        && verdict.quote().isPresent()
        && !rejectedSimulation
        && verdict.simulated() != doc.simulated()) {
      reasons.add(
          "document says simulated="
              + doc.simulated()
              + " but the quote "
              + (verdict.simulated()
                  ? "chains to the attest402 simulation CA"
                  : "is not simulated"));
    }
    boolean verifierRejectedSimulation =
        verdict != null
            && verdict
                .failure()
                .filter(f -> f.kind() == QuoteVerificationException.Kind.SIMULATED_REJECTED)
                .isPresent();
    if (doc.simulated() && !policy.allowSimulated() && !verifierRejectedSimulation) {
      reasons.add(
          "document declares SIMULATED attestation and the policy does not allow simulated quotes");
    }
    return new Result(
        reasons.isEmpty(),
        reasons,
        address,
        pub,
        simulated || doc.simulated(),
        doc.teeType(),
        measurement,
        verdict,
        signerAddresses);
  }

  /**
   * The document's ordered signer keys, checked in themselves (the quote check then binds them):
   * the first is the served public key, each is a secp256k1 point whose address is the served one,
   * none repeats, at most {@link KeyBinding#MAX_SIGNERS}. Null, with the reason, when not.
   */
  private static List<byte[]> signerKeys(
      AttestationDocument doc, byte[] identityKey, List<String> reasons) {
    List<byte[]> keys;
    try {
      keys = doc.signerPublicKeys();
    } catch (RuntimeException e) {
      reasons.add("served signers are malformed: " + e.getMessage());
      return null;
    }
    if (keys.isEmpty() || keys.size() > KeyBinding.MAX_SIGNERS) {
      reasons.add(
          "the document lists " + keys.size() + " signers (1 to " + KeyBinding.MAX_SIGNERS + ")");
      return null;
    }
    if (!Arrays.equals(keys.get(0), identityKey)) {
      reasons.add("the first served signer is not the document's publicKey (the identity key)");
      return null;
    }
    List<String> served = doc.signerAddresses();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      if (!onSecp256k1(keys.get(i))) {
        reasons.add("served signer " + (i + 1) + " is not an uncompressed secp256k1 point");
        return null;
      }
      String a = KeyBinding.address(keys.get(i));
      if (served.get(i) == null || !a.equalsIgnoreCase(served.get(i))) {
        reasons.add(
            "served signer "
                + (i + 1)
                + " address "
                + served.get(i)
                + " does not derive from its public key ("
                + a
                + ")");
        return null;
      }
      if (!seen.add(a.toLowerCase(java.util.Locale.ROOT))) {
        reasons.add("served signer " + a + " is listed twice");
        return null;
      }
    }
    return keys;
  }

  /**
   * Checks {@code doc} with collateral from {@code pccs} (the caller's own PCS/PCCS), or with the
   * collateral the document carries when {@code pccs} is null. Both verify the same way: collateral
   * is Intel-signed (or signed by the pinned simulation root), so where it came from does not
   * matter; a fetch failure is a rejection.
   */
  public static Result checkWithPccs(
      AttestationDocument doc,
      java.net.URI pccs,
      java.time.Clock clock,
      Instant at,
      VerificationPolicy policy,
      byte[] expectedNonce) {
    if (pccs == null) {
      return check(doc, (Collateral) null, at, policy, expectedNonce);
    }
    Collateral fetched;
    try {
      byte[] quote = doc.quoteBytes();
      fetched = fetcher(pccs, clock, policy, quote).fetch(quote);
    } catch (QuoteVerificationException | RuntimeException e) {
      return new Result(
          false,
          List.of("cannot fetch collateral for the quote from the PCCS: " + e.getMessage()),
          null,
          null,
          doc.simulated(),
          doc.teeType(),
          null,
          null);
    }
    return check(doc, fetched, at, policy, expectedNonce);
  }

  /**
   * A PCS/PCCS client for {@code quote}: Intel's root is always an anchor; a simulation root is one
   * only when the quote's own PCK chain ends in a root whose SHA-256 the policy pins (the pin, not
   * the served certificate, is what is trusted).
   */
  public static io.attest402.verifier.CollateralFetcher fetcher(
      java.net.URI pccs, java.time.Clock clock, VerificationPolicy policy, byte[] quote) {
    io.attest402.verifier.CollateralFetcher.Builder b =
        io.attest402.verifier.CollateralFetcher.builder()
            .baseUrl(pccs)
            .clock(clock)
            .trustAnchor(QuoteVerifier.intelRootCa());
    if (!policy.simulationRoots().isEmpty()) {
      try {
        byte[] pem = Quote.parse(quote).certificationData();
        var certs =
            java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificates(
                    new java.io.ByteArrayInputStream(
                        new String(pem, java.nio.charset.StandardCharsets.US_ASCII)
                            .replace("\0", "")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        for (var c : certs) {
          var x = (java.security.cert.X509Certificate) c;
          String sha =
              HexFormat.of()
                  .formatHex(
                      java.security.MessageDigest.getInstance("SHA-256").digest(x.getEncoded()));
          if (policy.simulationRoots().contains(sha)) {
            b.trustAnchor(x);
          }
        }
      } catch (Exception e) {
        // no simulation anchor: the fetch then fails on the chain, with its own reason
      }
    }
    return b.build();
  }

  /**
   * {@link #check(AttestationDocument, Collateral, Instant, VerificationPolicy, byte[])} on served
   * JSON.
   */
  public static Result check(
      String documentJson,
      Collateral collateral,
      Instant at,
      VerificationPolicy policy,
      byte[] expectedNonce) {
    AttestationDocument doc;
    try {
      doc = AttestationDocument.fromJson(documentJson);
    } catch (IllegalArgumentException e) {
      return new Result(false, List.of(e.getMessage()), null, null, false, null, null, null);
    }
    return check(doc, collateral, at, policy, expectedNonce);
  }

  /**
   * MRTD measures only the TD's virtual firmware; what runs inside is measured by the RTMRs. The
   * facilitator extends RTMR3 with its artifact, configuration and deployment file and serves the
   * event log: the log must replay to the quote's RTMR3, and a policy must pin RTMRs (RTMR3 above
   * all) for a TDX quote to say which code holds the key.
   */
  private static void tdxRuntimeMeasurement(
      AttestationDocument doc, Quote q, VerificationPolicy policy, List<String> reasons) {
    io.attest402.enclave.tee.Rtmr3EventLog log = doc.eventLog();
    if (log != null && log.extended()) {
      try {
        if (!Arrays.equals(log.expectedRtmr3(), q.tdBody().rtmr(3))) {
          reasons.add("the served RTMR3 event log does not replay to the quote's RTMR3");
        }
      } catch (RuntimeException e) {
        reasons.add("the served RTMR3 event log is malformed: " + e.getMessage());
      }
    }
    boolean rtmrPinned = false;
    for (int i = 0; i < 4; i++) {
      rtmrPinned |= policy.rtmr(i).isPresent();
    }
    if (!rtmrPinned && !allowsAnyMeasurement(policy)) {
      reasons.add(
          "TDX quote, but the policy pins no RTMR: MRTD measures only the TD firmware, not the "
              + "facilitator; pin rtmr3 (the facilitator's event log "
              + (log == null || !log.extended()
                  ? "is absent: this kernel cannot extend RTMR3, so RTMRs must be "
                      + "pinned to what the image measures"
                  : "shows what it measured")
              + ")");
    }
  }

  /** Whether the policy explicitly accepts any measurement (unpinned code). */
  static boolean allowsAnyMeasurement(VerificationPolicy policy) {
    return policy.allowAnyMeasurement();
  }

  private static boolean onSecp256k1(byte[] pub) {
    if (pub.length != 65 || pub[0] != 0x04) {
      return false;
    }
    try {
      X9ECParameters k1 = CustomNamedCurves.getByName("secp256k1");
      return k1.getCurve()
          .createPoint(
              new BigInteger(1, Arrays.copyOfRange(pub, 1, 33)),
              new BigInteger(1, Arrays.copyOfRange(pub, 33, 65)))
          .isValid();
    } catch (RuntimeException e) {
      return false;
    }
  }
}
