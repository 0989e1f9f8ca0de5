package io.attest402.verifier;

import io.attest402.verifier.ChainChecks.Anchor;
import io.attest402.verifier.ChainChecks.ParsedChain;
import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Ecdsa;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.LruCache;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.Pem;
import io.attest402.verifier.internal.QeIdentity;
import io.attest402.verifier.internal.TcbInfo;
import io.attest402.verifier.internal.TcbLevel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;

/**
 * Verifies DCAP quotes as Intel's QVL does, then applies a {@link VerificationPolicy}. Time is
 * always an input. Certificate chains, CRLs, collateral and QE report signatures are verified once
 * and cached in this instance by their bytes, so a quote from a known platform with known
 * collateral costs one ECDSA verification (the quote's own signature): share one instance.
 * Thread-safe.
 *
 * <p>The seams: {@link ChainChecks} (chain structure, anchors, CRLs), {@link TcbEvaluation} (TCB
 * levels, TDX module, relaunch, QE identity), {@link PolicyCheck} (the caller's policy).
 */
public final class QuoteVerifier {
  /** SHA-256 of the DER Intel SGX Root CA, the pinned trust anchor. */
  public static final String INTEL_ROOT_CA_SHA256 =
      "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

  /** Subject CN prefix of the attest402 simulation root CA. */
  public static final String SIMULATION_ROOT_CN_PREFIX = "attest402 SIMULATED";

  private static final X509Certificate INTEL_ROOT = loadIntelRoot();

  private final ChainChecks chains = new ChainChecks();

  /** Collateral parsed and signature-checked, by the digest of its content. */
  private final LruCache<String, Object> collaterals = new LruCache<>(64);

  /** QE report signature checks by (QE report, signature, PCK key). */
  private final LruCache<String, Boolean> qeReports = new LruCache<>(1024);

  /** A verifier with its own caches. */
  public QuoteVerifier() {}

