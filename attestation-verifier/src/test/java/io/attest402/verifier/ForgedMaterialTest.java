package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Le;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/**
 * Attacks with forged material built from a test root: each is refused (or accepted) for the reason
 * Intel's QVL gives. The simulation CA stands in for Intel's hierarchy; its certificates follow
 * Intel's structure and names.
 */
class ForgedMaterialTest {
  final Forge f = new Forge();
  final QuoteVerifier verifier = new QuoteVerifier();

  Verdict verify(byte[] quote, Collateral c) {
    return verifier.verify(quote, c, Forge.NOW, f.policy());
  }

  static void refused(Verdict v, Kind kind, String reason) {
    assertFalse(v.ok(), v::toString);
    assertEquals(kind, v.failure().get().kind(), v::toString);
    assertTrue(v.failure().get().getMessage().contains(reason), v.failure().get().getMessage());
  }

  @Test
  void genuineMaterialVerifies() {
    Verdict v = verify(f.sgxQuote(), f.collateral());
    assertTrue(v.ok(), v::toString);
    assertEquals("simulation:" + f.ca.rootFingerprintSha256(), v.anchor().get());
  }

  @Test
  void aLeakedPckKeyCannotMintAnIntermediate() {
    // The attacker holds a genuine PCK leaf's key: it issues a fake CA, which issues a fake PCK
    // certificate.
    KeyPair fakeCa = Forge.newKey();
    KeyPair fakeLeaf = Forge.newKey();
    X509Certificate ca =
        Forge.mint(
            Forge.name("attest402 SIMULATED SGX PCK Platform CA"),
            Forge.subject(f.pck),
            fakeCa.getPublic(),
            f.pckKey,
            true,
            null);
    X509Certificate leaf =
        Forge.mint(
            Forge.name("attest402 SIMULATED SGX PCK Certificate"),
            Forge.subject(ca),
            fakeLeaf.getPublic(),
            fakeCa.getPrivate(),
            false,
            f.pck);
    byte[] quote = Forge.resignQeReport(f.sgxQuote(), fakeLeaf.getPrivate());
    Collateral five =
        f.collateral().toBuilder()
            .pckCertificateChain(Forge.pem(leaf, ca, f.pck, f.pckCa, f.root))
            .build();
    refused(
        verify(quote, five),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "PCK certificate chain has 5 certificates");
    Collateral four =
        f.collateral().toBuilder().pckCertificateChain(Forge.pem(leaf, ca, f.pck, f.pckCa)).build();
    refused(verify(quote, four), Kind.INVALID_CERTIFICATE_CHAIN, "has 4 certificates");
    // ... and the fake CA alone under the root: not issued by the root
    Collateral three =
        f.collateral().toBuilder().pckCertificateChain(Forge.pem(leaf, ca, f.root)).build();
    refused(
        verify(quote, three),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "is not issued directly by the anchor");
  }

  @Test
  void theLeafMustNotBeACaAndTheCaMustBeOne() {
    KeyPair k = Forge.newKey();
    X509Certificate caLeaf =
        Forge.mint(
            Forge.subject(f.pck), Forge.subject(f.pckCa), k.getPublic(), f.pckCaKey, true, f.pck);
    byte[] quote = Forge.resignQeReport(f.sgxQuote(), k.getPrivate());
    refused(
        verify(
            quote,
            f.collateral().toBuilder()
                .pckCertificateChain(Forge.pem(caLeaf, f.pckCa, f.root))
                .build()),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "must not be a CA");
    KeyPair c = Forge.newKey();
    X509Certificate notCa =
        Forge.mint(
            Forge.subject(f.pckCa), Forge.subject(f.root), c.getPublic(), f.rootKey, false, null);
    KeyPair l = Forge.newKey();
    X509Certificate leaf =
        Forge.mint(
            Forge.subject(f.pck),
            Forge.subject(notCa),
            l.getPublic(),
            c.getPrivate(),
            false,
            f.pck);
    refused(
        verify(
            Forge.resignQeReport(f.sgxQuote(), l.getPrivate()),
            f.collateral().toBuilder().pckCertificateChain(Forge.pem(leaf, notCa, f.root)).build()),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "must be a CA");
  }

