package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.Pem;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * QVL's {@code checkForRelaunch} on a real TD 1.5 quote: the TDX v5 quote of the {@code
 * dcapqvl_tdx_v5_no_tcb_level} vector (body type 3; TEE_TCB_SVN {@code 07 01 03}: module TDX_01 SVN
 * 7; TEE_TCB_SVN2 {@code 0d 01 03}: a relaunched TD would get module SVN 13). The quote is left
 * untouched (its signature and its QE report, signed by the real PCK key, are checked as they are);
 * its PCK leaf is re-issued with the same public key and SGX extension by the test root (the
 * simulation CA, pinned by fingerprint), which then signs TCB info variants of Intel's own TCB info
 * for that FMSPC (dates moved to the test time; the SGX components lowered to the platform's, since
 * Intel's levels all need SGX component 8 at 5 and this platform has 3). Each variant gives the
 * status QVL gives.
 */
class TdRelaunchVectorTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final Forge f = new Forge();
  final QuoteVerifier verifier = new QuoteVerifier();
  final Vectors.Vector vector = Vectors.byId("dcapqvl_tdx_v5_no_tcb_level");
  final byte[] quote = vector.quote();
  final Collateral intel = vector.collateral();

  /** The real quote's PCK leaf, re-issued by the test root's PCK CA with the same key. */
  X509Certificate reissuedLeaf() throws Exception {
    X509Certificate real = Pem.parseChain(Quote.parse(quote).certificationData()).get(0);
    return Forge.mint(
        Forge.subject(f.pck), Forge.subject(f.pckCa), real.getPublicKey(), f.pckCaKey, false, real);
  }

  /** Intel's TCB info for this FMSPC, valid at the test time, then {@code edit}ed. */
  String tcbInfo(Consumer<ObjectNode> edit) throws Exception {
    ObjectNode ti = (ObjectNode) JSON.readTree(intel.tcbInfo());
    dated(ti);
    X509Certificate real = Pem.parseChain(Quote.parse(quote).certificationData()).get(0);
    int[] platform = PckExtension.of(real).compSvns();
    for (var level : ti.withArray("tcbLevels")) {
      ArrayNode sgx = (ArrayNode) level.path("tcb").path("sgxtcbcomponents");
      for (int i = 0; i < sgx.size(); i++) {
        ObjectNode c = (ObjectNode) sgx.get(i);
        c.put("svn", Math.min(c.path("svn").asInt(), platform[i]));
      }
    }
    edit.accept(ti);
    return JSON.writeValueAsString(ti);
  }

  static void dated(ObjectNode n) {
    n.put("issueDate", Forge.NOW.minus(Duration.ofDays(1)).toString());
    n.put("nextUpdate", Forge.NOW.plus(Duration.ofDays(20)).toString());
  }

  /** Module TDX_01's TCB levels replaced by {@code levels} (JSON array text). */
  static Consumer<ObjectNode> module01(String levels) {
    return ti -> {
      for (var m : ti.withArray("tdxModuleIdentities")) {
        if ("TDX_01".equals(m.path("id").asText())) {
          try {
            ((ObjectNode) m).set("tcbLevels", JSON.readTree(levels));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }
    };
  }

  /** TDX_01: SVN {@code newest} UpToDate, SVN 7 (this TD's module) OutOfDate. */
  static Consumer<ObjectNode> moduleOutOfDateBelow(int newest) {
    return module01(
        "[{\"tcb\":{\"isvsvn\":"
            + newest
            + "},\"tcbDate\":\"2025-11-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},"
            + "{\"tcb\":{\"isvsvn\":7},\"tcbDate\":\"2024-11-13T00:00:00Z\",\"tcbStatus\":"
            + "\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-01111\"]}]");
  }

  static Consumer<ObjectNode> newestLevelStatus(String status) {
    return ti -> ((ObjectNode) ti.withArray("tcbLevels").get(0)).put("tcbStatus", status);
  }

  Verdict verify(String tcbInfo, String qeIdentity) throws Exception {
    Collateral c =
        Forge.withQeIdentity(
            Forge.withTcbInfo(f.sim.collateral(TeeType.TDX, Forge.NOW), tcbInfo, f.tcbKey),
            qeIdentity,
            f.tcbKey);
    c = c.toBuilder().pckCertificateChain(Forge.pem(reissuedLeaf(), f.pckCa, f.root)).build();
    VerificationPolicy policy =
        f.policy().toBuilder().acceptAnyNonRevokedStatus().requireSeptVeDisable(false).build();
    return verifier.verify(quote, c, Forge.NOW, policy);
  }

  Verdict verify(String tcbInfo) throws Exception {
    return verify(tcbInfo, qeIdentity(s -> s));
  }

  /** Intel's TD QE identity, valid at the test time, its statuses mapped by {@code status}. */
  String qeIdentity(java.util.function.UnaryOperator<String> status) throws Exception {
    ObjectNode qi = (ObjectNode) JSON.readTree(intel.qeIdentity());
    dated(qi);
    for (var level : qi.withArray("tcbLevels")) {
      ((ObjectNode) level).put("tcbStatus", status.apply(level.path("tcbStatus").asText()));
    }
    return JSON.writeValueAsString(qi);
  }

  static void status(TcbStatus want, Verdict v) {
    assertTrue(v.ok(), v::toString);
    assertEquals(want, v.status().get(), v::toString);
  }

  @Test
  void theVectorIsATd15QuoteWhoseRelaunchWouldGetANewerModule() throws Exception {
    Quote q = Quote.parse(quote);
    assertEquals(5, q.version());
    assertEquals(3, q.bodyType(), "TD 1.5 report body");
    assertTrue(q.tdBody().isV15());
    assertArrayEquals(
        HexFormat.of().parseHex("07010300000000000000000000000000"), q.tdBody().teeTcbSvn());
    assertArrayEquals(
        HexFormat.of().parseHex("0d010300000000000000000000000000"), q.tdBody().teeTcbSvn2());
  }

  @Test
  void withIntelsModuleLevelsTheModuleIsUpToDateAndNothingIsAdvised() throws Exception {
    // TDX_01's newest level is SVN 6; this TD runs 7.
    status(TcbStatus.UP_TO_DATE, verify(tcbInfo(ti -> {})));
  }

  @Test
  void relaunchIsAdvisedWhenOnlyTheModuleIsOutOfDateAndTheRelaunchedModuleMeetsTheNewest()
      throws Exception {
    Verdict v = verify(tcbInfo(moduleOutOfDateBelow(13)));
    status(TcbStatus.TD_RELAUNCH_ADVISED, v);
    assertTrue(v.advisories().contains("INTEL-SA-01111"), v::toString);
  }

  @Test
  void relaunchIsNotAdvisedWhenTheRelaunchedModuleWouldStillBeOutOfDate() throws Exception {
    // TEE_TCB_SVN2 gives module SVN 13; the newest is 14: relaunching does not help.
    status(TcbStatus.OUT_OF_DATE, verify(tcbInfo(moduleOutOfDateBelow(14))));
  }

  @Test
  void relaunchWithConfigurationNeededKeepsTheConfigurationPart() throws Exception {
    status(
        TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
        verify(
            tcbInfo(moduleOutOfDateBelow(13).andThen(newestLevelStatus("ConfigurationNeeded")))));
  }

  @Test
  void relaunchIsNotAdvisedWhenTheQuotingEnclaveIsOutOfDate() throws Exception {
    status(
        TcbStatus.OUT_OF_DATE,
        verify(tcbInfo(moduleOutOfDateBelow(13)), qeIdentity(s -> "OutOfDate")));
  }

  @Test
  void relaunchIsNotAdvisedWhenTheTdxLevelItselfIsOutOfDate() throws Exception {
    // The newest level needs TDX component 2 (SEAM SVN) at 4; this TD and its relaunch have 3, so
    // the TD matches the next (OutOfDate) level: a relaunch would not reach the newest level.
    Consumer<ObjectNode> seam4 =
        ti -> {
          ObjectNode newest = (ObjectNode) ti.withArray("tcbLevels").get(0);
          ((ObjectNode) newest.path("tcb").path("tdxtcbcomponents").get(2)).put("svn", 4);
        };
    status(TcbStatus.OUT_OF_DATE, verify(tcbInfo(moduleOutOfDateBelow(13).andThen(seam4))));
  }

  @Test
  void aModuleOfTeeTcbSvn2MissingFromTcbInfoIsRefused() throws Exception {
    // Module TDX_01 gone: the TD's own module (major 1) cannot be evaluated.
    Verdict v =
        verify(
            tcbInfo(
                ti -> {
                  ArrayNode ids = ti.withArray("tdxModuleIdentities");
                  for (int i = ids.size() - 1; i >= 0; i--) {
                    if ("TDX_01".equals(ids.get(i).path("id").asText())) {
                      ids.remove(i);
                    }
                  }
                }));
    assertFalse(v.ok(), v::toString);
    assertEquals(QuoteVerificationException.Kind.TCB_INFO_MISMATCH, v.failure().get().kind());
    assertTrue(v.failure().get().getMessage().contains("TDX_01"), v::toString);
  }

  @Test
  void intelsOwnCollateralStillFindsNoLevelForThisPlatform() {
    // The unedited vector, as the manifest expects (Intel-rooted, no re-issuing).
    Verdict v =
        verifier.verify(
            quote,
            intel,
            vector.at(),
            VerificationPolicy.builder()
                .requireCrls(false)
                .allowAnyMeasurement(true)
                .acceptAnyNonRevokedStatus()
                .requireSeptVeDisable(false)
                .build());
    assertFalse(v.ok(), v::toString);
    assertEquals(QuoteVerificationException.Kind.TCB_NOT_SUPPORTED, v.failure().get().kind());
  }
}
