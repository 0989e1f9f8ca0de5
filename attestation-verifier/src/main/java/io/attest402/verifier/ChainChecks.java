package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.LruCache;
import io.attest402.verifier.internal.Names;
import io.attest402.verifier.internal.Pem;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Certificate-chain and CRL checks with Intel QVL's structure rules: the PCK chain is the PCK
 * certificate, a PCK Platform or Processor CA issued directly by the anchor, and optionally the
 * anchor itself; TCB-info and QE-identity chains are a TCB Signing certificate issued directly by
 * the anchor, optionally followed by the anchor. Issuers are CAs (basicConstraints cA, keyCertSign
 * and cRLSign), leaves are not. Anything else is refused with a precise reason.
 *
 * <p>Results that do not depend on time (structure, names, signatures) are cached by the bytes of
 * what was checked and the anchor; validity windows are checked against the given time on every
 * call. Thread-safe.
 */
final class ChainChecks {
  /** CN prefix of Intel's certificates ("Intel SGX PCK Platform CA", ...). */
  static final String INTEL_NAMES = "Intel ";

  /** CN prefix the attest402 simulation CA uses in place of "Intel ". */
  static final String SIMULATION_NAMES = QuoteVerifier.SIMULATION_ROOT_CN_PREFIX + " ";

  /**
   * The trust anchor that roots a chain: its name in the verdict, and the CN prefix of its family.
   */
  record Anchor(X509Certificate cert, String fingerprint, String name, boolean simulation) {
    String names() {
      return Names.cn(cert).startsWith(QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)
          ? SIMULATION_NAMES
          : INTEL_NAMES;
    }
  }

  /** Certificates parsed from PEM, with the SHA-256 of each DER and of the PEM text. */
  record ParsedChain(List<X509Certificate> certs, List<String> fingerprints, String digest) {
    int size() {
      return certs.size();
    }

    X509Certificate get(int i) {
      return certs.get(i);
    }
  }

  /** The intersection of the validity periods of what was checked (certificates or a CRL). */
  private record Window(Instant from, Instant to, String what) {}

  private final LruCache<String, Object> parsed = new LruCache<>(512);
  private final LruCache<String, Object> verified = new LruCache<>(2048);
  private final Map<X509Certificate, String> fingerprints =
      Collections.synchronizedMap(new WeakHashMap<>());

  /**
   * Parses a PEM chain (cached by its bytes); {@code kind} is the failure kind for unparsable
   * input.
   */
  ParsedChain parse(byte[] pem, String field, Kind kind) throws QuoteVerificationException {
    String key = Hex.encode(sha256(pem));
    Object r = parsed.get(key);
    if (r == null) {
      try {
        List<X509Certificate> certs = Collections.unmodifiableList(Pem.parseChain(pem));
        List<String> fps = new ArrayList<>();
        for (X509Certificate c : certs) {
          fps.add(fingerprint(c));
        }
        r = new ParsedChain(certs, List.copyOf(fps), key);
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        r =
            new QuoteVerificationException(
                kind, field + " is not a valid PEM certificate chain: " + e.getMessage(), e);
      }
      parsed.put(key, r);
    }
    return result(r, ParsedChain.class);
  }

  ParsedChain parse(String pem, String field, Kind kind) throws QuoteVerificationException {
    return parse(pem.getBytes(StandardCharsets.US_ASCII), field, kind);
  }

