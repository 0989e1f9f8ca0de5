package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Ecdsa;
import io.attest402.verifier.internal.Hex;
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
import java.security.PublicKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Verifies DCAP quotes as Intel's QVL does, then applies a {@link VerificationPolicy}. Time is always an input.
 * Stateless apart from a bounded cache of certificate signature checks (keyed by certificate and issuer key
 * bytes), so repeated verification with the same collateral and PCK chain is fast. Thread-safe.
 */
public final class QuoteVerifier {
    /** SHA-256 of the DER Intel SGX Root CA, the pinned trust anchor. */
    public static final String INTEL_ROOT_CA_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
    /** Subject CN prefix of the attest402 simulation root CA. */
    public static final String SIMULATION_ROOT_CN_PREFIX = "attest402 SIMULATED";

    private static final X509Certificate INTEL_ROOT = loadIntelRoot();
    /** Bounded cache of certificate and CRL signature checks, keyed by the signed bytes and the issuer key. */
    private final Map<String, Boolean> signatureCache = Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
                    return size() > 1024;
                }
            });

    /** A verifier with its own caches; share one instance to make repeated verification fast. */
    public QuoteVerifier() {
    }

    private static X509Certificate loadIntelRoot() {
        try (InputStream in = QuoteVerifier.class.getResourceAsStream("intel-sgx-root-ca.der")) {
            byte[] der = in.readAllBytes();
            if (!Hex.encode(sha256(der)).equals(INTEL_ROOT_CA_SHA256)) {
                throw new IllegalStateException("bundled Intel SGX Root CA does not match its pinned fingerprint");
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
     * Verifies {@code quote} with {@code collateral} at time {@code at} and applies {@code policy}. Never throws:
     * inspect {@link Verdict#ok()} and {@link Verdict#failure()}, or call {@link Verdict#orThrow()}.
     */
    public Verdict verify(byte[] quote, Collateral collateral, Instant at, VerificationPolicy policy) {
        if (quote == null || collateral == null || at == null || policy == null) {
            String what = quote == null ? "quote" : collateral == null ? "collateral" : at == null ? "time" : "policy";
            Kind kind = quote == null ? Kind.MALFORMED_QUOTE : collateral == null ? Kind.INVALID_COLLATERAL
                    : Kind.POLICY_VIOLATION;
            return new Verdict(false, false, null, List.of(), null, false,
                    new QuoteVerificationException(kind, "no " + what + " given"), List.of(), null, false);
        }
        Run run = new Run(policy, at);
        try {
            return run.execute(quote, collateral);
        } catch (QuoteVerificationException e) {
            return run.fail(e);
        } catch (RuntimeException e) {
            return run.fail(new QuoteVerificationException(run.stage, "verification failed unexpectedly: " + e, e));
        }
    }

    /** Parses and verifies, throwing the typed failure unless the verdict is ok. */
    public Verdict verifyOrThrow(byte[] quote, Collateral collateral, Instant at, VerificationPolicy policy)
            throws QuoteVerificationException {
        return verify(quote, collateral, at, policy).orThrow();
    }

    /** Collateral parsed once, with its time-independent signature checks. */
    private record CheckedCollateral(List<X509Certificate> tcbChain, List<X509Certificate> qeChain, X509CRL rootCrl,
            X509CRL pckCrl, TcbInfo tcbInfo, QeIdentity qeIdentity, boolean tcbSignatureOk, boolean qeSignatureOk) {
    }

    private final class Run {
        final VerificationPolicy policy;
        final Instant at;
        final Date atDate;
        final List<String> warnings = new ArrayList<>();
        Kind stage = Kind.MALFORMED_QUOTE;
        Quote quote;
        boolean simulated;
        String anchorName;
        boolean measurementPinned;
        TcbStatus status;
        List<String> advisories = List.of();

        Run(VerificationPolicy policy, Instant at) {
            this.policy = policy;
            this.at = at;
            this.atDate = Date.from(at);
        }

        Verdict fail(QuoteVerificationException e) {
            boolean verified = e.kind() == Kind.POLICY_VIOLATION;
            return new Verdict(false, verified, status, advisories, quote, simulated, e, warnings, anchorName, false);
        }

        Verdict execute(byte[] raw, Collateral collateral) throws QuoteVerificationException {
            quote = Quote.parse(raw);
            if (policy.rejectTrailingBytes() && quote.trailingBytes() > 0) {
                throw new QuoteVerificationException(Kind.MALFORMED_QUOTE, quote.trailingBytes()
                        + " bytes of padding after the quote and the policy rejects trailing bytes", quote.length(),
                        "trailing_padding", null);
            }
            boolean tdx = quote.teeType() == TeeType.TDX;

            stage = Kind.INVALID_COLLATERAL;
            CheckedCollateral cc = checkedCollateral(collateral);

            // PCK chain and trust anchor
            stage = Kind.INVALID_CERTIFICATE_CHAIN;
            List<X509Certificate> pckChain = pckChain(collateral);
            X509Certificate root = anchor(pckChain);
            X509Certificate leaf = pckChain.get(0);
            X509Certificate pckCa = pckChain.get(1);
            if (!cn(leaf).contains("SGX PCK Certificate")) {
                throw new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN,
                        "PCK leaf CN does not contain 'SGX PCK Certificate': " + cn(leaf));
            }
            if (!cn(pckCa).contains("CA")) {
                throw new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN,
                        "PCK intermediate CN does not contain 'CA': " + cn(pckCa));
            }
            verifyChain("PCK certificate chain", pckChain, root);

            // CRLs
            if (collateral.rootCaCrl().length == 0 || collateral.pckCrl().length == 0) {
                if (policy.requireCrls()) {
                    throw new QuoteVerificationException(Kind.INVALID_COLLATERAL,
                            "collateral has no root CA CRL or no PCK CRL and the policy requires CRLs");
                }
                warnings.add("collateral lacks "
                        + (collateral.rootCaCrl().length == 0 && collateral.pckCrl().length == 0 ? "both CRLs"
                                : collateral.rootCaCrl().length == 0 ? "the root CA CRL" : "the PCK CRL")
                        + ": revocation not fully checked");
            }
            if (cc.rootCrl() != null) {
                checkCrl("root CA CRL", cc.rootCrl(), root);
                notRevoked(cc.rootCrl(), pckCa, "PCK CA certificate");
                notRevoked(cc.rootCrl(), cc.tcbChain().get(0), "TCB signing certificate");
                notRevoked(cc.rootCrl(), cc.qeChain().get(0), "QE identity signing certificate");
            }
            if (cc.pckCrl() != null) {
                checkCrl("PCK CRL", cc.pckCrl(), pckCa);
                notRevoked(cc.pckCrl(), leaf, "PCK certificate");
            }

            // TCB info and QE identity: chains to the same root, signatures, windows
            stage = Kind.INVALID_COLLATERAL;
            verifyChain("TCB info issuer chain", cc.tcbChain(), root);
            verifyChain("QE identity issuer chain", cc.qeChain(), root);
            if (!cc.tcbSignatureOk()) {
                throw new QuoteVerificationException(Kind.INVALID_TCB_INFO_SIGNATURE,
                        "TCB info signature is invalid (signature over the exact tcb_info JSON bytes)");
            }
            if (!cc.qeSignatureOk()) {
                throw new QuoteVerificationException(Kind.INVALID_QE_IDENTITY_SIGNATURE,
                        "QE identity signature is invalid (signature over the exact qe_identity JSON bytes)");
            }
            TcbInfo ti = cc.tcbInfo();
            QeIdentity qi = cc.qeIdentity();
            window("TCB info", ti.issueDate(), ti.nextUpdate());
            window("QE identity", qi.issueDate(), qi.nextUpdate());

            // PCK certificate contents vs TCB info
            stage = Kind.INVALID_CERTIFICATE_CHAIN;
            PckExtension pck;
            try {
                pck = PckExtension.of(leaf);
            } catch (RuntimeException e) {
                throw new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN,
                        "PCK certificate SGX extension is invalid: " + e.getMessage(), e);
            }
            String expectedId = tdx ? "TDX" : "SGX";
            if (!ti.id().equals(expectedId) || (tdx ? ti.version() != 3 : ti.version() < 2 || ti.version() > 3)) {
                throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "TCB info id " + ti.id() + " version "
                        + ti.version() + " does not apply to a " + quote.teeType() + " quote");
            }
            if (!Arrays.equals(pck.fmspc(), ti.fmspc())) {
                throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "FMSPC of the PCK certificate ("
                        + Hex.encode(pck.fmspc()) + ") differs from the TCB info's (" + Hex.encode(ti.fmspc()) + ")");
            }
            if (!Arrays.equals(pck.pceId(), ti.pceId())) {
                throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "PCE-ID of the PCK certificate ("
                        + Hex.encode(pck.pceId()) + ") differs from the TCB info's (" + Hex.encode(ti.pceId()) + ")");
            }
            TcbInfo.TdxModule module = null;
            if (tdx) {
                module = tdxModule(ti, quote.tdBody());
            }

            // QE report signature, QE report data binding, QE identity
            if (!Ecdsa.verify(leaf.getPublicKey(), quote.qeReport().encoded(), quote.qeReportSignature())) {
                throw new QuoteVerificationException(Kind.INVALID_QE_REPORT_SIGNATURE,
                        "QE report signature does not verify with the PCK certificate key");
            }
            byte[] qeRd = quote.qeReport().reportData();
            byte[] binding = sha256(concat(quote.attestationKey(), quote.qeAuthData()));
            if (!MessageDigest.isEqual(Arrays.copyOf(qeRd, 32), binding)
                    || !MessageDigest.isEqual(Arrays.copyOfRange(qeRd, 32, 64), new byte[32])) {
                throw new QuoteVerificationException(Kind.QE_REPORT_DATA_MISMATCH,
                        "QE report data is not SHA-256(attestation key || QE auth data) || zeros");
            }
            TcbLevel qeLevel = qeIdentity(qi, tdx);

            // Quote signature
            PublicKey ak;
            try {
                ak = Ecdsa.publicKey(quote.attestationKey());
            } catch (GeneralSecurityException e) {
                throw new QuoteVerificationException(Kind.INVALID_QUOTE_SIGNATURE,
                        "attestation key is not a valid P-256 point", e);
            }
            if (!Ecdsa.verify(ak, quote.signedRegion(), quote.signature())) {
                throw new QuoteVerificationException(Kind.INVALID_QUOTE_SIGNATURE,
                        "quote signature does not verify with the attestation key");
            }

            // TCB level
            evaluateTcb(ti, pck, module, qeLevel);
            if (status == TcbStatus.REVOKED) {
                throw new QuoteVerificationException(Kind.TCB_REVOKED, "TCB status is Revoked");
            }
            applyPolicy();
            return new Verdict(true, true, status, advisories, quote, simulated, null, warnings, anchorName,
                    measurementPinned);
        }

        private List<X509Certificate> pckChain(Collateral collateral) throws QuoteVerificationException {
            try {
                List<X509Certificate> chain = collateral.pckCertificateChain() != null
                        ? Pem.parseChain(collateral.pckCertificateChain().getBytes(StandardCharsets.US_ASCII))
                        : Pem.parseChain(quote.certificationData());
                if (chain.size() < 2) {
                    throw new IllegalArgumentException("PCK chain must hold the PCK certificate and its CA");
                }
                return chain;
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new QuoteVerificationException(Kind.MALFORMED_QUOTE, "PCK certificate chain is invalid: "
                        + e.getMessage(), quote.certificationDataOffset(), "certification_data", e);
            }
        }

        /** Decides which root the chain ends at and whether it is trusted; appends a non-included anchor. */
        private X509Certificate anchor(List<X509Certificate> chain) throws QuoteVerificationException {
            X509Certificate last = chain.get(chain.size() - 1);
            List<X509Certificate> anchors = new ArrayList<>();
            anchors.add(INTEL_ROOT);
            anchors.addAll(policy.extraTrustAnchors());
            for (X509Certificate a : anchors) {
                if (sameCert(a, last)) {
                    anchorName = anchorName(a);
                    return a;
                }
            }
            boolean selfIssued = last.getSubjectX500Principal().equals(last.getIssuerX500Principal());
            if (!selfIssued) {
                for (X509Certificate a : anchors) {
                    if (a.getSubjectX500Principal().equals(last.getIssuerX500Principal())) {
                        chain.add(a);
                        anchorName = anchorName(a);
                        return a;
                    }
                }
            } else if (cn(last).startsWith(SIMULATION_ROOT_CN_PREFIX)) {
                String fp = Hex.encode(sha256(encoded(last)));
                if (!policy.simulationRoots().contains(fp)) {
                    throw new QuoteVerificationException(Kind.SIMULATED_REJECTED, "quote is signed by an attest402 "
                            + "simulation CA (root sha256 " + fp + ") that the policy does not pin; simulated "
                            + "attestation is trusted only through a pinned root (simulationRoots)"
                            + (policy.simulationRoots().isEmpty() ? "" : ", pinned: " + policy.simulationRoots()));
                }
                if (!signedBy(last, last.getPublicKey())) {
                    throw new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN,
                            "simulation root CA is not validly self-signed");
                }
                simulated = true;
                anchorName = "simulation:" + fp;
                warnings.add("SIMULATED attestation: no TEE hardware backs this quote");
                return last;
            }
            throw new QuoteVerificationException(Kind.UNTRUSTED_ROOT, "PCK chain ends at '"
                    + last.getSubjectX500Principal().getName() + "' (sha256 " + Hex.encode(sha256(encoded(last)))
                    + "), which is neither the pinned Intel SGX Root CA nor a policy trust anchor");
        }

        /** Each certificate signed by the next, the last by (or equal to) root; all valid at {@code at}. */
        private void verifyChain(String what, List<X509Certificate> chain, X509Certificate root)
                throws QuoteVerificationException {
            List<X509Certificate> c = new ArrayList<>(chain);
            if (!sameCert(c.get(c.size() - 1), root)) {
                c.add(root);
            }
            for (int i = 0; i < c.size(); i++) {
                X509Certificate cert = c.get(i);
                X509Certificate issuer = i + 1 < c.size() ? c.get(i + 1) : cert;
                if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())
                        || !signedBy(cert, issuer.getPublicKey())) {
                    throw new QuoteVerificationException(Kind.INVALID_CERTIFICATE_CHAIN, what + ": certificate '"
                            + cn(cert) + "' is not signed by '" + cn(issuer) + "'"
                            + (i + 1 == c.size() ? " (chain does not end at the trusted root)" : ""));
                }
                if (at.isBefore(cert.getNotBefore().toInstant()) || at.isAfter(cert.getNotAfter().toInstant())) {
                    throw new QuoteVerificationException(Kind.EXPIRED_OR_NOT_YET_VALID, what + ": certificate '"
                            + cn(cert) + "' is valid from " + cert.getNotBefore().toInstant() + " to "
                            + cert.getNotAfter().toInstant() + ", not at " + at);
                }
            }
        }

        private void checkCrl(String what, X509CRL crl, X509Certificate issuer) throws QuoteVerificationException {
            if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                throw new QuoteVerificationException(Kind.INVALID_CRL, what + " is issued by '"
                        + crl.getIssuerX500Principal().getName() + "', not by '" + cn(issuer) + "'");
            }
            String key = "crl:" + Hex.encode(sha256(crlBytes(crl))) + ":" + Hex.encode(sha256(
                    issuer.getPublicKey().getEncoded()));
            Boolean ok = signatureCache.get(key);
            if (ok == null) {
                try {
                    crl.verify(issuer.getPublicKey());
                    ok = true;
                } catch (GeneralSecurityException | RuntimeException e) {
                    ok = false;
                }
                signatureCache.put(key, ok);
            }
            if (!ok) {
                throw new QuoteVerificationException(Kind.INVALID_CRL, what + " signature is invalid");
            }
            Instant thisUpdate = crl.getThisUpdate().toInstant();
            if (crl.getNextUpdate() == null) {
                throw new QuoteVerificationException(Kind.INVALID_CRL, what + " has no nextUpdate");
            }
            Instant nextUpdate = crl.getNextUpdate().toInstant();
            if (at.isBefore(thisUpdate) || at.isAfter(nextUpdate)) {
                throw new QuoteVerificationException(Kind.EXPIRED_OR_NOT_YET_VALID, what + " is valid from "
                        + thisUpdate + " to " + nextUpdate + ", not at " + at);
            }
        }

        private void notRevoked(X509CRL crl, X509Certificate cert, String what) throws QuoteVerificationException {
            if (crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal()) && crl.isRevoked(cert)) {
                throw new QuoteVerificationException(Kind.REVOKED_CERTIFICATE, what + " '" + cn(cert)
                        + "' (serial " + cert.getSerialNumber().toString(16) + ") is revoked");
            }
        }

        private void window(String what, Instant issue, Instant next) throws QuoteVerificationException {
            if (at.isBefore(issue)) {
                throw new QuoteVerificationException(Kind.EXPIRED_OR_NOT_YET_VALID,
                        what + " issue date " + issue + " is in the future at " + at);
            }
            if (at.isAfter(next)) {
                throw new QuoteVerificationException(Kind.EXPIRED_OR_NOT_YET_VALID,
                        what + " expired: nextUpdate " + next + " is before " + at);
            }
        }

        private TcbInfo.TdxModule tdxModule(TcbInfo ti, TdReportBody td) throws QuoteVerificationException {
            byte[] seamAttributes = td.seamAttributes();
            if (!Arrays.equals(seamAttributes, new byte[8])) {
                throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "SEAMATTRIBUTES must be zero");
            }
            int majorVersion = td.teeTcbSvn()[1] & 0xff;
            TcbInfo.TdxModule m;
            if (majorVersion == 0) {
                m = ti.tdxModule();
                if (m == null) {
                    throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "TDX TCB info has no tdxModule");
                }
            } else {
                String id = String.format("TDX_%02X", majorVersion);
                m = ti.tdxModuleIdentities().get(id);
                if (m == null) {
                    throw new QuoteVerificationException(Kind.TCB_NOT_SUPPORTED,
                            "TDX module identity " + id + " not found in TCB info");
                }
            }
            if (!Arrays.equals(m.mrSigner(), td.mrSignerSeam())) {
                throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH,
                        "MRSIGNERSEAM does not match the TDX module identity " + m.id());
            }
            for (int i = 0; i < 8; i++) {
                if ((seamAttributes[i] & m.attributesMask()[i]) != m.attributes()[i]) {
                    throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH,
                            "SEAMATTRIBUTES do not match the TDX module identity " + m.id());
                }
            }
            return majorVersion == 0 ? null : m;
        }

        private TcbLevel qeIdentity(QeIdentity qi, boolean tdx) throws QuoteVerificationException {
            String expected = tdx ? "TD_QE" : "QE";
            if (!qi.id().equals(expected) || qi.version() < 2 || qi.version() > 3) {
                throw new QuoteVerificationException(Kind.QE_IDENTITY_MISMATCH, "QE identity id " + qi.id()
                        + " version " + qi.version() + " does not apply to a " + quote.teeType() + " quote");
            }
            SgxReportBody qe = quote.qeReport();
            if ((qe.miscSelect() & qi.miscSelectMask()) != qi.miscSelect()) {
                throw new QuoteVerificationException(Kind.QE_IDENTITY_MISMATCH,
                        "QE MISCSELECT does not match the QE identity");
            }
            byte[] attr = qe.attributes();
            for (int i = 0; i < 16; i++) {
                if ((attr[i] & qi.attributesMask()[i]) != qi.attributes()[i]) {
                    throw new QuoteVerificationException(Kind.QE_IDENTITY_MISMATCH,
                            "QE ATTRIBUTES do not match the QE identity");
                }
            }
            if (!Arrays.equals(qe.mrSigner(), qi.mrSigner())) {
                throw new QuoteVerificationException(Kind.QE_IDENTITY_MISMATCH,
                        "QE MRSIGNER does not match the QE identity");
            }
            if (qe.isvProdId() != qi.isvProdId()) {
                throw new QuoteVerificationException(Kind.QE_IDENTITY_MISMATCH,
                        "QE ISVPRODID " + qe.isvProdId() + " differs from the QE identity's " + qi.isvProdId());
            }
            for (TcbLevel l : qi.levels()) {
                if (l.isvSvn() <= qe.isvSvn()) {
                    return l;
                }
            }
            throw new QuoteVerificationException(Kind.TCB_NOT_SUPPORTED, "QE ISVSVN " + qe.isvSvn()
                    + " is below every QE identity TCB level (Intel: STATUS_TCB_NOT_SUPPORTED)");
        }

        private boolean sgxMatches(TcbLevel l, PckExtension pck) {
            for (int i = 0; i < 16; i++) {
                if (pck.compSvns()[i] < l.sgxComponents()[i]) {
                    return false;
                }
            }
            return pck.pceSvn() >= l.pceSvn();
        }

        private boolean tdxMatches(TcbLevel l, byte[] teeTcbSvn) {
            if (l.tdxComponents() == null) {
                return false;
            }
            int start = (teeTcbSvn[1] & 0xff) > 0 ? 2 : 0;
            for (int i = start; i < 16; i++) {
                if ((teeTcbSvn[i] & 0xff) < l.tdxComponents()[i]) {
                    return false;
                }
            }
            return true;
        }

        private void evaluateTcb(TcbInfo ti, PckExtension pck, TcbInfo.TdxModule module, TcbLevel qeLevel)
                throws QuoteVerificationException {
            stage = Kind.TCB_NOT_SUPPORTED;
            boolean tdx = quote.teeType() == TeeType.TDX;
            byte[] teeTcbSvn = tdx ? quote.tdBody().teeTcbSvn() : null;
            TcbLevel platform = null;
            for (TcbLevel l : ti.levels()) {
                if (sgxMatches(l, pck) && (!tdx || tdxMatches(l, teeTcbSvn))) {
                    platform = l;
                    break;
                }
            }
            if (platform == null) {
                throw new QuoteVerificationException(Kind.TCB_NOT_SUPPORTED,
                        "TCB level not supported: no matching TCB level (Intel: STATUS_TCB_NOT_SUPPORTED)"
                                + explainNoMatch(ti, pck, teeTcbSvn));
            }
            TcbStatus result = parseStatus(platform.status());
            TreeSet<String> adv = new TreeSet<>(platform.advisoryIds());
            TcbStatus moduleStatus = null;
            if (module != null) {
                TcbLevel ml = null;
                for (TcbLevel l : module.levels()) {
                    if (l.isvSvn() <= (teeTcbSvn[0] & 0xff)) {
                        ml = l;
                        break;
                    }
                }
                if (ml == null) {
                    throw new QuoteVerificationException(Kind.TCB_NOT_SUPPORTED, "TDX module ISVSVN "
                            + (teeTcbSvn[0] & 0xff) + " is below every level of " + module.id()
                            + " (Intel: STATUS_TCB_NOT_SUPPORTED)");
                }
                moduleStatus = parseStatus(ml.status());
                adv.addAll(ml.advisoryIds());
                result = converge(result, moduleStatus);
            }
            if (tdx && quote.tdBody().isV15() && relaunchAdvised(ti, pck, module, result, qeLevel)) {
                result = isConfig(parseStatus(ti.levels().get(0).status()))
                        ? TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED : TcbStatus.TD_RELAUNCH_ADVISED;
            }
            TcbStatus qeStatus = parseStatus(qeLevel.status());
            adv.addAll(qeLevel.advisoryIds());
            result = converge(result, qeStatus);
            status = result;
            advisories = List.copyOf(adv);
        }

        /**
         * TD 1.5 only: the platform is out of date only because of the running TDX module, and TEE_TCB_SVN2 (the
         * module a relaunched TD would get) meets the newest TCB level: a relaunch brings the TD up to date.
         */
        private boolean relaunchAdvised(TcbInfo ti, PckExtension pck, TcbInfo.TdxModule module, TcbStatus current,
                TcbLevel qeLevel) throws QuoteVerificationException {
            if (current != TcbStatus.OUT_OF_DATE && current != TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED) {
                return false;
            }
            if (parseStatus(qeLevel.status()) != TcbStatus.UP_TO_DATE || ti.levels().isEmpty()) {
                return false;
            }
            TcbLevel latest = ti.levels().get(0);
            byte[] svn2 = quote.tdBody().teeTcbSvn2();
            if (!sgxMatches(latest, pck) || !tdxMatches(latest, svn2)) {
                return false;
            }
            if (module != null && (svn2[1] & 0xff) == (quote.tdBody().teeTcbSvn()[1] & 0xff)
                    && !module.levels().isEmpty()) {
                return (svn2[0] & 0xff) >= module.levels().get(0).isvSvn();
            }
            return true;
        }

        private String explainNoMatch(TcbInfo ti, PckExtension pck, byte[] teeTcbSvn) {
            if (ti.levels().isEmpty()) {
                return " - TCB info has no levels";
            }
            for (int i = 0; i < 16; i++) {
                int min = Integer.MAX_VALUE;
                for (TcbLevel l : ti.levels()) {
                    min = Math.min(min, l.sgxComponents()[i]);
                }
                if (pck.compSvns()[i] < min) {
                    return " - PCK SGX comp #" + (i + 1) + " = " + pck.compSvns()[i] + " < " + min
                            + " required by every level";
                }
            }
            int minPce = Integer.MAX_VALUE;
            for (TcbLevel l : ti.levels()) {
                minPce = Math.min(minPce, l.pceSvn());
            }
            if (pck.pceSvn() < minPce) {
                return " - PCESVN " + pck.pceSvn() + " < " + minPce + " required by every level";
            }
            if (teeTcbSvn != null) {
                int start = (teeTcbSvn[1] & 0xff) > 0 ? 2 : 0;
                for (int i = start; i < 16; i++) {
                    int min = Integer.MAX_VALUE;
                    for (TcbLevel l : ti.levels()) {
                        if (l.tdxComponents() != null) {
                            min = Math.min(min, l.tdxComponents()[i]);
                        }
                    }
                    if ((teeTcbSvn[i] & 0xff) < min) {
                        return " - TEE_TCB_SVN[" + i + "] = " + (teeTcbSvn[i] & 0xff) + " < " + min
                                + " required by every level";
                    }
                }
            }
            return " - no single level is met by all components together";
        }

        private void applyPolicy() throws QuoteVerificationException {
            stage = Kind.POLICY_VIOLATION;
            List<String> v = new ArrayList<>();
            measurementPinned = policy.pinsMeasurement();
            if (!measurementPinned && !policy.allowAnyMeasurement()) {
                v.add("policy pins no measurement: pin mrEnclave, mrSigner+isvProdId, or mrTd/rtmrs, or set "
                        + "allowAnyMeasurement");
            }
            if (!policy.acceptedStatuses().contains(status)) {
                v.add("TCB status " + status.text() + " is not accepted (accepted: "
                        + policy.acceptedStatuses().stream().map(TcbStatus::text).toList() + ")");
            }
            if (quote.body() instanceof SgxReportBody b) {
                if (b.debug() && !policy.allowDebug()) {
                    v.add("enclave is in debug mode");
                }
                policy.mrEnclave().ifPresent(e -> {
                    if (!Arrays.equals(e, b.mrEnclave())) {
                        v.add("MRENCLAVE " + Hex.encode(b.mrEnclave()) + " != expected " + Hex.encode(e));
                    }
                });
                policy.mrSigner().ifPresent(e -> {
                    if (!Arrays.equals(e, b.mrSigner())) {
                        v.add("MRSIGNER " + Hex.encode(b.mrSigner()) + " != expected " + Hex.encode(e));
                    }
                });
                policy.isvProdId().ifPresent(e -> {
                    if (e != b.isvProdId()) {
                        v.add("ISVPRODID " + b.isvProdId() + " != expected " + e);
                    }
                });
                policy.minIsvSvn().ifPresent(e -> {
                    if (b.isvSvn() < e) {
                        v.add("ISVSVN " + b.isvSvn() + " < minimum " + e);
                    }
                });
                if (policy.mrTd().isPresent() || hasRtmr()) {
                    v.add("policy expects TDX measurements but the quote is SGX");
                }
            } else {
                TdReportBody b = quote.tdBody();
                if (b.debug() && !policy.allowDebug()) {
                    v.add("TD is in debug mode");
                }
                if (policy.requireSeptVeDisable() && !b.septVeDisable()) {
                    v.add("TD attribute SEPT_VE_DISABLE is not set");
                }
                if (b.isV15() && !Arrays.equals(b.mrServiceTd(), new byte[48]) && !policy.allowServiceTd()) {
                    v.add("TD is bound to a service TD (MRSERVICETD non-zero) and the policy refuses service TDs");
                }
                policy.mrTd().ifPresent(e -> {
                    if (!Arrays.equals(e, b.mrTd())) {
                        v.add("MRTD " + Hex.encode(b.mrTd()) + " != expected " + Hex.encode(e));
                    }
                });
                for (int i = 0; i < 4; i++) {
                    final int idx = i;
                    policy.rtmr(i).ifPresent(e -> {
                        if (!Arrays.equals(e, b.rtmr(idx))) {
                            v.add("RTMR" + idx + " " + Hex.encode(b.rtmr(idx)) + " != expected " + Hex.encode(e));
                        }
                    });
                }
                if (policy.mrEnclave().isPresent() || policy.mrSigner().isPresent() || policy.isvProdId().isPresent()
                        || policy.minIsvSvn().isPresent()) {
                    v.add("policy expects SGX enclave measurements but the quote is TDX");
                }
            }
            policy.reportData().ifPresent(e -> {
                byte[] rd = quote.reportData();
                if (!MessageDigest.isEqual(e, Arrays.copyOf(rd, e.length))) {
                    v.add("report data " + Hex.encode(Arrays.copyOf(rd, e.length)) + " != expected " + Hex.encode(e));
                }
            });
            if (!v.isEmpty()) {
                throw new QuoteVerificationException(Kind.POLICY_VIOLATION, "rejected by policy: "
                        + String.join("; ", v));
            }
        }

        private boolean hasRtmr() {
            for (int i = 0; i < 4; i++) {
                if (policy.rtmr(i).isPresent()) {
                    return true;
                }
            }
            return false;
        }
    }

    private static TcbStatus parseStatus(String s) throws QuoteVerificationException {
        try {
            return TcbStatus.fromText(s);
        } catch (IllegalArgumentException e) {
            throw new QuoteVerificationException(Kind.INVALID_COLLATERAL, e.getMessage(), e);
        }
    }

    private static boolean isConfig(TcbStatus s) {
        return s == TcbStatus.CONFIGURATION_NEEDED || s == TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED
                || s == TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED
                || s == TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
    }

    /** Intel's convergence of a platform status with a QE or TDX module status. */
    static TcbStatus converge(TcbStatus platform, TcbStatus other) {
        if (other == TcbStatus.REVOKED || platform == TcbStatus.REVOKED) {
            return TcbStatus.REVOKED;
        }
        if (other == TcbStatus.OUT_OF_DATE || other == TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED) {
            if (platform == TcbStatus.UP_TO_DATE || platform == TcbStatus.SW_HARDENING_NEEDED) {
                return TcbStatus.OUT_OF_DATE;
            }
            if (platform == TcbStatus.CONFIGURATION_NEEDED || platform == TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED) {
                return TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
            }
        }
        return platform;
    }

    private static CheckedCollateral checkedCollateral(Collateral c) throws QuoteVerificationException {
        Object cached = c.verifiedCache();
        if (cached instanceof CheckedCollateral cc) {
            return cc;
        }
        if (cached instanceof QuoteVerificationException e) {
            throw new QuoteVerificationException(e.kind(), e.getMessage(), e);
        }
        try {
            List<X509Certificate> tcbChain = chain(c.tcbInfoIssuerChain(), "tcb_info_issuer_chain");
            List<X509Certificate> qeChain = chain(c.qeIdentityIssuerChain(), "qe_identity_issuer_chain");
            X509CRL rootCrl = crl(c.rootCaCrl(), "root_ca_crl");
            X509CRL pckCrl = crl(c.pckCrl(), "pck_crl");
            TcbInfo ti;
            QeIdentity qi;
            try {
                ti = TcbInfo.parse(c.tcbInfo());
            } catch (IllegalArgumentException e) {
                throw new QuoteVerificationException(Kind.INVALID_COLLATERAL, "tcb_info: " + e.getMessage(), e);
            }
            try {
                qi = QeIdentity.parse(c.qeIdentity());
            } catch (IllegalArgumentException e) {
                throw new QuoteVerificationException(Kind.INVALID_COLLATERAL, "qe_identity: " + e.getMessage(), e);
            }
            boolean tcbOk = Ecdsa.verify(tcbChain.get(0).getPublicKey(),
                    c.tcbInfo().getBytes(StandardCharsets.UTF_8), c.tcbInfoSignature());
            boolean qeOk = Ecdsa.verify(qeChain.get(0).getPublicKey(),
                    c.qeIdentity().getBytes(StandardCharsets.UTF_8), c.qeIdentitySignature());
            CheckedCollateral cc = new CheckedCollateral(tcbChain, qeChain, rootCrl, pckCrl, ti, qi, tcbOk, qeOk);
            c.verifiedCache(cc);
            return cc;
        } catch (QuoteVerificationException e) {
            c.verifiedCache(e);
            throw e;
        }
    }

    private static List<X509Certificate> chain(String pem, String field) throws QuoteVerificationException {
        try {
            return Collections.unmodifiableList(Pem.parseChain(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new QuoteVerificationException(Kind.INVALID_COLLATERAL, field + " is not a valid PEM chain: "
                    + e.getMessage(), e);
        }
    }

    private static X509CRL crl(byte[] der, String field) throws QuoteVerificationException {
        if (der.length == 0) {
            return null;
        }
        try {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(der));
            if (!Arrays.equals(crl.getEncoded(), der)) {
                throw new CRLException("CRL encoding is not canonical DER");
            }
            return crl;
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new QuoteVerificationException(Kind.INVALID_COLLATERAL, field + " is not a DER CRL: "
                    + e.getMessage(), e);
        }
    }

    private static byte[] crlBytes(X509CRL crl) {
        try {
            return crl.getEncoded();
        } catch (CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String anchorName(X509Certificate anchor) {
        return sameCert(anchor, INTEL_ROOT) ? "intel" : "extra:" + Hex.encode(sha256(encoded(anchor)));
    }

    private boolean signedBy(X509Certificate cert, PublicKey key) {
        String k = "cert:" + Hex.encode(sha256(encoded(cert))) + ":" + Hex.encode(sha256(key.getEncoded()));
        Boolean ok = signatureCache.get(k);
        if (ok == null) {
            try {
                cert.verify(key);
                ok = true;
            } catch (GeneralSecurityException | RuntimeException e) {
                ok = false;
            }
            signatureCache.put(k, ok);
        }
        return ok;
    }

    private static boolean sameCert(X509Certificate a, X509Certificate b) {
        return Arrays.equals(encoded(a), encoded(b));
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
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
