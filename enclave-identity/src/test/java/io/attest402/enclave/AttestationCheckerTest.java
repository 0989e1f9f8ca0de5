package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.tee.Emulated;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.cli.QuoteVerifyCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AttestationCheckerTest {
  static final Instant AT = Emulated.NOW.plusSeconds(60);
  static VerificationPolicy SIM;
  static EnclaveIdentity id;
  static EnclaveIdentity tdx;

  @TempDir static Path data;

  @BeforeAll
  static void open() throws Exception {
    Clock clock = Clock.fixed(Emulated.NOW, ZoneOffset.UTC);
    SecureRandom rng = new SecureRandom();
    id =
        Emulated.withCollateral(
            EnclaveIdentity.open(
                SimulatedBackend.open(data.resolve("sgx"), TeeType.SGX, clock, rng),
                data.resolve("sgx"),
                rng,
                clock),
            Emulated.NOW);
    tdx =
        Emulated.withCollateral(
            EnclaveIdentity.open(
                SimulatedBackend.open(data.resolve("tdx"), TeeType.TDX, clock, rng),
                data.resolve("tdx"),
                rng,
                clock),
            Emulated.NOW);
    SIM =
        VerificationPolicy.builder()
            .allowAnyMeasurement(true)
            .trustSimulationRoot(((SimulatedBackend) id.backend()).simulationRootFingerprint())
            .trustSimulationRoot(((SimulatedBackend) tdx.backend()).simulationRootFingerprint())
            .build();
  }

  static AttestationDocument with(AttestationDocument d, String field, String value) {
    ObjectNode n = (ObjectNode) AttestationDocument.MAPPER.valueToTree(d);
    n.put(field, value);
    return AttestationDocument.fromJson(n.toString());
  }

  @Test
  void simulatedDocumentPassesOnlyWithSimulatedTrust() {
    for (EnclaveIdentity i : new EnclaveIdentity[] {id, tdx}) {
      AttestationDocument doc = AttestationDocument.fromJson(i.startupDocument().toJson());
      AttestationChecker.Result ok = AttestationChecker.check(doc, null, AT, SIM, null);
      assertTrue(ok.ok(), ok.summary());
      assertEquals(i.address(), ok.address());
      assertTrue(ok.simulated());
      assertEquals(i.measurement(), ok.measurement());
      AttestationChecker.Result strict =
          AttestationChecker.check(doc, null, AT, VerificationPolicy.defaults(), null);
      assertFalse(strict.ok());
      assertTrue(strict.summary().contains("SIMULATED_REJECTED"), strict.summary());
    }
    assertEquals("simulated-tdx", tdx.startupDocument().teeType());
  }

  @Test
  void policyPinsTheMeasurement() {
    AttestationDocument doc = id.startupDocument();
    assertTrue(
        AttestationChecker.check(
                doc,
                null,
                AT,
                SIM.toBuilder()
                    .mrEnclave(SimulatedBackend.SIM_MRENCLAVE)
                    .mrSigner(SimulatedBackend.SIM_MRSIGNER)
                    .isvProdId(SimulatedBackend.SIM_ISVPRODID)
                    .build(),
                null)
            .ok());
    AttestationChecker.Result wrong =
        AttestationChecker.check(
            doc, null, AT, SIM.toBuilder().mrEnclave(new byte[32]).build(), null);
    assertFalse(wrong.ok());
    assertTrue(wrong.summary().contains("POLICY_VIOLATION"), wrong.summary());
    AttestationDocument td = tdx.startupDocument();
    assertTrue(
        AttestationChecker.check(
                td, null, AT, SIM.toBuilder().mrTd(SimulatedBackend.SIM_MRTD).build(), null)
            .ok());
    // MRTD measures only the TD firmware: a pinning policy must pin RTMRs too
    VerificationPolicy mrTdOnly =
        SIM.toBuilder().allowAnyMeasurement(false).mrTd(SimulatedBackend.SIM_MRTD).build();
    AttestationChecker.Result noRtmr = AttestationChecker.check(td, null, AT, mrTdOnly, null);
    assertFalse(noRtmr.ok());
    assertTrue(noRtmr.summary().contains("pins no RTMR"), noRtmr.summary());
    byte[] rtmr3 = HexFormat.of().parseHex(td.measurement().rtmrs().get(3));
    AttestationChecker.Result pinned =
        AttestationChecker.check(td, null, AT, mrTdOnly.toBuilder().rtmr(3, rtmr3).build(), null);
    assertTrue(pinned.ok(), pinned.summary());
    assertTrue(pinned.measurementPinned());
    assertTrue(
        pinned.summary().contains("rtmr3 " + td.measurement().rtmrs().get(3)), pinned.summary());
  }

  @Test
  void aPolicyWithoutPinsIsRefusedUnlessAnyMeasurementIsAllowed() {
    VerificationPolicy noPins = SIM.toBuilder().allowAnyMeasurement(false).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> AttestationChecker.requirePinned(noPins));
    assertTrue(
        e.getMessage().contains("pins no measurement")
            && e.getMessage().contains("--allow-any-measurement"),
        e.getMessage());
    assertFalse(AttestationChecker.check(id.startupDocument(), null, AT, noPins, null).ok());
    AttestationChecker.Result any =
        AttestationChecker.check(id.startupDocument(), null, AT, SIM, null);
    assertTrue(any.ok(), any.summary());
    assertFalse(any.measurementPinned());
    assertTrue(any.summary().contains("MEASUREMENT NOT PINNED"), any.summary());
  }

  @Test
  void nonceMustBeTheOneRequested() throws Exception {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    byte[] other = nonce.clone();
    other[0] ^= 1;
    // signed nonce: the startup quote plus the enclave key's signature over the nonce and the time
    AttestationDocument doc = id.document(nonce);
    AttestationChecker.Result signed = AttestationChecker.check(doc, null, AT, SIM, nonce);
    assertTrue(signed.ok(), signed.summary());
    AttestationChecker.Result wrong = AttestationChecker.check(doc, null, AT, SIM, other);
    assertFalse(wrong.ok());
    assertTrue(wrong.summary().contains("not the requested"), wrong.summary());
    // a proof signed long ago (a replayed answer) is outside the caller's window
    AttestationChecker.Result late =
        AttestationChecker.check(doc, null, AT.plusSeconds(3600), SIM, nonce);
    assertFalse(late.ok());
    assertTrue(late.summary().contains("allowed window"), late.summary());
    // a proof by another key than the one the quote binds
    AttestationDocument foreign =
        new AttestationDocument(
            doc.format(),
            doc.teeType(),
            doc.simulated(),
            doc.warning(),
            doc.quote(),
            doc.signerAddress(),
            doc.publicKey(),
            doc.measurement(),
            doc.nonce(),
            doc.signers(),
            doc.reportData(),
            doc.binding(),
            doc.collateral(),
            tdx.document(nonce).freshness(),
            doc.sourceRevision(),
            doc.eventLog(),
            doc.generatedAt());
    AttestationChecker.Result forged = AttestationChecker.check(foreign, null, AT, SIM, nonce);
    assertFalse(forged.ok());
    assertTrue(forged.summary().contains("not by the attested key"), forged.summary());
    // fresh quote: the nonce is in the quote's report data
    AttestationDocument fresh = id.freshQuoteDocument(nonce);
    assertTrue(AttestationChecker.check(fresh, null, AT, SIM, nonce).ok());
    AttestationChecker.Result freshWrong = AttestationChecker.check(fresh, null, AT, SIM, other);
    assertFalse(freshWrong.ok());
    assertTrue(
        freshWrong.summary().contains("does not carry the requested nonce"), freshWrong.summary());
    // a replayed startup document does not answer a nonce
    AttestationChecker.Result replay =
        AttestationChecker.check(id.startupDocument(), null, AT, SIM, nonce);
    assertFalse(replay.ok(), replay.summary());
    // a document whose nonce field was edited to match still fails on the quote
    AttestationDocument edited =
        with(id.startupDocument(), "nonce", HexFormat.of().formatHex(nonce));
    AttestationChecker.Result e = AttestationChecker.check(edited, null, AT, SIM, nonce);
    assertFalse(e.ok());
    assertTrue(e.summary().contains("does not carry the requested nonce"), e.summary());
  }

  @Test
  void staleCollateralIsAPreciseFailure() {
    AttestationDocument doc = id.startupDocument();
    java.time.Instant after = AT.plus(java.time.Duration.ofDays(40));
    AttestationChecker.Result stale = AttestationChecker.check(doc, null, after, SIM, null);
    assertFalse(stale.ok());
    assertTrue(
        stale.summary().contains("served collateral is stale")
            && stale.summary().contains("tcbInfo"),
        stale.summary());
  }

  @Test
  void substitutedKeyOrAddressIsCaught() {
    AttestationDocument doc = id.startupDocument();
    InMemoryEnclaveKey other = InMemoryEnclaveKey.generate(new SecureRandom());
    AttestationDocument swapped =
        with(
            with(doc, "publicKey", HexFormat.of().formatHex(other.publicKey())),
            "signerAddress",
            other.address());
    AttestationChecker.Result kept = AttestationChecker.check(swapped, null, AT, SIM, null);
    assertFalse(kept.ok());
    assertTrue(kept.summary().contains("not the document's publicKey"), kept.summary());
    ObjectNode n = (ObjectNode) AttestationDocument.MAPPER.valueToTree(swapped);
    n.remove("signers"); // as a document from before --signers: the one key is publicKey
    AttestationChecker.Result r =
        AttestationChecker.check(AttestationDocument.fromJson(n.toString()), null, AT, SIM, null);
    assertFalse(r.ok());
    assertTrue(r.summary().contains("does not bind the served public key"), r.summary());
    AttestationChecker.Result addr =
        AttestationChecker.check(with(doc, "signerAddress", other.address()), null, AT, SIM, null);
    assertFalse(addr.ok());
    assertTrue(
        addr.summary().contains("does not derive from the served public key"), addr.summary());
    AttestationChecker.Result notAPoint =
        AttestationChecker.check(
            with(doc, "publicKey", "04" + "11".repeat(64)), null, AT, SIM, null);
    assertTrue(
        notAPoint.summary().contains("not an uncompressed secp256k1 point"), notAPoint.summary());
  }

  @Test
  void documentClaimsMustAgreeWithTheQuote() {
    AttestationDocument doc = id.startupDocument();
    AttestationChecker.Result notSim =
        AttestationChecker.check(
            AttestationDocument.fromJson(
                doc.toJson().replace("\"simulated\":true", "\"simulated\":false")),
            null,
            AT,
            SIM,
            null);
    assertFalse(notSim.ok());
    assertTrue(notSim.summary().contains("document says simulated=false"), notSim.summary());
    AttestationChecker.Result tee =
        AttestationChecker.check(with(doc, "teeType", "tdx"), null, AT, SIM, null);
    assertTrue(tee.summary().contains("teeType"), tee.summary());
    AttestationChecker.Result rd =
        AttestationChecker.check(with(doc, "reportData", "00".repeat(64)), null, AT, SIM, null);
    assertTrue(rd.summary().contains("served reportData differs"), rd.summary());
    String m =
        doc.toJson()
            .replace(HexFormat.of().formatHex(SimulatedBackend.SIM_MRENCLAVE), "ab".repeat(32));
    AttestationChecker.Result meas = AttestationChecker.check(m, null, AT, SIM, null);
    assertTrue(meas.summary().contains("served measurement differs"), meas.summary());
    assertFalse(AttestationChecker.check("{}", null, AT, SIM, null).ok());
  }

  @Test
  void tamperedQuoteOrMissingCollateralFails() {
    AttestationDocument doc = id.startupDocument();
    byte[] q = doc.quoteBytes();
    q[120] ^= 1; // inside MRENCLAVE
    AttestationChecker.Result r =
        AttestationChecker.check(
            with(doc, "quote", Base64.getEncoder().encodeToString(q)), null, AT, SIM, null);
    assertFalse(r.ok());
    assertTrue(r.summary().contains("INVALID_QUOTE_SIGNATURE"), r.summary());
    ObjectNode n = (ObjectNode) AttestationDocument.MAPPER.valueToTree(doc);
    n.remove("collateral");
    AttestationChecker.Result none = AttestationChecker.check(n.toString(), null, AT, SIM, null);
    assertFalse(none.ok());
    assertTrue(none.summary().contains("no collateral"), none.summary());
    // the caller may bring its own collateral
    assertTrue(AttestationChecker.check(n.toString(), id.collateral(AT).get(), AT, SIM, null).ok());
    // and a verification time after the collateral expired fails
    assertFalse(AttestationChecker.check(doc, null, AT.plusSeconds(86400L * 40), SIM, null).ok());
  }

  @Test
  void verifierCliAcceptsTheServedFilesOnlyWithAllowSimulated(@TempDir Path dir) throws Exception {
    AttestationDocument doc = AttestationDocument.fromJson(id.startupDocument().toJson());
    Path quote = dir.resolve("quote.b64");
    Path collateral = dir.resolve("collateral.json");
    doc.writeVerifierFiles(quote, collateral);
    assertEquals(doc.quote() + "\n", Files.readString(quote));
    Clock at = Clock.fixed(AT, ZoneOffset.UTC);
    StringWriter out = new StringWriter();
    CommandLine ok =
        new CommandLine(new QuoteVerifyCommand(at))
            .setOut(new PrintWriter(out))
            .setErr(new PrintWriter(new StringWriter()));
    assertEquals(
        0,
        ok.execute(
            "--quote",
            quote.toString(),
            "--collateral",
            collateral.toString(),
            "--simulation-root",
            ((SimulatedBackend) id.backend()).simulationRootFingerprint(),
            "--allow-any-measurement",
            "--json"),
        out.toString());
    assertTrue(out.toString().contains("\"simulated\":true"), out.toString());
    assertTrue(out.toString().contains(doc.reportData()), out.toString());
    StringWriter out2 = new StringWriter();
    CommandLine strict =
        new CommandLine(new QuoteVerifyCommand(at))
            .setOut(new PrintWriter(out2))
            .setErr(new PrintWriter(new StringWriter()));
    assertEquals(
        1,
        strict.execute("--quote", quote.toString(), "--collateral", collateral.toString()),
        out2.toString());
  }
}