  /**
   * The anchor the PCK chain ends at: the included root (which must be the Intel root, a policy
   * anchor or a pinned simulation root), or, for a two-certificate chain, the Intel root or policy
   * anchor that issued the CA.
   */
  Anchor pckAnchor(ParsedChain chain, VerificationPolicy policy) throws QuoteVerificationException {
    int n = chain.size();
    if (n < 2) {
      throw new QuoteVerificationException(
          Kind.INVALID_CERTIFICATE_CHAIN,
          "PCK certificate chain has "
              + n
              + " certificate: it must hold the PCK certificate and its PCK Platform or Processor CA");
    }
    if (n > 3) {
      throw new QuoteVerificationException(
          Kind.INVALID_CERTIFICATE_CHAIN,
          "PCK certificate chain has "
              + n
              + " certificates: Intel's structure is the PCK certificate, its PCK Platform or Processor CA "
              + "issued directly by the root, and optionally the root; extra certificate '"
              + Names.cn(chain.get(3))
              + "' (and any after it) is not allowed");
    }
    if (n == 3) {
      X509Certificate top = chain.get(2);
      String fp = chain.fingerprints().get(2);
      Anchor a = knownAnchor(top, fp, policy);
      if (a != null) {
        return a;
      }
      throw untrusted(top, fp, policy);
    }
    X509Certificate ca = chain.get(1);
    for (Anchor a : anchors(policy)) {
      if (a.cert().getSubjectX500Principal().equals(ca.getIssuerX500Principal())
          && signedBy(ca, a.cert(), a.fingerprint())) {
        return a;
      }
    }
    String issuer = ca.getIssuerX500Principal().getName();
    throw new QuoteVerificationException(
        issuer.contains(QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)
            ? Kind.SIMULATED_REJECTED
            : Kind.UNTRUSTED_ROOT,
        "PCK CA '"
            + Names.cn(ca)
            + "' is issued by '"
            + issuer
            + "', which is neither the pinned Intel SGX Root CA nor a policy trust anchor"
            + (issuer.contains(QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)
                ? " (a simulation root is trusted only when the chain includes it and the policy pins it)"
                : ""));
  }

  private Anchor knownAnchor(X509Certificate top, String fp, VerificationPolicy policy) {
    for (Anchor a : anchors(policy)) {
      if (a.fingerprint().equals(fp)) {
        return a;
      }
    }
    if (policy.simulationRoots().contains(fp)
        && Names.cn(top).startsWith(QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)) {
      return new Anchor(top, fp, "simulation:" + fp, true);
    }
    return null;
  }

  private QuoteVerificationException untrusted(
      X509Certificate top, String fp, VerificationPolicy policy) {
    boolean selfIssued = top.getSubjectX500Principal().equals(top.getIssuerX500Principal());
    if (selfIssued && Names.cn(top).startsWith(QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)) {
      return new QuoteVerificationException(
          Kind.SIMULATED_REJECTED,
          "quote is signed by an attest402 "
              + "simulation CA (root sha256 "
              + fp
              + ") that the policy does not pin; simulated attestation is "
              + "trusted only through a pinned root (simulationRoots)"
              + (policy.simulationRoots().isEmpty()
                  ? ""
                  : ", pinned: " + policy.simulationRoots()));
    }
    return new QuoteVerificationException(
        Kind.UNTRUSTED_ROOT,
        "PCK chain ends at '"
            + top.getSubjectX500Principal().getName()
            + "' (sha256 "
            + fp
            + "), which is neither the pinned "
            + "Intel SGX Root CA nor a policy trust anchor"
            + (selfIssued ? "" : " (and is not self-issued)"));
  }

  private List<Anchor> anchors(VerificationPolicy policy) {
    List<Anchor> out = new ArrayList<>(1 + policy.extraTrustAnchors().size());
    out.add(
        new Anchor(
            QuoteVerifier.intelRootCa(), QuoteVerifier.INTEL_ROOT_CA_SHA256, "intel", false));
    for (X509Certificate c : policy.extraTrustAnchors()) {
      String fp = fingerprint(c);
      out.add(new Anchor(c, fp, "extra:" + fp, false));
    }
    return out;
  }

  /**
   * The PCK chain's structure, names, CA flags and signatures under {@code a}, and its validity at
   * {@code at}.
   */
  void verifyPckChain(ParsedChain chain, Anchor a, Instant at) throws QuoteVerificationException {
    Object r = verified.get("pck:" + chain.digest() + ":" + a.fingerprint());
    if (r == null) {
      try {
        r = pckChainWindow(chain, a);
      } catch (QuoteVerificationException e) {
        r = e;
      }
      verified.put("pck:" + chain.digest() + ":" + a.fingerprint(), r);
    }
    within(result(r, Window.class), at, "PCK certificate chain", chain.certs(), a);
  }