  @Test
  void tcbInfoSignedByACertificateThatIsNotTheTcbSigner() throws Exception {
    Collateral genuine = f.collateral();
    // a "TCB Signing" certificate issued by the PCK CA key, then by the PCK leaf key
    KeyPair k = Forge.newKey();
    X509Certificate byPckCa =
        Forge.mint(
            Forge.name("attest402 SIMULATED SGX TCB Signing"),
            Forge.subject(f.pckCa),
            k.getPublic(),
            f.pckCaKey,
            false,
            null);
    Collateral c1 =
        Forge.withTcbInfo(genuine, genuine.tcbInfo(), k.getPrivate()).toBuilder()
            .tcbInfoIssuerChain(Forge.pem(byPckCa, f.pckCa, f.root))
            .build();
    refused(
        verify(f.sgxQuote(), c1),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "TCB info issuer chain has 3 certificates");
    Collateral c2 = c1.toBuilder().tcbInfoIssuerChain(Forge.pem(byPckCa, f.root)).build();
    refused(
        verify(f.sgxQuote(), c2),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "is not issued directly by the anchor");
    X509Certificate byLeaf =
        Forge.mint(
            Forge.name("attest402 SIMULATED SGX TCB Signing"),
            Forge.subject(f.pck),
            k.getPublic(),
            f.pckKey,
            false,
            null);
    Collateral c3 =
        c1.toBuilder().tcbInfoIssuerChain(Forge.pem(byLeaf, f.pck, f.pckCa, f.root)).build();
    refused(verify(f.sgxQuote(), c3), Kind.INVALID_CERTIFICATE_CHAIN, "has 4 certificates");
    // a certificate issued by the root but named otherwise (e.g. the PCK CA's key) does not sign
    // TCB info
    Collateral c4 =
        Forge.withTcbInfo(genuine, genuine.tcbInfo(), f.pckCaKey).toBuilder()
            .tcbInfoIssuerChain(Forge.pem(f.pckCa, f.root))
            .build();
    refused(
        verify(f.sgxQuote(), c4),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "is not 'attest402 SIMULATED SGX TCB Signing'");
    // the QE identity chain follows the same rules
    Collateral c5 =
        Forge.withQeIdentity(genuine, genuine.qeIdentity(), k.getPrivate()).toBuilder()
            .qeIdentityIssuerChain(Forge.pem(byPckCa, f.pckCa, f.root))
            .build();
    refused(
        verify(f.sgxQuote(), c5), Kind.INVALID_CERTIFICATE_CHAIN, "QE identity issuer chain has 3");
  }

  @Test
  void pckCrlSignedByAForgedCaOrCarriedByAForgedIssuerChain() {
    KeyPair fakeRoot = Forge.newKey();
    KeyPair fakeCa = Forge.newKey();
    X509Certificate forgedRoot =
        Forge.mint(
            Forge.subject(f.root),
            Forge.subject(f.root),
            fakeRoot.getPublic(),
            fakeRoot.getPrivate(),
            true,
            null);
    X509Certificate forgedCa =
        Forge.mint(
            Forge.subject(f.pckCa),
            Forge.subject(f.root),
            fakeCa.getPublic(),
            fakeRoot.getPrivate(),
            true,
            null);
    byte[] forgedCrl = Forge.crl(Forge.subject(f.pckCa), fakeCa.getPrivate());
    Collateral c1 =
        f.collateral().toBuilder()
            .pckCrl(forgedCrl)
            .pckCrlIssuerChain(Forge.pem(forgedCa, forgedRoot))
            .build();
    refused(verify(f.sgxQuote(), c1), Kind.INVALID_CRL, "pck_crl_issuer_chain");
    // the genuine CRL with a forged issuer chain is refused too: the chain itself is verified
    Collateral c2 =
        f.collateral().toBuilder().pckCrlIssuerChain(Forge.pem(forgedCa, forgedRoot)).build();
    refused(verify(f.sgxQuote(), c2), Kind.INVALID_CRL, "pck_crl_issuer_chain");
    // without an issuer chain, the forged CRL fails on its signature by the PCK CA
    Collateral c3 = f.collateral().toBuilder().pckCrl(forgedCrl).pckCrlIssuerChain("").build();
    refused(verify(f.sgxQuote(), c3), Kind.INVALID_CRL, "PCK CRL signature does not verify");
    // a CRL of the other PCK CA (processor vs platform) does not cover this leaf
    byte[] processor =
        Forge.crl(Forge.name("attest402 SIMULATED SGX PCK Processor CA"), fakeCa.getPrivate());
    Collateral c4 = f.collateral().toBuilder().pckCrl(processor).pckCrlIssuerChain("").build();
    refused(verify(f.sgxQuote(), c4), Kind.INVALID_CRL, "is issued by");
    // a root CRL signed by another key
    Collateral c5 =
        f.collateral().toBuilder()
            .rootCaCrl(Forge.crl(Forge.subject(f.root), fakeRoot.getPrivate()))
            .build();
    refused(verify(f.sgxQuote(), c5), Kind.INVALID_CRL, "root CA CRL signature does not verify");
  }

