package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.TcbInfo;
import io.attest402.verifier.internal.TcbLevel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * QVL's checkForRelaunch and level order, on TCB info written for each case (a unit test of one
 * class).
 */
class TcbEvaluationTest {
  static final TcbStatus UTD = TcbStatus.UP_TO_DATE, OOD = TcbStatus.OUT_OF_DATE;

  static String comps(int... svns) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < 16; i++) {
      b.append(i > 0 ? "," : "")
          .append("{\"svn\":")
          .append(i < svns.length ? svns[i] : 0)
          .append('}');
    }
    return b.append(']').toString();
  }

  static String level(int sgx, int pce, String tdx, String status) {
    return "{\"tcb\":{\"sgxtcbcomponents\":"
        + comps(sgx, sgx)
        + ",\"pcesvn\":"
        + pce
        + ",\"tdxtcbcomponents\":"
        + tdx
        + "},\"tcbDate\":\"2026-01-01T00:00:00Z\",\"tcbStatus\":\""
        + status
        + "\"}";
  }

  /** Levels deliberately out of QVL's order: the lower one first in the JSON. */
  static TcbInfo tcbInfo() {
    String zeros = "0".repeat(96);
    String module =
        "{\"id\":\"TDX_01\",\"mrsigner\":\""
            + zeros
            + "\",\"attributes\":\"0000000000000000\","
            + "\"attributesMask\":\"FFFFFFFFFFFFFFFF\",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":4},\"tcbDate\":"
            + "\"2026-01-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"},{\"tcb\":{\"isvsvn\":2},\"tcbDate\":"
            + "\"2025-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"}]}";
    return TcbInfo.parse(
        "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2026-01-01T00:00:00Z\",\"nextUpdate\":"
            + "\"2026-02-01T00:00:00Z\",\"fmspc\":\"a7f402000000\",\"pceId\":\"0000\",\"tcbType\":0,"
            + "\"tcbEvaluationDataNumber\":17,\"tdxModule\":{\"mrsigner\":\""
            + zeros
            + "\",\"attributes\":"
            + "\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},\"tdxModuleIdentities\":["
            + module
            + "],\"tcbLevels\":["
            + level(2, 13, comps(3, 0, 1), "OutOfDate")
            + ","
            + level(2, 13, comps(5, 0, 3), "UpToDate")
            + "]}");
  }

  static TcbStatus relaunch(
      int[] svn2, TcbStatus sgx, TcbStatus tdx, TcbStatus module, TcbStatus qe)
      throws QuoteVerificationException {
    byte[] s = new byte[16];
    for (int i = 0; i < svn2.length; i++) {
      s[i] = (byte) svn2[i];
    }
    TcbInfo ti = tcbInfo();
    return TcbEvaluation.checkForRelaunch(
        s, ti, TcbEvaluation.canonicalOrder(ti), sgx, tdx, module, qe);
  }

  @Test
  void canonicalOrderPutsTheHighestLevelFirst() {
    List<TcbLevel> sorted = TcbEvaluation.canonicalOrder(tcbInfo());
    assertEquals("UpToDate", sorted.get(0).status());
    assertEquals("OutOfDate", sorted.get(1).status());
  }

  @Test
  void relaunchIsAdvisedWhenOnlyTheModuleIsOutOfDateAndSvn2MeetsTheNewestLevel() throws Exception {
    // a new major module version (TEE_TCB_SVN2[1] = 1): its identity's newest ISVSVN and component
    // 2 decide
    assertEquals(TcbStatus.TD_RELAUNCH_ADVISED, relaunch(new int[] {4, 1, 3}, UTD, OOD, OOD, UTD));
    assertEquals(
        TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
        relaunch(new int[] {4, 1, 3}, TcbStatus.CONFIGURATION_NEEDED, OOD, OOD, UTD));
    assertEquals(
        TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
        relaunch(new int[] {4, 1, 3}, UTD, TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED, OOD, UTD));
    // same major version (0): the newest level's TDX components 0 and 2 decide
    assertEquals(TcbStatus.TD_RELAUNCH_ADVISED, relaunch(new int[] {5, 0, 3}, UTD, OOD, OOD, UTD));
  }

  @Test
  void otherwiseTheTdxStatusStands() throws Exception {
    assertEquals(
        OOD,
        relaunch(new int[] {3, 1, 3}, UTD, OOD, OOD, UTD),
        "module SVN2 below the newest identity");
    assertEquals(
        OOD, relaunch(new int[] {4, 1, 2}, UTD, OOD, OOD, UTD), "SEAM SVN2 below the newest level");
    assertEquals(
        OOD,
        relaunch(new int[] {4, 0, 3}, UTD, OOD, OOD, UTD),
        "TDX component 0 below the newest level");
    assertEquals(OOD, relaunch(new int[] {4, 1, 3}, UTD, OOD, OOD, OOD), "the QE is out of date");
    assertEquals(
        OOD,
        relaunch(new int[] {4, 1, 3}, UTD, OOD, UTD, UTD),
        "the module is not what is out of date");
    assertEquals(
        OOD, relaunch(new int[] {4, 1, 3}, OOD, OOD, OOD, UTD), "the SGX platform is out of date");
    assertEquals(UTD, relaunch(new int[] {4, 1, 3}, UTD, UTD, OOD, UTD), "nothing to relaunch for");
  }

  @Test
  void anUnknownModuleVersionInSvn2IsAMismatch() {
    QuoteVerificationException e =
        assertThrows(
            QuoteVerificationException.class,
            () -> relaunch(new int[] {4, 2, 3}, UTD, OOD, OOD, UTD));
    assertEquals(Kind.TCB_INFO_MISMATCH, e.kind());
    assertEquals(true, e.getMessage().contains("TDX_02"), e.getMessage());
  }
}
