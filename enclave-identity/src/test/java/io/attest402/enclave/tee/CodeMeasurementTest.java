package io.attest402.enclave.tee;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.Quote;
import io.attest402.verifier.SgxReportBody;
import io.attest402.verifier.TeeType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeMeasurementTest {
  @TempDir Path tmp;

  Path artifact() throws Exception {
    Path dir = tmp.resolve("enclave");
    Files.createDirectories(dir.resolve("lib"));
    Files.write(dir.resolve("attest402-facilitator.jar"), new byte[] {1, 2, 3});
    Files.write(dir.resolve("lib/a.jar"), new byte[] {4, 5});
    Files.write(dir.resolve("lib/b.jar"), new byte[] {6});
    return dir;
  }

  @Test
  void measuresEveryFileByNameAndContentInNameOrderAndTheConfiguration() throws Exception {
    Path dir = artifact();
    List<String> config = List.of("jvm -Xmx512m", "arg --port=4020");
    CodeMeasurement m = CodeMeasurement.of(CodeMeasurement.directory(dir), config);
    assertEquals(
        List.of("attest402-facilitator.jar", "lib/a.jar", "lib/b.jar"),
        m.files().stream().map(CodeMeasurement.FileDigest::name).toList());
    byte[] base = m.mrEnclave();
    assertEquals(32, base.length);
    assertArrayEquals(
        base, CodeMeasurement.of(CodeMeasurement.directory(dir), config).mrEnclave(), "stable");

    Files.write(dir.resolve("lib/a.jar"), new byte[] {4, 6});
    byte[] oneByte = CodeMeasurement.of(CodeMeasurement.directory(dir), config).mrEnclave();
    assertFalse(java.util.Arrays.equals(base, oneByte), "one byte of a jar");
    Files.write(dir.resolve("lib/a.jar"), new byte[] {4, 5});
    Files.write(dir.resolve("lib/extra.jar"), new byte[0]);
    assertFalse(
        java.util.Arrays.equals(
            base, CodeMeasurement.of(CodeMeasurement.directory(dir), config).mrEnclave()),
        "an extra jar");
    Files.delete(dir.resolve("lib/extra.jar"));
    assertArrayEquals(base, CodeMeasurement.of(CodeMeasurement.directory(dir), config).mrEnclave());
    assertFalse(
        java.util.Arrays.equals(
            base,
            CodeMeasurement.of(
                    CodeMeasurement.directory(dir), List.of("jvm -Xmx512m", "arg --port=4021"))
                .mrEnclave()),
        "one setting");
    // Length-prefixed: moving a boundary between two entries changes the value.
    assertNotEquals(
        CodeMeasurement.of(List.of(), List.of("ab", "c")).mrEnclaveHex(),
        CodeMeasurement.of(List.of(), List.of("a", "bc")).mrEnclaveHex());
  }

  @Test
  void theSimulatedBackendQuotesTheMeasurementAndExposesItsRootFingerprint() throws Exception {
    byte[] mr = CodeMeasurement.of(CodeMeasurement.directory(artifact()), List.of()).mrEnclave();
    Path data = tmp.resolve("data");
    assertTrue(
        SimulatedBackend.simulationRootFingerprint(data).isEmpty(), "no CA before the first start");
    SimulatedBackend b =
        TeeBackends.select(
                    "simulated", TeeBackends.Options.defaults(data).withSimulatedMrEnclave(mr))
                instanceof SimulatedBackend s
            ? s
            : null;
    SgxReportBody body = (SgxReportBody) Quote.parse(b.quote(new byte[64])).body();
    assertArrayEquals(mr, body.mrEnclave());
    assertEquals(HexFormat.of().formatHex(mr), b.measurement().mrEnclave());
    String fp = SimulatedBackend.simulationRootFingerprint(data).orElseThrow();
    assertEquals(
        HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(b.simulationRoot().getEncoded())),
        fp);
    // Unmeasured (opened on its own): the fixed, recognisably fake value.
    SimulatedBackend plain =
        SimulatedBackend.open(
            tmp.resolve("d2"), TeeType.SGX, Clock.systemUTC(), new SecureRandom());
    assertArrayEquals(
        SimulatedBackend.SIM_MRENCLAVE,
        ((SgxReportBody) Quote.parse(plain.quote(new byte[64])).body()).mrEnclave());
  }

  @Test
  void codeOfAClassesDirectoryMeasuresItsFiles() {
    List<CodeMeasurement.FileDigest> files = CodeMeasurement.codeOf(CodeMeasurement.class);
    assertTrue(
        files.stream()
            .anyMatch(f -> f.name().equals("io/attest402/enclave/tee/CodeMeasurement.class")),
        files.toString());
  }
}