  @Test
  void revokedCertificatesAreRefused() {
    Collateral leafRevoked =
        f.collateral().toBuilder()
            .pckCrl(Forge.crl(Forge.subject(f.pckCa), f.pckCaKey, f.pck.getSerialNumber()))
            .build();
    refused(verify(f.sgxQuote(), leafRevoked), Kind.REVOKED_CERTIFICATE, "PCK certificate");
    Collateral caRevoked =
        f.collateral().toBuilder()
            .rootCaCrl(Forge.crl(Forge.subject(f.root), f.rootKey, f.pckCa.getSerialNumber()))
            .build();
    refused(verify(f.sgxQuote(), caRevoked), Kind.REVOKED_CERTIFICATE, "PCK CA certificate");
    Collateral signerRevoked =
        f.collateral().toBuilder()
            .rootCaCrl(Forge.crl(Forge.subject(f.root), f.rootKey, f.tcbSigner.getSerialNumber()))
            .build();
    refused(verify(f.sgxQuote(), signerRevoked), Kind.REVOKED_CERTIFICATE, "signing certificate");
  }

  @Test
  void missingCrlsAreRefusedByDefaultAndSkippedOnlyOnExplicitOptOut() {
    Collateral noRoot = f.collateral().toBuilder().rootCaCrl(new byte[0]).build();
    Collateral noPck = f.collateral().toBuilder().pckCrl(new byte[0]).build();
    assertTrue(f.policy().requireCrls());
    refused(verify(f.sgxQuote(), noRoot), Kind.INVALID_COLLATERAL, "the root CA CRL");
    refused(verify(f.sgxQuote(), noPck), Kind.INVALID_COLLATERAL, "the PCK CRL");
    Verdict optOut =
        verifier.verify(
            f.sgxQuote(), noPck, Forge.NOW, f.policy().toBuilder().requireCrls(false).build());
    assertTrue(optOut.ok(), optOut::toString);
    assertTrue(
        optOut.warnings().stream().anyMatch(w -> w.contains("revocation not fully checked")));
  }

  /** MISCSELECT 0x00000001 in the QE report: bytes 01 00 00 00, a little-endian uint32. */
  byte[] quoteWithQeMiscSelect1() throws Exception {
    byte[] quote = f.sgxQuote();
    byte[] report = Quote.parse(quote).qeReport().encoded();
    Le.put32(report, 16, 1);
    return Forge.withQeReport(quote, report, f.pckKey);
  }

  @Test
  void miscSelectIsComparedAsALittleEndianUint32BothWays() throws Exception {
    byte[] quote = quoteWithQeMiscSelect1();
    Collateral genuine = f.collateral();
    // the identity's hex is the report's byte order: "01000000" is MISCSELECT 1
    String one =
        genuine.qeIdentity().replace("\"miscselect\":\"00000000\"", "\"miscselect\":\"01000000\"");
    Verdict accepted = verify(quote, Forge.withQeIdentity(genuine, one, f.tcbKey));
    assertTrue(accepted.ok(), accepted::toString);
    // "00000001" is MISCSELECT 0x01000000, which the report does not have
    String reversed =
        genuine.qeIdentity().replace("\"miscselect\":\"00000000\"", "\"miscselect\":\"00000001\"");
    refused(
        verify(quote, Forge.withQeIdentity(genuine, reversed, f.tcbKey)),
        Kind.QE_IDENTITY_MISMATCH,
        "MISCSELECT 0x00000001");
    // and the mask applies in the same order: masking out the low byte accepts MISCSELECT 1 against
    // 0
    String masked =
        genuine
            .qeIdentity()
            .replace("\"miscselectMask\":\"FFFFFFFF\"", "\"miscselectMask\":\"00FFFFFF\"");
    assertTrue(verify(quote, Forge.withQeIdentity(genuine, masked, f.tcbKey)).ok());
  }

  @Test
  void tcbLevelsAreSelectedInQvlsOrderNotJsonOrder() throws Exception {
    Collateral genuine = f.collateral();
    String low =
        "{\"tcb\":{\"sgxtcbcomponents\":["
            + "{\"svn\":0},".repeat(15)
            + "{\"svn\":0}],\"pcesvn\":0},"
            + "\"tcbDate\":\"2020-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-99999\"]},";
    String reordered = genuine.tcbInfo().replace("\"tcbLevels\":[", "\"tcbLevels\":[" + low);
    Verdict v = verify(f.sgxQuote(), Forge.withTcbInfo(genuine, reordered, f.tcbKey));
    assertTrue(v.ok(), v::toString);
    assertEquals(
        TcbStatus.UP_TO_DATE, v.status().get(), "the highest level the platform meets decides");
    assertTrue(v.advisories().isEmpty(), v.advisories()::toString);
  }

