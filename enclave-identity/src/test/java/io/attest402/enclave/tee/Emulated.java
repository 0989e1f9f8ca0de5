package io.attest402.enclave.tee;

import io.attest402.verifier.SgxReportBody;
import io.attest402.verifier.TdReportBody;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Directories that look like Gramine's {@code /dev/attestation} and like a configfs-tsm report
 * directory, whose quotes come from a DCAP simulator (real format, simulation CA).
 */
public final class Emulated {
  public static final Instant NOW = Instant.parse("2026-01-15T12:00:00Z");
  public static final SimulationCa CA = SimulationCa.generate(NOW);
  public static final DcapSimulator SIM = new DcapSimulator(CA);
  public static final byte[] MRENCLAVE = fill(32, 0x11);
  public static final byte[] MRSIGNER = fill(32, 0x22);
  public static final byte[] MRTD = fill(48, 0x33);

  private Emulated() {}

  /**
   * Installs the simulator's collateral (issued an hour before {@code at}) in a simulated identity,
   * as the facilitator's fetch from its PCS would: unit tests of this module have no PCS.
   */
  public static io.attest402.enclave.EnclaveIdentity withCollateral(
      io.attest402.enclave.EnclaveIdentity id, Instant at) {
    id.collateral(simulatedCollateral((SimulatedBackend) id.backend(), at));
    return id;
  }

  /** The collateral a PCS serving {@code b}'s simulation CA would serve at {@code at}. */
  public static io.attest402.verifier.Collateral simulatedCollateral(
      SimulatedBackend b, Instant at) {
    return b.simulator().collateral(b.quoteTee(), at.minusSeconds(3600));
  }

  public static byte[] fill(int n, int v) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (v + i);
    }
    return b;
  }

  public static byte[] sgxQuote(byte[] rd) {
    return SIM.sgxQuote(
        SgxReportBody.builder()
            .attributeFlags(SgxReportBody.FLAG_INIT | SgxReportBody.FLAG_MODE64BIT)
            .xfrm(3)
            .mrEnclave(MRENCLAVE)
            .mrSigner(MRSIGNER)
            .isvProdId(402)
            .isvSvn(2)
            .reportData(rd)
            .build());
  }

  public static byte[] tdxQuote(byte[] rd) {
    return tdxQuote(rd, new byte[48]);
  }

  /** A TD quote over {@code rd} whose RTMR3 is {@code rtmr3}. */
  public static byte[] tdxQuote(byte[] rd, byte[] rtmr3) {
    return SIM.tdxQuote(
        TdReportBody.builder()
            .tdAttributes(TdReportBody.TD_SEPT_VE_DISABLE)
            .mrTd(MRTD)
            .rtmr(3, rtmr3)
            .reportData(rd)
            .build());
  }

  /**
   * A Gramine {@code /dev/attestation} look-alike at {@code root}; the quote is served by the
   * returned device.
   */
  public static FakeDevice gramine(Path root, String type, byte[] sealingKey) {
    try {
      Files.createDirectories(root.resolve("keys"));
      Files.writeString(root.resolve("attestation_type"), type, StandardCharsets.US_ASCII);
      Files.write(root.resolve("keys/_sgx_mrenclave"), sealingKey);
      Files.write(root.resolve("user_report_data"), new byte[64]);
      return new FakeDevice(
          root.resolve("quote"), root.resolve("user_report_data"), null, Emulated::sgxQuote);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A configfs-tsm report directory at {@code root} with entry {@code entry} (provider, generation,
   * inblob).
   */
  public static FakeDevice tdx(Path root, String entry, String provider) {
    return tdx(root, entry, provider, Emulated::tdxQuote);
  }

  /** As {@link #tdx(Path, String, String)}, with quotes from {@code quoteFor}. */
  public static FakeDevice tdx(
      Path root,
      String entry,
      String provider,
      java.util.function.Function<byte[], byte[]> quoteFor) {
    try {
      Path e = root.resolve(entry);
      Files.createDirectories(e);
      Files.writeString(e.resolve("provider"), provider + "\n", StandardCharsets.US_ASCII);
      Files.writeString(e.resolve("generation"), "7\n", StandardCharsets.US_ASCII);
      Files.write(e.resolve("inblob"), new byte[0]);
      return new FakeDevice(
          e.resolve("outblob"), e.resolve("inblob"), e.resolve("generation"), quoteFor);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }
}
