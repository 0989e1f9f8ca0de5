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
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class GramineBackendTest {
  static final SecureRandom RNG = new SecureRandom();
  static final byte[] SEALING_KEY = Emulated.fill(16, 0x70);

  @TempDir Path tmp;

  static byte[] rd(int seed) {
    return Emulated.fill(64, seed);
  }

  @Test
  void quoteCarriesTheReportDataWeWrote() throws Exception {
    Path root = tmp.resolve("attestation");
    try (FakeDevice dev = Emulated.gramine(root, "dcap", SEALING_KEY)) {
      assertTrue(GramineBackend.present(root));
      GramineBackend b = GramineBackend.open(root, RNG);
      assertEquals("gramine-sgx", b.teeType());
      assertFalse(b.simulated());
      assertEquals(TeeType.SGX, b.quoteTee());
      for (int i = 1; i <= 3; i++) {
        byte[] q = b.quote(rd(i));
        assertArrayEquals(rd(i), Quote.parse(q).reportData());
        assertArrayEquals(rd(i), Files.readAllBytes(root.resolve("user_report_data")));
      }
      Measurement m = b.measurement();
      assertEquals("sgx", m.tee());
      assertEquals(HexFormat.of().formatHex(Emulated.MRENCLAVE), m.mrEnclave());
      assertEquals(HexFormat.of().formatHex(Emulated.MRSIGNER), m.mrSigner());
      assertEquals(402, m.isvProdId());
      assertEquals(3, dev.served());
      assertThrows(IllegalArgumentException.class, () -> b.quote(new byte[32]));
    }
  }

  @Test
  void wrongAttestationTypeIsRefused() throws Exception {
    Path root = tmp.resolve("attestation");
    try (FakeDevice dev = Emulated.gramine(root, "none", SEALING_KEY)) {
      TeeException e = assertThrows(TeeException.class, () -> GramineBackend.open(root, RNG));
      assertTrue(
          e.getMessage().contains("'none'") && e.getMessage().contains("sgx.remote_attestation"),
          e.getMessage());
    }
  }

  @Test
  void missingFilesAreNamed() throws Exception {
    Path root = tmp.resolve("attestation");
    TeeException noType = assertThrows(TeeException.class, () -> GramineBackend.open(root, RNG));
    assertTrue(
        noType.getMessage().contains("attestation_type")
            && noType.getMessage().contains("does not exist"),
        noType.getMessage());
    Files.createDirectories(root);
    Files.writeString(root.resolve("attestation_type"), "dcap");
    TeeException noKey = assertThrows(TeeException.class, () -> GramineBackend.open(root, RNG));
    assertTrue(noKey.getMessage().contains("_sgx_mrenclave"), noKey.getMessage());
    Files.createDirectories(root.resolve("keys"));
    Files.write(root.resolve("keys/_sgx_mrenclave"), SEALING_KEY);
    GramineBackend b = GramineBackend.open(root, RNG);
    TeeException noRd = assertThrows(TeeException.class, () -> b.quote(rd(1)));
    assertTrue(noRd.getMessage().contains("user_report_data"), noRd.getMessage());
    Files.write(root.resolve("user_report_data"), new byte[64]);
    TeeException noQuote = assertThrows(TeeException.class, () -> b.quote(rd(1)));
    assertTrue(
        noQuote.getMessage().contains("quote") && noQuote.getMessage().contains("does not exist"),
        noQuote.getMessage());
  }

  @Test
  void shortSealingKeyIsRefused() throws Exception {
    Path root = tmp.resolve("attestation");
    try (FakeDevice dev = Emulated.gramine(root, "dcap", new byte[8])) {
      TeeException e = assertThrows(TeeException.class, () -> GramineBackend.open(root, RNG));
      assertTrue(e.getMessage().contains("8 bytes, expected 16"), e.getMessage());
    }
  }

  @Test
  void shortEmptyAndStaleQuotesAreRejected() throws Exception {
    Path root = tmp.resolve("attestation");
    try (FakeDevice dev = Emulated.gramine(root, "dcap", SEALING_KEY)) {
      GramineBackend b = GramineBackend.open(root, RNG);
      dev.mode(FakeDevice.Mode.SHORT);
      TeeException shortRead = assertThrows(TeeException.class, () -> b.quote(rd(1)));
      assertTrue(shortRead.getMessage().contains("does not parse"), shortRead.getMessage());
      dev.mode(FakeDevice.Mode.EMPTY);
      TeeException empty = assertThrows(TeeException.class, () -> b.quote(rd(1)));
      assertTrue(empty.getMessage().contains("no quote"), empty.getMessage());
      dev.mode(FakeDevice.Mode.STALE);
      TeeException stale = assertThrows(TeeException.class, () -> b.quote(rd(1)));
      assertTrue(stale.getMessage().contains("other report data"), stale.getMessage());
      dev.mode(FakeDevice.Mode.OK);
      assertArrayEquals(rd(2), Quote.parse(b.quote(rd(2))).reportData());
    }
  }

  @Test
  void aTdxQuoteFromTheDeviceIsRejected() throws Exception {
    Path root = tmp.resolve("attestation");
    Files.createDirectories(root.resolve("keys"));
    Files.writeString(root.resolve("attestation_type"), "dcap");
    Files.write(root.resolve("keys/_sgx_mrenclave"), SEALING_KEY);
    Files.write(root.resolve("user_report_data"), new byte[64]);
    try (FakeDevice dev =
        new FakeDevice(
            root.resolve("quote"), root.resolve("user_report_data"), null, Emulated::tdxQuote)) {
      GramineBackend b = GramineBackend.open(root, RNG);
      TeeException e = assertThrows(TeeException.class, () -> b.quote(rd(1)));
      assertTrue(e.getMessage().contains("TDX quote, expected SGX"), e.getMessage());
    }
  }

  @Test
  void sealingSurvivesRestartAndBindsToTheSealingKey() throws Exception {
    Path root = tmp.resolve("attestation");
    byte[] blob;
    try (FakeDevice dev = Emulated.gramine(root, "dcap", SEALING_KEY)) {
      blob = GramineBackend.open(root, RNG).seal("enclave-key", Emulated.fill(32, 1));
    }
    // restart: same enclave, same sealing key
    assertArrayEquals(
        Emulated.fill(32, 1), GramineBackend.open(root, RNG).unseal("enclave-key", blob));
    // another enclave identity: Gramine hands it a different MRENCLAVE sealing key
    Path other = tmp.resolve("other");
    byte[] otherKey = SEALING_KEY.clone();
    otherKey[15] ^= 0x80;
    try (FakeDevice dev = Emulated.gramine(other, "dcap", otherKey)) {
      GramineBackend o = GramineBackend.open(other, RNG);
      assertThrows(TeeException.class, () -> o.unseal("enclave-key", blob));
    }
    byte[] tampered = blob.clone();
    tampered[tampered.length - 3] ^= 1;
    assertThrows(
        TeeException.class, () -> GramineBackend.open(root, RNG).unseal("enclave-key", tampered));
  }
}
