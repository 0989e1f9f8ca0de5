package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SimulatorTest {
  static final Instant NOW = Instant.parse("2026-01-15T12:00:00Z");
  static final SimulationCa CA = SimulationCa.generate(NOW);
  static final VerificationPolicy SIM =
      VerificationPolicy.builder()
          .trustSimulationRoot(CA.rootFingerprintSha256())
          .allowAnyMeasurement(true)
          .build();

  static byte[] fill(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed + i);
    }
    return b;
  }

  static SgxReportBody sgxBody() {
    return SgxReportBody.builder()
        .mrEnclave(fill(32, 1))
        .mrSigner(fill(32, 2))
        .isvProdId(7)
        .isvSvn(3)
        .attributeFlags(SgxReportBody.FLAG_INIT | SgxReportBody.FLAG_MODE64BIT)
        .xfrm(3)
        .reportData(fill(64, 9))
        .build();
  }

  @Test
  void simulatedSgxQuotePassesOnlyWithItsPinnedRoot() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Collateral c = sim.collateral(TeeType.SGX, NOW);
    Verdict rejected = new QuoteVerifier().verify(q, c, NOW, VerificationPolicy.defaults());
    assertFalse(rejected.ok());
    assertEquals(Kind.SIMULATED_REJECTED, rejected.failure().get().kind());
    assertTrue(rejected.failure().get().getMessage().contains("simulationRoots"));
    // another simulation CA's root pinned: still refused, the CN prefix alone never earns trust
    Verdict otherPin =
        new QuoteVerifier()
            .verify(
                q,
                c,
                NOW,
                VerificationPolicy.builder()
                    .allowAnyMeasurement(true)
                    .trustSimulationRoot(SimulationCa.generate(NOW).rootFingerprintSha256())
                    .build());
    assertEquals(Kind.SIMULATED_REJECTED, otherPin.failure().get().kind(), otherPin::toString);
    assertTrue(otherPin.failure().get().getMessage().contains(CA.rootFingerprintSha256()));
    Verdict ok =
        new QuoteVerifier()
            .verify(
                q,
                c,
                NOW.plusSeconds(60),
                SIM.toBuilder()
                    .mrEnclave(fill(32, 1))
                    .mrSigner(fill(32, 2))
                    .isvProdId(7)
                    .minIsvSvn(3)
                    .reportData(Arrays.copyOf(fill(64, 9), 32))
                    .build());
    assertTrue(ok.ok(), ok::toString);
    assertTrue(ok.simulated());
    assertTrue(ok.measurementPinned());
    assertEquals("simulation:" + CA.rootFingerprintSha256(), ok.anchor().get());
    assertEquals(TcbStatus.UP_TO_DATE, ok.status().get());
    assertTrue(ok.toJson().contains("\"simulated\":true"));
    assertTrue(ok.warnings().stream().anyMatch(w -> w.contains("SIMULATED")));
    assertEquals(Hex.encode(fill(32, 1)), ok.measurements().get("mrEnclave"));
    assertEquals(3, ok.quote().get().version());
    Verdict wrongMr =
        new QuoteVerifier().verify(q, c, NOW, SIM.toBuilder().mrEnclave(fill(32, 5)).build());
    assertEquals(Kind.POLICY_VIOLATION, wrongMr.failure().get().kind());
    Verdict late = new QuoteVerifier().verify(q, c, NOW.plus(Duration.ofDays(31)), SIM);
    assertEquals(Kind.EXPIRED_OR_NOT_YET_VALID, late.failure().get().kind());
  }

  @Test
  void simulatedQuoteIsNotTrustedAsIntelAndIntelCollateralDoesNotFit() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Vectors.Vector intel = Vectors.byId("dcapqvl_sgx_v3");
    Verdict d = new QuoteVerifier().verify(q, intel.collateral(), intel.at(), SIM);
    assertFalse(d.ok());
    Verdict other =
        new QuoteVerifier()
            .verify(
                q,
                new DcapSimulator(SimulationCa.generate(NOW)).collateral(TeeType.SGX, NOW),
                NOW,
                SIM);
    assertFalse(other.ok(), other::toString);
    assertTrue(
        other.failure().get().kind() == Kind.INVALID_CRL
            || other.failure().get().kind() == Kind.INVALID_CERTIFICATE_CHAIN,
        other::toString);
  }

  @Test
  void everyByteFlipOfASimulatedQuoteFails() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Collateral c = sim.collateral(TeeType.SGX, NOW);
    for (int i = 0; i < q.length; i++) {
      byte[] m = q.clone();
      m[i] ^= (byte) (1 << (i % 8));
      if (i % 3 == 0) {
        m[i] ^= (byte) 0x84;
      }
      Verdict d = new QuoteVerifier().verify(m, c, NOW, SIM);
      final int pos = i;
      assertFalse(d.ok(), () -> "flip at " + pos + " passed");
    }
  }

  @Test
  void caSurvivesSerialisationAndTdxQuotesVerify() {
    SimulationCa restored = SimulationCa.fromJson(CA.toJson());
    assertArrayEquals(QuoteVerifier.encoded(CA.root()), QuoteVerifier.encoded(restored.root()));
    DcapSimulator sim = new DcapSimulator(restored);
    byte[] first = new DcapSimulator(CA).sgxQuote(sgxBody());
    assertTrue(new QuoteVerifier().verify(first, sim.collateral(TeeType.SGX, NOW), NOW, SIM).ok());
    TdReportBody td =
        TdReportBody.builder()
            .mrTd(fill(48, 4))
            .rtmr(0, fill(48, 5))
            .rtmr(3, fill(48, 6))
            .tdAttributes(TdReportBody.TD_SEPT_VE_DISABLE)
            .xfam(0xe7)
            .reportData(fill(64, 7))
            .build();
    byte[] tq = sim.tdxQuote(td);
    Collateral tc = sim.collateral(TeeType.TDX, NOW);
    Verdict v =
        new QuoteVerifier()
            .verify(tq, tc, NOW, SIM.toBuilder().mrTd(fill(48, 4)).rtmr(3, fill(48, 6)).build());
    assertTrue(v.ok(), v::toString);
    assertEquals(TeeType.TDX, v.teeType().get());
    assertEquals(4, v.quote().get().version());
    byte[] noSept = sim.tdxQuote(TdReportBody.builder().reportData(fill(64, 1)).build());
    Verdict refused = new QuoteVerifier().verify(noSept, tc, NOW, SIM);
    assertEquals(Kind.POLICY_VIOLATION, refused.failure().get().kind());
    assertTrue(refused.failure().get().getMessage().contains("SEPT_VE_DISABLE"));
    byte[] debug =
        sim.sgxQuote(SgxReportBody.builder().attributeFlags(SgxReportBody.FLAG_DEBUG).build());
    Verdict dbg = new QuoteVerifier().verify(debug, sim.collateral(TeeType.SGX, NOW), NOW, SIM);
    assertTrue(dbg.failure().get().getMessage().contains("debug"));
    assertTrue(
        new QuoteVerifier()
            .verify(
                debug,
                sim.collateral(TeeType.SGX, NOW),
                NOW,
                SIM.toBuilder().allowDebug(true).build())
            .ok());
  }

  @Test
  void extraTrustAnchorMakesTheSimulationRootAPlainAnchor() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Verdict v =
        new QuoteVerifier()
            .verify(
                q,
                sim.collateral(TeeType.SGX, NOW),
                NOW,
                VerificationPolicy.builder()
                    .addTrustAnchor(CA.root())
                    .allowAnyMeasurement(true)
                    .build());
    assertTrue(v.ok(), v::toString);
    assertFalse(v.simulated());
    assertFalse(v.measurementPinned());
    assertEquals("extra:" + CA.rootFingerprintSha256(), v.anchor().get());
  }

  @Test
  void policyToJsonReadsBackAsTheSamePolicy() {
    VerificationPolicy p =
        VerificationPolicy.builder()
            .acceptedStatuses(TcbStatus.UP_TO_DATE, TcbStatus.SW_HARDENING_NEEDED)
            .trustSimulationRoot(CA.rootFingerprintSha256())
            .mrSigner(fill(32, 2))
            .isvProdId(7)
            .minIsvSvn(3)
            .mrTd(fill(48, 4))
            .rtmr(3, fill(48, 6))
            .requireCrls(false)
            .allowDebug(true)
            .build();
    String json = p.toJson();
    VerificationPolicy back = VerificationPolicy.fromJson(json);
    assertEquals(json, back.toJson());
    assertEquals(p.acceptedStatuses(), back.acceptedStatuses());
    assertEquals(p.simulationRoots(), back.simulationRoots());
    assertArrayEquals(fill(48, 6), back.rtmr(3).get());
    assertEquals(7, back.isvProdId().get());
    assertTrue(json.contains("\"acceptedStatuses\":[\"UpToDate\",\"SWHardeningNeeded\"]"), json);
    assertTrue(json.contains("\"mrSigner\":\"" + Hex.encode(fill(32, 2)) + "\""), json);
    assertTrue(back.allowDebug() && !back.requireCrls() && !back.allowAnyMeasurement(), json);
    assertEquals(
        VerificationPolicy.defaults().toJson(),
        VerificationPolicy.fromJson(VerificationPolicy.defaults().toJson()).toJson());
  }

  @Test
  void policyFromJson() {
    VerificationPolicy p =
        VerificationPolicy.fromJson(
            "{\"acceptedStatuses\":[\"UpToDate\",\"OutOfDate\"],"
                + "\"simulationRoots\":[\""
                + CA.rootFingerprintSha256().toUpperCase()
                + "\"],\"mrEnclave\":\""
                + Hex.encode(fill(32, 1))
                + "\",\"reportData\":\""
                + Hex.encode(fill(32, 9))
                + "\"}");
    assertTrue(p.allowSimulated());
    assertEquals(java.util.Set.of(CA.rootFingerprintSha256()), p.simulationRoots());
    assertTrue(p.requireCrls());
    IllegalArgumentException old =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> VerificationPolicy.fromJson("{\"allowSimulated\":true}"));
    assertTrue(old.getMessage().contains("simulationRoots"), old.getMessage());
    IllegalArgumentException signerOnly =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                VerificationPolicy.fromJson("{\"mrSigner\":\"" + Hex.encode(fill(32, 2)) + "\"}"));
    assertTrue(signerOnly.getMessage().contains("ISVPRODID"), signerOnly.getMessage());
    assertEquals(2, p.acceptedStatuses().size());
    DcapSimulator sim = new DcapSimulator(CA);
    assertTrue(
        new QuoteVerifier()
            .verify(sim.sgxQuote(sgxBody()), sim.collateral(TeeType.SGX, NOW), NOW, p)
            .ok());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> VerificationPolicy.fromJson("{\"acceptedStatuses\":[\"Revoked\"]}"));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> VerificationPolicy.fromJson("{\"allowDebugg\":true}"));
  }

  @Test
  void aPolicyThatPinsNoMeasurementIsRefusedUnlessItAllowsAny() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Collateral c = sim.collateral(TeeType.SGX, NOW);
    VerificationPolicy unpinned =
        VerificationPolicy.builder().trustSimulationRoot(CA.rootFingerprintSha256()).build();
    Verdict refused = new QuoteVerifier().verify(q, c, NOW, unpinned);
    assertEquals(Kind.POLICY_VIOLATION, refused.failure().get().kind());
    assertTrue(refused.verified());
    assertTrue(
        refused
            .failure()
            .get()
            .getMessage()
            .contains(
                "policy pins no measurement: pin mrEnclave, "
                    + "mrSigner+isvProdId, or mrTd/rtmrs, or set allowAnyMeasurement"),
        refused::toString);
    Verdict any =
        new QuoteVerifier()
            .verify(q, c, NOW, unpinned.toBuilder().allowAnyMeasurement(true).build());
    assertTrue(any.ok(), any::toString);
    assertFalse(any.measurementPinned());
    assertTrue(any.toJson().contains("\"measurementPinned\":false"));
    Verdict signer =
        new QuoteVerifier()
            .verify(
                q,
                c,
                NOW,
                unpinned.toBuilder().mrSigner(fill(32, 2)).isvProdId(7).minIsvSvn(3).build());
    assertTrue(signer.ok() && signer.measurementPinned(), signer::toString);
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> unpinned.toBuilder().mrSigner(fill(32, 2)).build());
  }

  @Test
  void verifyNeverThrowsOnNullInputs() {
    DcapSimulator sim = new DcapSimulator(CA);
    byte[] q = sim.sgxQuote(sgxBody());
    Collateral c = sim.collateral(TeeType.SGX, NOW);
    QuoteVerifier v = new QuoteVerifier();
    assertFalse(v.verify(q, c, null, SIM).ok());
    assertTrue(v.verify(q, c, null, SIM).failure().get().getMessage().contains("time"));
    assertFalse(v.verify(null, c, NOW, SIM).ok());
    assertFalse(v.verify(q, null, NOW, SIM).ok());
    assertFalse(v.verify(q, c, NOW, null).ok());
    assertFalse(v.verify(new byte[] {1, 2, 3}, c, NOW, SIM).ok());
  }
}