  private Window pckChainWindow(ParsedChain chain, Anchor a) throws QuoteVerificationException {
    X509Certificate leaf = chain.get(0);
    X509Certificate ca = chain.get(1);
    verifyAnchor(a);
    String platform = a.names() + "SGX PCK Platform CA";
    String processor = a.names() + "SGX PCK Processor CA";
    String caCn = Names.cn(ca);
    if (!caCn.equals(platform) && !caCn.equals(processor)) {
      throw chainError(
          "PCK CA CN '" + caCn + "' is neither '" + platform + "' nor '" + processor + "'");
    }
    issuedDirectlyBy("PCK CA", ca, a);
    requireIssuer("PCK CA '" + caCn + "'", ca);
    String leafCn = Names.cn(leaf);
    if (!leafCn.equals(a.names() + "SGX PCK Certificate")) {
      throw chainError(
          "PCK certificate CN '" + leafCn + "' is not '" + a.names() + "SGX PCK Certificate'");
    }
    if (!leaf.getIssuerX500Principal().equals(ca.getSubjectX500Principal())
        || !signedBy(leaf, ca, chain.fingerprints().get(1))) {
      throw chainError("PCK certificate is not issued by the PCK CA '" + caCn + "'");
    }
    requireLeaf("PCK certificate", leaf);
    return window(List.of(leaf, ca, a.cert()));
  }

  /**
   * A TCB-info or QE-identity issuer chain: the TCB Signing certificate issued directly by {@code
   * a}, optionally followed by {@code a} itself; valid at {@code at}. Returns the signer.
   */
  X509Certificate verifySigningChain(String what, ParsedChain chain, Anchor a, Instant at)
      throws QuoteVerificationException {
    String key = "signer:" + what + ":" + chain.digest() + ":" + a.fingerprint();
    Object r = verified.get(key);
    if (r == null) {
      try {
        r = signingChainWindow(what, chain, a);
      } catch (QuoteVerificationException e) {
        r = e;
      }
      verified.put(key, r);
    }
    within(result(r, Window.class), at, what, chain.certs(), a);
    return chain.get(0);
  }

  private Window signingChainWindow(String what, ParsedChain chain, Anchor a)
      throws QuoteVerificationException {
    int n = chain.size();
    if (n > 2) {
      throw chainError(
          what
              + " has "
              + n
              + " certificates: Intel's structure is the TCB Signing certificate "
              + "issued directly by the root, optionally followed by the root; extra certificate '"
              + Names.cn(chain.get(1))
              + "' is not allowed");
    }
    if (n == 2 && !chain.fingerprints().get(1).equals(a.fingerprint())) {
      throw chainError(
          what
              + " ends at '"
              + Names.cn(chain.get(1))
              + "' (sha256 "
              + chain.fingerprints().get(1)
              + "), not at the anchor that roots the PCK chain ("
              + a.name()
              + ")");
    }
    X509Certificate signer = chain.get(0);
    String cn = Names.cn(signer);
    if (!cn.equals(a.names() + "SGX TCB Signing")) {
      throw chainError(what + ": signer CN '" + cn + "' is not '" + a.names() + "SGX TCB Signing'");
    }
    issuedDirectlyBy(what + ": TCB Signing certificate", signer, a);
    requireLeaf(what + ": TCB Signing certificate", signer);
    return window(List.of(signer, a.cert()));
  }

  /**
   * The CA that signs the PCK CRL: the first certificate of {@code pck_crl_issuer_chain} (checked
   * like the PCK CA: issued directly by the anchor, optionally followed by it), which must be the
   * PCK chain's CA (same subject and key: a Processor CA CRL does not cover a Platform CA leaf);
   * the PCK chain's CA when the chain is absent.
   */
  X509Certificate pckCrlIssuer(ParsedChain issuerChain, X509Certificate pckCa, Anchor a, Instant at)
      throws QuoteVerificationException {
    if (issuerChain == null) {
      return pckCa;
    }
    String key =
        "crlchain:" + issuerChain.digest() + ":" + a.fingerprint() + ":" + fingerprint(pckCa);
    Object r = verified.get(key);
    if (r == null) {
      try {
        r = crlIssuerWindow(issuerChain, pckCa, a);
      } catch (QuoteVerificationException e) {
        r = e;
      }
      verified.put(key, r);
    }
    within(result(r, Window.class), at, "pck_crl_issuer_chain", issuerChain.certs(), a);
    return issuerChain.get(0);
  }

