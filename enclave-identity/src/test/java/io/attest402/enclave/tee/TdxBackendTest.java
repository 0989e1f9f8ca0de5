package io.attest402.enclave.tee;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TdxBackendTest {
  @TempDir Path tmp;

  static byte[] rd(int seed) {
    return Emulated.fill(64, seed);
  }

  long generation(Path root) throws Exception {
    return Long.parseLong(Files.readString(root.resolve("attest402/generation")).trim());
  }

  @Test
  void quoteThroughInblobAndOutblobWithGenerationCheck() throws Exception {
    Path root = tmp.resolve("report");
    try (FakeDevice dev = Emulated.tdx(root, TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      assertTrue(TdxBackend.present(root));
      TdxBackend b = TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY);
      assertEquals("tdx", b.teeType());
      assertEquals(TeeType.TDX, b.quoteTee());
      byte[] q = b.quote(rd(5));
      assertArrayEquals(rd(5), Quote.parse(q).reportData());
      assertArrayEquals(rd(5), Files.readAllBytes(root.resolve("attest402/inblob")));
      assertEquals(8, generation(root));
      assertEquals(HexFormat.of().formatHex(Emulated.MRTD), b.measurement().mrTd());
      assertEquals(4, b.measurement().rtmrs().size());
    }
  }

  @Test
  void generationChangedUnderUsIsRetriedThenRefused() throws Exception {
    Path root = tmp.resolve("report");
    try (FakeDevice dev = Emulated.tdx(root, "attest402", "tdx_guest")) {
      TdxBackend b = TdxBackend.open(root, "attest402");
      dev.mode(FakeDevice.Mode.GENERATION_RACE);
      TeeException e = assertThrows(TeeException.class, () -> b.quote(rd(1)));
      assertTrue(
          e.getMessage().contains("generation went from")
              && e.getMessage().contains("another process"),
          e.getMessage());
      assertEquals(TdxBackend.ATTEMPTS, dev.served());
      dev.mode(FakeDevice.Mode.OK);
      assertArrayEquals(rd(2), Quote.parse(b.quote(rd(2))).reportData());
    }
  }

  @Test
  void shortEmptyAndStaleOutblobsAreRejected() throws Exception {
    Path root = tmp.resolve("report");
    try (FakeDevice dev = Emulated.tdx(root, "attest402", "tdx_guest")) {
      TdxBackend b = TdxBackend.open(root, "attest402");
      dev.mode(FakeDevice.Mode.SHORT);
      assertTrue(
          assertThrows(TeeException.class, () -> b.quote(rd(1)))
              .getMessage()
              .contains("does not parse"));
      dev.mode(FakeDevice.Mode.EMPTY);
      assertTrue(
          assertThrows(TeeException.class, () -> b.quote(rd(1))).getMessage().contains("no quote"));
      dev.mode(FakeDevice.Mode.STALE);
      assertTrue(
          assertThrows(TeeException.class, () -> b.quote(rd(1)))
              .getMessage()
              .contains("other report data"));
    }
  }

  @Test
  void wrongProviderMissingRootAndMissingFiles() throws Exception {
    Path root = tmp.resolve("report");
    TeeException noRoot =
        assertThrows(TeeException.class, () -> TdxBackend.open(root, "attest402"));
    assertTrue(noRoot.getMessage().contains("configfs-tsm report directory"), noRoot.getMessage());
    assertFalse(TdxBackend.present(root));
    try (FakeDevice dev = Emulated.tdx(root, "sev", "sev_guest")) {
      TeeException sev = assertThrows(TeeException.class, () -> TdxBackend.open(root, "sev"));
      assertTrue(
          sev.getMessage().contains("'sev_guest'") && sev.getMessage().contains("tdx_guest"),
          sev.getMessage());
    }
    // a new entry is created with mkdir; real configfs fills it, this plain directory does not
    TeeException noProvider =
        assertThrows(TeeException.class, () -> TdxBackend.open(root, "fresh"));
    assertTrue(Files.isDirectory(root.resolve("fresh")));
    assertTrue(
        noProvider.getMessage().contains("provider")
            && noProvider.getMessage().contains("does not exist"),
        noProvider.getMessage());
    Files.writeString(root.resolve("fresh/provider"), "tdx_guest");
    TdxBackend b = TdxBackend.open(root, "fresh");
    assertTrue(
        assertThrows(TeeException.class, () -> b.quote(rd(1))).getMessage().contains("generation"));
    Files.writeString(root.resolve("fresh/generation"), "abc");
    assertTrue(
        assertThrows(TeeException.class, () -> b.quote(rd(1)))
            .getMessage()
            .contains("not a number"));
    Files.writeString(root.resolve("fresh/generation"), "1");
    assertTrue(
        assertThrows(TeeException.class, () -> b.quote(rd(1))).getMessage().contains("inblob"));
    assertThrows(IllegalArgumentException.class, () -> TdxBackend.open(root, "../escape"));
  }

  @Test
  void tdxHasNoSealing() throws Exception {
    Path root = tmp.resolve("report");
    try (FakeDevice dev = Emulated.tdx(root, "attest402", "tdx_guest")) {
      TdxBackend b = TdxBackend.open(root, "attest402");
      assertFalse(b.canSeal());
      TeeException e = assertThrows(TeeException.class, () -> b.seal("enclave-key", new byte[32]));
      assertTrue(e.getMessage().contains("new one is created on every boot"), e.getMessage());
      assertThrows(TeeException.class, () -> b.unseal("enclave-key", new byte[64]));
      assertTrue(b.sealingDescription().contains("new key"));
    }
  }

  @Test
  void extendsRtmr3WithTheMeasuredFilesAndServesTheEventLog() throws Exception {
    Path root = tmp.resolve("report");
    Path measurements = tmp.resolve("measurements");
    Files.createDirectories(measurements);
    Path rtmr3 = measurements.resolve(TdxBackend.RTMR3_FILE);
    byte[] initial = Emulated.fill(48, 0x40);
    Files.write(rtmr3, initial);
    Path jar = Files.write(tmp.resolve("attest402.jar"), "the artifact".getBytes());
    Path deployment = Files.write(tmp.resolve("deployment.json"), "{}".getBytes());
    try (FakeDevice dev = Emulated.tdx(root, TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      TdxBackend b =
          TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY)
              .measureIntoRtmr3(measurements, java.util.List.of(jar, deployment));
      Rtmr3EventLog log = b.eventLog().orElseThrow();
      assertTrue(log.extended());
      assertEquals(HexFormat.of().formatHex(initial), log.initialRtmr3());
      assertEquals(2, log.events().size());
      byte[] jarDigest =
          java.security.MessageDigest.getInstance("SHA-384").digest("the artifact".getBytes());
      assertEquals(HexFormat.of().formatHex(jarDigest), log.events().get(0).digest());
      // the emulated register file keeps the last 48-byte write: the deployment file's digest was
      // extended last
      assertArrayEquals(
          java.security.MessageDigest.getInstance("SHA-384").digest("{}".getBytes()),
          Files.readAllBytes(rtmr3));
      // the replay is SHA-384(RTMR3 || digest) per event
      java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-384");
      d.update(initial);
      d.update(jarDigest);
      byte[] afterJar = d.digest();
      d.update(afterJar);
      d.update(java.security.MessageDigest.getInstance("SHA-384").digest("{}".getBytes()));
      assertArrayEquals(d.digest(), log.expectedRtmr3());
    }
  }

  @Test
  void withoutAnRtmrInterfaceTheLogSaysNothingWasExtended() throws Exception {
    Path root = tmp.resolve("report");
    Path jar = Files.write(tmp.resolve("attest402.jar"), "the artifact".getBytes());
    try (FakeDevice dev = Emulated.tdx(root, TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      TdxBackend b =
          TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY)
              .measureIntoRtmr3(tmp.resolve("absent"), java.util.List.of(jar));
      Rtmr3EventLog log = b.eventLog().orElseThrow();
      assertFalse(log.extended());
      assertTrue(log.note().contains("no RTMR extend interface"), log.note());
      assertEquals(1, log.events().size());
      assertThrows(
          TeeException.class,
          () ->
              TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY)
                  .measureIntoRtmr3(
                      tmp.resolve("absent"), java.util.List.of(tmp.resolve("missing.jar"))));
    }
  }
}
