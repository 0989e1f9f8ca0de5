package io.attest402.enclave.tee;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TeeBackendsTest {
  @TempDir Path tmp;

  TeeBackends.Options options() {
    return TeeBackends.Options.defaults(tmp.resolve("data"))
        .withGramineRoot(tmp.resolve("dev/attestation"))
        .withTsmReportRoot(tmp.resolve("sys/tsm/report"));
  }

  @Test
  void autoPrefersGramineThenTdx() throws Exception {
    TeeBackends.Options o = options();
    try (FakeDevice tdx = Emulated.tdx(o.tsmReportRoot(), TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      assertInstanceOf(TdxBackend.class, TeeBackends.select("auto", o));
      try (FakeDevice g = Emulated.gramine(o.gramineRoot(), "dcap", Emulated.fill(16, 1))) {
        assertInstanceOf(GramineBackend.class, TeeBackends.select("auto", o));
        assertInstanceOf(TdxBackend.class, TeeBackends.select("tdx", o));
      }
    }
  }

  @Test
  void autoNeverFallsBackToSimulated() {
    TeeBackends.Options o = options();
    TeeException e = assertThrows(TeeException.class, () -> TeeBackends.select("auto", o));
    assertTrue(
        e.getMessage().contains("found no TEE") && e.getMessage().contains("--tee simulated"),
        e.getMessage());
    assertFalse(
        Files.exists(o.dataDir().resolve(SimulatedBackend.DIR)), "no simulated state was created");
    assertThrows(TeeException.class, () -> TeeBackends.select(null, o));
  }

  @Test
  void autoWithAMisconfiguredGramineFailsInsteadOfTryingOthers() throws Exception {
    TeeBackends.Options o = options();
    try (FakeDevice g = Emulated.gramine(o.gramineRoot(), "none", Emulated.fill(16, 1));
        FakeDevice tdx = Emulated.tdx(o.tsmReportRoot(), TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      TeeException e = assertThrows(TeeException.class, () -> TeeBackends.select("auto", o));
      assertTrue(e.getMessage().contains("'none'"), e.getMessage());
    }
  }

  @Test
  void simulatedOnlyByName() throws Exception {
    TeeBackends.Options o = options();
    TeeBackend s = TeeBackends.select("simulated", o);
    assertEquals("simulated-sgx", s.teeType());
    assertTrue(s.simulated());
    assertEquals("simulated-tdx", TeeBackends.select("SIMULATED-TDX", o).teeType());
    assertTrue(
        Files.readString(o.dataDir().resolve("simulated-tee/README.txt"))
            .contains("NO PROTECTION"));
    assertThrows(IllegalArgumentException.class, () -> TeeBackends.select("sgx", o));
    assertThrows(TeeException.class, () -> TeeBackends.select("gramine", o));
    assertThrows(TeeException.class, () -> TeeBackends.select("tdx", o));
  }
}