  @Test
  void onlyTcbTypeZeroAndKnownStatusesAreEvaluated() throws Exception {
    Collateral genuine = f.collateral();
    String type1 = genuine.tcbInfo().replace("\"tcbType\":0", "\"tcbType\":1");
    refused(
        verify(f.sgxQuote(), Forge.withTcbInfo(genuine, type1, f.tcbKey)),
        Kind.INVALID_COLLATERAL,
        "tcbType");
    String qeConfig =
        genuine
            .qeIdentity()
            .replace("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"ConfigurationNeeded\"");
    refused(
        verify(f.sgxQuote(), Forge.withQeIdentity(genuine, qeConfig, f.tcbKey)),
        Kind.INVALID_COLLATERAL,
        "is not one Intel defines there");
    String relaunch =
        genuine
            .tcbInfo()
            .replace("\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"TDRelaunchAdvised\"");
    refused(
        verify(f.sgxQuote(), Forge.withTcbInfo(genuine, relaunch, f.tcbKey)),
        Kind.INVALID_COLLATERAL,
        "is not one Intel defines there");
  }

  @Test
  void tdAttributesWithReservedBitsAreRefused() {
    TdReportBody td =
        TdReportBody.builder()
            .mrTd(SimulatorTest.fill(48, 4))
            .tdAttributes(TdReportBody.TD_SEPT_VE_DISABLE | 1L << 40)
            .reportData(SimulatorTest.fill(64, 7))
            .build();
    Verdict v =
        verifier.verify(
            f.sim.tdxQuote(td), f.sim.collateral(TeeType.TDX, Forge.NOW), Forge.NOW, f.policy());
    refused(v, Kind.POLICY_VIOLATION, "TD attributes set reserved bits 0x0000010000000000");
    TdReportBody fine =
        TdReportBody.builder()
            .tdAttributes(TdReportBody.TD_SEPT_VE_DISABLE | TdReportBody.TD_PKS)
            .reportData(SimulatorTest.fill(64, 7))
            .build();
    assertTrue(
        verifier
            .verify(
                f.sim.tdxQuote(fine),
                f.sim.collateral(TeeType.TDX, Forge.NOW),
                Forge.NOW,
                f.policy())
            .ok());
  }

  @Test
  void extraTrustAnchorsAreRootsAndFollowTheSameStructure() {
    assertThrows(
        IllegalArgumentException.class, () -> VerificationPolicy.builder().addTrustAnchor(f.pckCa));
    VerificationPolicy extra =
        VerificationPolicy.builder().addTrustAnchor(f.root).allowAnyMeasurement(true).build();
    assertTrue(verifier.verify(f.sgxQuote(), f.collateral(), Forge.NOW, extra).ok());
    KeyPair k = Forge.newKey();
    X509Certificate byPckCa =
        Forge.mint(
            Forge.name("attest402 SIMULATED SGX TCB Signing"),
            Forge.subject(f.pckCa),
            k.getPublic(),
            f.pckCaKey,
            false,
            null);
    Collateral c;
    try {
      c =
          Forge.withTcbInfo(f.collateral(), f.collateral().tcbInfo(), k.getPrivate()).toBuilder()
              .tcbInfoIssuerChain(Forge.pem(byPckCa, f.pckCa, f.root))
              .build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    refused(
        verifier.verify(f.sgxQuote(), c, Forge.NOW, extra),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "3 certificates");
  }

  @Test
  void aSelfSignedCertificateWithTheSimulationNameIsNotTrustedUnlessPinned() {
    Forge other = new Forge();
    Verdict v = verifier.verify(other.sgxQuote(), other.collateral(), Forge.NOW, f.policy());
    refused(v, Kind.SIMULATED_REJECTED, other.ca.rootFingerprintSha256());
    // the TCB info of one simulation CA does not verify a quote of another, even with both pinned
    VerificationPolicy both =
        f.policy().toBuilder().trustSimulationRoot(other.ca.rootFingerprintSha256()).build();
    assertTrue(verifier.verify(other.sgxQuote(), other.collateral(), Forge.NOW, both).ok());
    refused(
        verifier.verify(other.sgxQuote(), f.collateral(), Forge.NOW, both),
        Kind.INVALID_CERTIFICATE_CHAIN,
        "not at the anchor that roots the PCK chain");
  }
}