  private Window crlIssuerWindow(ParsedChain chain, X509Certificate pckCa, Anchor a)
      throws QuoteVerificationException {
    int n = chain.size();
    if (n > 2 || n == 2 && !chain.fingerprints().get(1).equals(a.fingerprint())) {
      throw new QuoteVerificationException(
          Kind.INVALID_CRL,
          "pck_crl_issuer_chain must be the PCK CA issued "
              + "directly by the anchor that roots the PCK chain ("
              + a.name()
              + "), optionally followed by it; got "
              + n
              + " certificates ending at '"
              + Names.cn(chain.get(n - 1))
              + "'");
    }
    X509Certificate ca = chain.get(0);
    if (!ca.getSubjectX500Principal().equals(pckCa.getSubjectX500Principal())
        || !Arrays.equals(ca.getPublicKey().getEncoded(), pckCa.getPublicKey().getEncoded())) {
      throw new QuoteVerificationException(
          Kind.INVALID_CRL,
          "pck_crl_issuer_chain is for '"
              + Names.cn(ca)
              + "', but the PCK certificate is issued by '"
              + Names.cn(pckCa)
              + "' (with another key or name)");
    }
    try {
      issuedDirectlyBy("pck_crl_issuer_chain CA", ca, a);
      requireIssuer("pck_crl_issuer_chain CA", ca);
    } catch (QuoteVerificationException e) {
      throw new QuoteVerificationException(Kind.INVALID_CRL, e.getMessage(), e);
    }
    return window(List.of(ca, a.cert()));
  }

  /** Issuer, signature and validity of {@code crl} issued by {@code issuer} (QVL's CRL checks). */
  void checkCrl(String what, X509CRL crl, String crlDigest, X509Certificate issuer, Instant at)
      throws QuoteVerificationException {
    String key = "crl:" + what + ":" + crlDigest + ":" + fingerprint(issuer);
    Object r = verified.get(key);
    if (r == null) {
      r = crlWindow(what, crl, issuer);
      verified.put(key, r);
    }
    Window w = result(r, Window.class);
    if (at.isBefore(w.from()) || at.isAfter(w.to())) {
      throw new QuoteVerificationException(
          Kind.EXPIRED_OR_NOT_YET_VALID,
          what + " is valid from " + w.from() + " to " + w.to() + ", not at " + at);
    }
  }