  private static X509Certificate loadIntelRoot() {
    try (InputStream in = QuoteVerifier.class.getResourceAsStream("intel-sgx-root-ca.der")) {
      byte[] der = in.readAllBytes();
      if (!Hex.encode(sha256(der)).equals(INTEL_ROOT_CA_SHA256)) {
        throw new IllegalStateException(
            "bundled Intel SGX Root CA does not match its pinned fingerprint");
      }
      return Pem.parseDer(der);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The pinned Intel SGX Root CA. */
  public static X509Certificate intelRootCa() {
    return INTEL_ROOT;
  }

  /**
   * Verifies {@code quote} with {@code collateral} at time {@code at} and applies {@code policy}.
   * Never throws (null or garbage inputs give a failed verdict): inspect {@link Verdict#ok()} and
   * {@link Verdict#failure()}, or call {@link Verdict#orThrow()}.
   */
  public Verdict verify(
      byte[] quote, Collateral collateral, Instant at, VerificationPolicy policy) {
    if (quote == null || collateral == null || at == null || policy == null) {
      String what =
          quote == null
              ? "quote"
              : collateral == null ? "collateral" : at == null ? "time" : "policy";
      Kind kind =
          quote == null
              ? Kind.MALFORMED_QUOTE
              : collateral == null ? Kind.INVALID_COLLATERAL : Kind.POLICY_VIOLATION;
      return new Verdict(
          false,
          false,
          null,
          List.of(),
          null,
          false,
          new QuoteVerificationException(kind, "no " + what + " given"),
          List.of(),
          null,
          false);
    }
    Run run = new Run(policy, at);
    try {
      return run.execute(quote, collateral);
    } catch (QuoteVerificationException e) {
      return run.fail(e);
    } catch (RuntimeException e) {
      return run.fail(
          new QuoteVerificationException(run.stage, "verification failed unexpectedly: " + e, e));
    }
  }

  /** Parses and verifies, throwing the typed failure unless the verdict is ok. */
  public Verdict verifyOrThrow(
      byte[] quote, Collateral collateral, Instant at, VerificationPolicy policy)
      throws QuoteVerificationException {
    return verify(quote, collateral, at, policy).orThrow();
  }

  /**
   * Collateral parsed once, with its signature checks (which depend neither on time nor on the
   * anchor).
   */
  private record CheckedCollateral(
      ParsedChain tcbChain,
      ParsedChain qeChain,
      ParsedChain pckCrlChain,
      ParsedChain pckChain,
      X509CRL rootCrl,
      String rootCrlDigest,
      X509CRL pckCrl,
      String pckCrlDigest,
      TcbInfo tcbInfo,
      List<TcbLevel> tcbLevels,
      QeIdentity qeIdentity,
      List<TcbLevel> qeLevels,
      boolean tcbSignatureOk,
      boolean qeSignatureOk) {}

  /** The quote's PCK chain with its parsed SGX extension. */
  private record Platform(ParsedChain chain, PckExtension pck) {}

  private final class Run {
    final VerificationPolicy policy;
    final Instant at;
    final List<String> warnings = new ArrayList<>();
    Kind stage = Kind.MALFORMED_QUOTE;
    Quote quote;
    boolean simulated;
    String anchorName;
    TcbStatus status;
    List<String> advisories = List.of();

    Run(VerificationPolicy policy, Instant at) {
      this.policy = policy;
      this.at = at;
    }

    Verdict fail(QuoteVerificationException e) {
      boolean verified = e.kind() == Kind.POLICY_VIOLATION;
      return new Verdict(
          false, verified, status, advisories, quote, simulated, e, warnings, anchorName, false);
    }

    Verdict execute(byte[] raw, Collateral collateral) throws QuoteVerificationException {
      quote = Quote.parse(raw);
      if (policy.rejectTrailingBytes() && quote.trailingBytes() > 0) {
        throw new QuoteVerificationException(
            Kind.MALFORMED_QUOTE,
            quote.trailingBytes()
                + " bytes of padding after the quote and the policy rejects trailing bytes",
            quote.length(),
            "trailing_padding",
            null);
      }
      boolean tdx = quote.teeType() == TeeType.TDX;

      stage = Kind.INVALID_COLLATERAL;
      CheckedCollateral cc = checkedCollateral(collateral);

      // PCK chain and its anchor (QVL: PckCertVerifier)
      stage = Kind.INVALID_CERTIFICATE_CHAIN;
      Platform platform = platform(cc);
      ParsedChain pckChain = platform.chain();
      Anchor anchor = chains.pckAnchor(pckChain, policy);
      chains.verifyPckChain(pckChain, anchor, at);
      anchorName = anchor.name();
      simulated = anchor.simulation();
      if (simulated) {
        warnings.add("SIMULATED attestation: no TEE hardware backs this quote");
      }
      X509Certificate leaf = pckChain.get(0);
      X509Certificate pckCa = pckChain.get(1);

      // TCB info and QE identity: signed by a TCB Signing certificate issued directly by the same
      // anchor
      stage = Kind.INVALID_COLLATERAL;
      X509Certificate tcbSigner =
          chains.verifySigningChain("TCB info issuer chain", cc.tcbChain(), anchor, at);
      X509Certificate qeSigner =
          chains.verifySigningChain("QE identity issuer chain", cc.qeChain(), anchor, at);
      if (!cc.tcbSignatureOk()) {
        throw new QuoteVerificationException(
            Kind.INVALID_TCB_INFO_SIGNATURE,
            "TCB info signature is invalid (signature over the exact tcb_info JSON bytes)");
      }
      if (!cc.qeSignatureOk()) {
        throw new QuoteVerificationException(
            Kind.INVALID_QE_IDENTITY_SIGNATURE,
            "QE identity signature is invalid (signature over the exact qe_identity JSON bytes)");
      }

      // Revocation: the root CA CRL and the CRL of the CA that issued the PCK certificate
      revocation(cc, anchor, pckCa, leaf, tcbSigner, qeSigner);

      TcbInfo ti = cc.tcbInfo();
      QeIdentity qi = cc.qeIdentity();
      window("TCB info", ti.issueDate(), ti.nextUpdate());
      window("QE identity", qi.issueDate(), qi.nextUpdate());

      // PCK certificate contents vs TCB info
      stage = Kind.INVALID_CERTIFICATE_CHAIN;
      PckExtension pck = platform.pck();
      String expectedId = tdx ? "TDX" : "SGX";
      if (!ti.id().equals(expectedId)
          || (tdx ? ti.version() != 3 : ti.version() < 2 || ti.version() > 3)) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            "TCB info id "
                + ti.id()
                + " version "
                + ti.version()
                + " does not apply to a "
                + quote.teeType()
                + " quote");
      }
      if (!Arrays.equals(pck.fmspc(), ti.fmspc())) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            "FMSPC of the PCK certificate ("
                + Hex.encode(pck.fmspc())
                + ") differs from the TCB info's ("
                + Hex.encode(ti.fmspc())
                + ")");
      }
      if (!Arrays.equals(pck.pceId(), ti.pceId())) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            "PCE-ID of the PCK certificate ("
                + Hex.encode(pck.pceId())
                + ") differs from the TCB info's ("
                + Hex.encode(ti.pceId())
                + ")");
      }
      if (tdx) {
        TcbEvaluation.checkTdxModule(ti, quote.tdBody(), quote.version());
      }

      // QE report signature, QE report data binding, QE identity
      if (!qeReportSigned(leaf, chains.fingerprint(leaf))) {
        throw new QuoteVerificationException(
            Kind.INVALID_QE_REPORT_SIGNATURE,
            "QE report signature does not verify with the PCK certificate key");
      }
      byte[] qeRd = quote.qeReport().reportData();
      byte[] binding = sha256(concat(quote.attestationKey(), quote.qeAuthData()));
      if (!MessageDigest.isEqual(Arrays.copyOf(qeRd, 32), binding)
          || !MessageDigest.isEqual(Arrays.copyOfRange(qeRd, 32, 64), new byte[32])) {
        throw new QuoteVerificationException(
            Kind.QE_REPORT_DATA_MISMATCH,
            "QE report data is not SHA-256(attestation key || QE auth data) || zeros");
      }
      TcbLevel qeLevel = TcbEvaluation.qeLevel(qi, cc.qeLevels(), quote);

      // Quote signature: the one ECDSA verification a known platform costs
      ECPublicKeyParameters ak = attestationKeys.get(Hex.encode(quote.attestationKey()));
      if (ak == null) {
        try {
          ak = Ecdsa.verificationKey(quote.attestationKey());
        } catch (IllegalArgumentException e) {
          throw new QuoteVerificationException(
              Kind.INVALID_QUOTE_SIGNATURE, "attestation key is not a valid P-256 point", e);
        }
        attestationKeys.put(Hex.encode(quote.attestationKey()), ak);
      }
      if (!Ecdsa.verify(ak, quote.signedRegion(), quote.signature())) {
        throw new QuoteVerificationException(
            Kind.INVALID_QUOTE_SIGNATURE,
            "quote signature does not verify with the attestation key");
      }

      // TCB level
      stage = Kind.TCB_NOT_SUPPORTED;
      TcbEvaluation.Result r = TcbEvaluation.evaluate(quote, ti, cc.tcbLevels(), pck, qeLevel);
      status = r.status();
      advisories = r.advisories();
      if (status == TcbStatus.REVOKED) {
        throw new QuoteVerificationException(Kind.TCB_REVOKED, "TCB status is Revoked");
      }
      stage = Kind.POLICY_VIOLATION;
      boolean pinned = PolicyCheck.apply(policy, quote, status);
      return new Verdict(
          true, true, status, advisories, quote, simulated, null, warnings, anchorName, pinned);
    }

    private Platform platform(CheckedCollateral cc) throws QuoteVerificationException {
      ParsedChain chain = cc.pckChain();
      if (chain == null) {
        try {
          chain =
              chains.parse(
                  quote.certificationData(), "PCK certificate chain", Kind.MALFORMED_QUOTE);
        } catch (QuoteVerificationException e) {
          throw new QuoteVerificationException(
              Kind.MALFORMED_QUOTE,
              e.getMessage(),
              quote.certificationDataOffset(),
              "certification_data",
              e);
        }
      }
      if (chain.size() < 1) {
        throw new QuoteVerificationException(
            Kind.INVALID_CERTIFICATE_CHAIN, "empty PCK certificate chain");
      }
      PckExtension pck = pckExtensions.get(chain.digest());
      if (pck == null) {
        try {
          pck = PckExtension.of(chain.get(0));
        } catch (RuntimeException e) {
          throw new QuoteVerificationException(
              Kind.INVALID_CERTIFICATE_CHAIN,
              "PCK certificate SGX extension is invalid: " + e.getMessage(),
              e);
        }
        pckExtensions.put(chain.digest(), pck);
      }
      return new Platform(chain, pck);
    }

    private void revocation(
        CheckedCollateral cc,
        Anchor anchor,
        X509Certificate pckCa,
        X509Certificate leaf,
        X509Certificate tcbSigner,
        X509Certificate qeSigner)
        throws QuoteVerificationException {
      if (cc.rootCrl() == null || cc.pckCrl() == null) {
        String missing =
            cc.rootCrl() == null && cc.pckCrl() == null
                ? "both CRLs"
                : cc.rootCrl() == null ? "the root CA CRL" : "the PCK CRL";
        if (policy.requireCrls()) {
          throw new QuoteVerificationException(
              Kind.INVALID_COLLATERAL,
              "collateral lacks "
                  + missing
                  + " (no root CA CRL or no PCK CRL) and the policy requires CRLs (requireCrls)");
        }
        warnings.add(
            "collateral lacks " + missing + ": revocation not fully checked (requireCrls is off)");
      }
      if (cc.rootCrl() != null) {
        chains.checkCrl("root CA CRL", cc.rootCrl(), cc.rootCrlDigest(), anchor.cert(), at);
        ChainChecks.notRevoked(cc.rootCrl(), pckCa, "PCK CA certificate");
        ChainChecks.notRevoked(cc.rootCrl(), tcbSigner, "TCB signing certificate");
        ChainChecks.notRevoked(cc.rootCrl(), qeSigner, "QE identity signing certificate");
      }
      if (cc.pckCrl() != null) {
        X509Certificate issuer = chains.pckCrlIssuer(cc.pckCrlChain(), pckCa, anchor, at);
        if (cc.rootCrl() != null) {
          ChainChecks.notRevoked(cc.rootCrl(), issuer, "PCK CRL issuer");
        }
        chains.checkCrl("PCK CRL", cc.pckCrl(), cc.pckCrlDigest(), issuer, at);
        ChainChecks.notRevoked(cc.pckCrl(), leaf, "PCK certificate");
      }
    }

    private boolean qeReportSigned(X509Certificate leaf, String leafFp) {
      byte[] report = quote.qeReport().encoded();
      byte[] sig = quote.qeReportSignature();
      String key = Hex.encode(sha256(concat(report, sig))) + ":" + leafFp;
      Boolean ok = qeReports.get(key);
      if (ok == null) {
        ok = Ecdsa.verify(leaf.getPublicKey(), report, sig);
        qeReports.put(key, ok);
      }
      return ok;
    }

    private void window(String what, Instant issue, Instant next)
        throws QuoteVerificationException {
      if (at.isBefore(issue)) {
        throw new QuoteVerificationException(
            Kind.EXPIRED_OR_NOT_YET_VALID,
            what + " issue date " + issue + " is in the future at " + at);
      }
      if (at.isAfter(next)) {
        throw new QuoteVerificationException(
            Kind.EXPIRED_OR_NOT_YET_VALID,
            what + " expired: nextUpdate " + next + " is before " + at);
      }
    }
  }

  private final LruCache<String, PckExtension> pckExtensions = new LruCache<>(512);

  /** Decoded attestation keys, kept with their precomputed multiples. */
  private final LruCache<String, ECPublicKeyParameters> attestationKeys = new LruCache<>(1024);

  private CheckedCollateral checkedCollateral(Collateral c) throws QuoteVerificationException {
    String key = c.digest();
    Object cached = collaterals.get(key);
    if (cached == null) {
      try {
        cached = check(c);
      } catch (QuoteVerificationException e) {
        cached = e;
      }
      collaterals.put(key, cached);
    }
    if (cached instanceof QuoteVerificationException e) {
      throw new QuoteVerificationException(e.kind(), e.getMessage(), e);
    }
    return (CheckedCollateral) cached;
  }

  private CheckedCollateral check(Collateral c) throws QuoteVerificationException {
    ParsedChain tcbChain =
        chains.parse(c.tcbInfoIssuerChain(), "tcb_info_issuer_chain", Kind.INVALID_COLLATERAL);
    ParsedChain qeChain =
        chains.parse(
            c.qeIdentityIssuerChain(), "qe_identity_issuer_chain", Kind.INVALID_COLLATERAL);
    ParsedChain pckCrlChain =
        c.pckCrlIssuerChain().isEmpty()
            ? null
            : chains.parse(c.pckCrlIssuerChain(), "pck_crl_issuer_chain", Kind.INVALID_COLLATERAL);
    ParsedChain pckChain =
        c.pckCertificateChain() == null
            ? null
            : chains.parse(
                c.pckCertificateChain(), "pck_certificate_chain", Kind.INVALID_COLLATERAL);
    X509CRL rootCrl = crl(c.rootCaCrl(), "root_ca_crl");
    X509CRL pckCrl = crl(c.pckCrl(), "pck_crl");
    TcbInfo ti;
    QeIdentity qi;
    try {
      ti = TcbInfo.parse(c.tcbInfo());
    } catch (IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "tcb_info: " + e.getMessage(), e);
    }
    try {
      qi = QeIdentity.parse(c.qeIdentity());
    } catch (IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "qe_identity: " + e.getMessage(), e);
    }
    boolean tcbOk =
        Ecdsa.verify(
            tcbChain.get(0).getPublicKey(),
            c.tcbInfo().getBytes(StandardCharsets.UTF_8),
            c.tcbInfoSignature());
    boolean qeOk =
        Ecdsa.verify(
            qeChain.get(0).getPublicKey(),
            c.qeIdentity().getBytes(StandardCharsets.UTF_8),
            c.qeIdentitySignature());
    return new CheckedCollateral(
        tcbChain,
        qeChain,
        pckCrlChain,
        pckChain,
        rootCrl,
        rootCrl == null ? null : ChainChecks.digest(rootCrl),
        pckCrl,
        pckCrl == null ? null : ChainChecks.digest(pckCrl),
        ti,
        TcbEvaluation.canonicalOrder(ti),
        qi,
        TcbEvaluation.byIsvSvn(qi.levels()),
        tcbOk,
        qeOk);
  }

  private static X509CRL crl(byte[] der, String field) throws QuoteVerificationException {
    if (der.length == 0) {
      return null;
    }
    try {
      X509CRL crl =
          (X509CRL)
              CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
      if (!Arrays.equals(crl.getEncoded(), der)) {
        throw new CRLException("CRL encoding is not canonical DER");
      }
      return crl;
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, field + " is not a DER CRL: " + e.getMessage(), e);
    }
  }

  static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String cn(X509Certificate c) {
    return io.attest402.verifier.internal.Names.cn(c);
  }

  static byte[] sha256(byte[] b) {
    return ChainChecks.sha256(b);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
