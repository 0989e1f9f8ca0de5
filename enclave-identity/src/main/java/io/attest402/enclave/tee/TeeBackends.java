package io.attest402.enclave.tee;

import io.attest402.verifier.TeeType;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Locale;
import java.util.Objects;

/**
 * Chooses the TEE backend for {@code --tee auto|gramine|tdx|simulated} (also {@code simulated-sgx},
 * {@code simulated-tdx}). {@code auto} picks the first present: Gramine ({@code
 * <gramineRoot>/attestation_type} exists), then TDX (the configfs-tsm report directory exists);
 * otherwise it fails. It never falls back to the simulated backend: simulation must be asked for by
 * name.
 */
public final class TeeBackends {
  private TeeBackends() {}

  /**
   * Where the backends find their files, and the clock and RNG they use. {@code tdxMeasurements} is
   * the kernel's TDX measurement-register directory (Linux 6.16+), {@code measuredFiles} what the
   * TDX backend extends into RTMR3 before its first quote (the facilitator artifact, its
   * configuration, the deployment file). {@code simulatedMrEnclave}: what the simulated backend
   * reports as MRENCLAVE ({@link CodeMeasurement#mrEnclave()} of what the process runs); null = the
   * fixed {@link SimulatedBackend#SIM_MRENCLAVE} (nothing measured).
   */
  public record Options(
      Path dataDir,
      Path gramineRoot,
      Path tsmReportRoot,
      String tdxEntry,
      Clock clock,
      SecureRandom random,
      Path tdxMeasurements,
      java.util.List<Path> measuredFiles,
      byte[] simulatedMrEnclave) {
    public Options(
        Path dataDir,
        Path gramineRoot,
        Path tsmReportRoot,
        String tdxEntry,
        Clock clock,
        SecureRandom random) {
      this(
          dataDir,
          gramineRoot,
          tsmReportRoot,
          tdxEntry,
          clock,
          random,
          TdxBackend.DEFAULT_MEASUREMENTS,
          java.util.List.of(),
          null);
    }

    public Options {
      Objects.requireNonNull(tdxMeasurements, "tdxMeasurements");
      measuredFiles = java.util.List.copyOf(measuredFiles);
      if (simulatedMrEnclave != null && simulatedMrEnclave.length != 32) {
        throw new IllegalArgumentException("simulatedMrEnclave must be 32 bytes");
      }
      simulatedMrEnclave = simulatedMrEnclave == null ? null : simulatedMrEnclave.clone();
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(gramineRoot, "gramineRoot");
      Objects.requireNonNull(tsmReportRoot, "tsmReportRoot");
      Objects.requireNonNull(tdxEntry, "tdxEntry");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(random, "random");
    }

    /**
     * The real locations ({@code /dev/attestation}, {@code /sys/kernel/config/tsm/report}), system
     * clock.
     */
    public static Options defaults(Path dataDir) {
      return new Options(
          dataDir,
          GramineBackend.DEFAULT_ROOT,
          TdxBackend.DEFAULT_ROOT,
          TdxBackend.DEFAULT_ENTRY,
          Clock.systemUTC(),
          new SecureRandom());
    }

    public Options withGramineRoot(Path p) {
      return new Options(
          dataDir,
          p,
          tsmReportRoot,
          tdxEntry,
          clock,
          random,
          tdxMeasurements,
          measuredFiles,
          simulatedMrEnclave);
    }

    public Options withTsmReportRoot(Path p) {
      return new Options(
          dataDir,
          gramineRoot,
          p,
          tdxEntry,
          clock,
          random,
          tdxMeasurements,
          measuredFiles,
          simulatedMrEnclave);
    }

    public Options withClock(Clock c) {
      return new Options(
          dataDir,
          gramineRoot,
          tsmReportRoot,
          tdxEntry,
          c,
          random,
          tdxMeasurements,
          measuredFiles,
          simulatedMrEnclave);
    }

    public Options withTdxMeasurements(Path p) {
      return new Options(
          dataDir,
          gramineRoot,
          tsmReportRoot,
          tdxEntry,
          clock,
          random,
          p,
          measuredFiles,
          simulatedMrEnclave);
    }

    /** Files the TDX backend measures into RTMR3 before its first quote. */
    public Options withMeasuredFiles(java.util.List<Path> files) {
      return new Options(
          dataDir,
          gramineRoot,
          tsmReportRoot,
          tdxEntry,
          clock,
          random,
          tdxMeasurements,
          files,
          simulatedMrEnclave);
    }

    /**
     * The simulated backend reports {@code mrEnclave} (a {@link CodeMeasurement}) instead of the
     * fixed value.
     */
    public Options withSimulatedMrEnclave(byte[] mrEnclave) {
      return new Options(
          dataDir,
          gramineRoot,
          tsmReportRoot,
          tdxEntry,
          clock,
          random,
          tdxMeasurements,
          measuredFiles,
          mrEnclave);
    }
  }

  /**
   * Opens the backend named by {@code mode}; a {@link TeeException} says plainly what is missing.
   */
  public static TeeBackend select(String mode, Options o) throws TeeException {
    String m = mode == null ? "auto" : mode.trim().toLowerCase(Locale.ROOT);
    switch (m) {
      case "gramine":
        return GramineBackend.open(o.gramineRoot(), o.random());
      case "tdx":
        return TdxBackend.open(o.tsmReportRoot(), o.tdxEntry())
            .measureIntoRtmr3(o.tdxMeasurements(), o.measuredFiles());
      case "simulated":
      case "simulated-sgx":
        return SimulatedBackend.open(
            o.dataDir(), TeeType.SGX, o.clock(), o.random(), o.simulatedMrEnclave());
      case "simulated-tdx":
        return SimulatedBackend.open(o.dataDir(), TeeType.TDX, o.clock(), o.random());
      case "auto":
        if (GramineBackend.present(o.gramineRoot())) {
          return GramineBackend.open(o.gramineRoot(), o.random());
        }
        if (TdxBackend.present(o.tsmReportRoot())) {
          return TdxBackend.open(o.tsmReportRoot(), o.tdxEntry())
              .measureIntoRtmr3(o.tdxMeasurements(), o.measuredFiles());
        }
        throw new TeeException(
            "--tee auto found no TEE: neither "
                + o.gramineRoot().resolve("attestation_type")
                + " (Gramine-SGX) nor "
                + o.tsmReportRoot()
                + " (TDX configfs-tsm) "
                + "exists. Run inside gramine-sgx or a TDX guest, or pass --tee simulated explicitly for "
                + "development (simulated attestation is never trusted by default).");
      default:
        throw new IllegalArgumentException(
            "unknown --tee '"
                + mode
                + "': use auto, gramine, tdx, simulated (simulated-sgx) or simulated-tdx");
    }
  }
}