  private Object crlWindow(String what, X509CRL crl, X509Certificate issuer) {
    if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return new QuoteVerificationException(
          Kind.INVALID_CRL,
          what
              + " is issued by '"
              + crl.getIssuerX500Principal().getName()
              + "', not by '"
              + Names.cn(issuer)
              + "'");
    }
    try {
      crl.verify(issuer.getPublicKey());
    } catch (GeneralSecurityException | RuntimeException e) {
      return new QuoteVerificationException(
          Kind.INVALID_CRL,
          what + " signature does not verify with the key of '" + Names.cn(issuer) + "'");
    }
    if (crl.getNextUpdate() == null) {
      return new QuoteVerificationException(Kind.INVALID_CRL, what + " has no nextUpdate");
    }
    return new Window(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant(), what);
  }

  static void notRevoked(X509CRL crl, X509Certificate cert, String what)
      throws QuoteVerificationException {
    if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) && crl.isRevoked(cert)) {
      throw new QuoteVerificationException(
          Kind.REVOKED_CERTIFICATE,
          what
              + " '"
              + Names.cn(cert)
              + "' (serial "
              + cert.getSerialNumber().toString(16)
              + ") is revoked");
    }
  }

  private void verifyAnchor(Anchor a) throws QuoteVerificationException {
    X509Certificate c = a.cert();
    if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())
        || !signedBy(c, c, a.fingerprint())) {
      throw chainError("trust anchor '" + Names.cn(c) + "' is not a validly self-signed root");
    }
    requireIssuer("trust anchor '" + Names.cn(c) + "'", c);
  }

  private void issuedDirectlyBy(String what, X509Certificate cert, Anchor a)
      throws QuoteVerificationException {
    if (!cert.getIssuerX500Principal().equals(a.cert().getSubjectX500Principal())
        || !signedBy(cert, a.cert(), a.fingerprint())) {
      throw chainError(
          what
              + " '"
              + Names.cn(cert)
              + "' is not issued directly by the anchor '"
              + Names.cn(a.cert())
              + "' ("
              + a.name()
              + ")");
    }
  }

  private static void requireIssuer(String what, X509Certificate c)
      throws QuoteVerificationException {
    boolean[] ku = c.getKeyUsage();
    if (c.getBasicConstraints() < 0 || ku == null || ku.length < 7 || !ku[5] || !ku[6]) {
      throw chainError(
          what + " must be a CA (basicConstraints cA=true, keyUsage keyCertSign and cRLSign)");
    }
  }

  private static void requireLeaf(String what, X509Certificate c)
      throws QuoteVerificationException {
    if (c.getBasicConstraints() >= 0) {
      throw chainError(what + " '" + Names.cn(c) + "' must not be a CA (basicConstraints cA=true)");
    }
  }

  private static QuoteVerificationException chainError(String message) {
    return new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN, message);
  }

  private static Window window(List<X509Certificate> certs) {
    Instant from = Instant.MIN;
    Instant to = Instant.MAX;
    for (X509Certificate c : certs) {
      Instant nb = c.getNotBefore().toInstant();
      Instant na = c.getNotAfter().toInstant();
      from = nb.isAfter(from) ? nb : from;
      to = na.isBefore(to) ? na : to;
    }
    return new Window(from, to, "");
  }

  private static void within(
      Window w, Instant at, String what, List<X509Certificate> certs, Anchor a)
      throws QuoteVerificationException {
    if (!at.isBefore(w.from()) && !at.isAfter(w.to())) {
      return;
    }
    List<X509Certificate> all = new ArrayList<>(certs);
    all.add(a.cert());
    for (X509Certificate c : all) {
      if (at.isBefore(c.getNotBefore().toInstant()) || at.isAfter(c.getNotAfter().toInstant())) {
        throw new QuoteVerificationException(
            Kind.EXPIRED_OR_NOT_YET_VALID,
            what
                + ": certificate '"
                + Names.cn(c)
                + "' is valid from "
                + c.getNotBefore().toInstant()
                + " to "
                + c.getNotAfter().toInstant()
                + ", not at "
                + at);
      }
    }
    throw new QuoteVerificationException(
        Kind.EXPIRED_OR_NOT_YET_VALID, what + " is not valid at " + at);
  }

  /**
   * Signature of {@code cert} by {@code issuer}'s key, cached by both certificates' fingerprints.
   */
  private boolean signedBy(X509Certificate cert, X509Certificate issuer, String issuerFp) {
    String key = "sig:" + fingerprint(cert) + ":" + issuerFp;
    Object r = verified.get(key);
    if (r == null) {
      boolean ok;
      try {
        cert.verify(issuer.getPublicKey());
        ok = true;
      } catch (GeneralSecurityException | RuntimeException e) {
        ok = false;
      }
      r = ok;
      verified.put(key, r);
    }
    return (Boolean) r;
  }

  String fingerprint(X509Certificate c) {
    String fp = fingerprints.get(c);
    if (fp == null) {
      try {
        fp = Hex.encode(sha256(c.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
      fingerprints.put(c, fp);
    }
    return fp;
  }

  static String digest(X509CRL crl) {
    try {
      return Hex.encode(sha256(crl.getEncoded()));
    } catch (CRLException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T result(Object r, Class<T> type) throws QuoteVerificationException {
    if (r instanceof QuoteVerificationException e) {
      throw new QuoteVerificationException(e.kind(), e.getMessage(), e);
    }
    return (T) r;
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
