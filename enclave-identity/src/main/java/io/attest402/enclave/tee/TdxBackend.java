package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A TDX guest through Linux configfs-tsm ({@code Documentation/ABI/testing/configfs-tsm-report},
 * kernel 6.7+): one report entry directory under {@code /sys/kernel/config/tsm/report} (created
 * with mkdir if absent), whose {@code provider} must be {@code tdx_guest}; a quote is produced by
 * writing the report data to {@code inblob} and reading {@code outblob}. The kernel bumps {@code
 * generation} on every write to {@code inblob}: we read it before writing and after reading, and
 * reject the quote unless exactly our one write happened in between (another process sharing the
 * entry would otherwise hand us a quote over its data). A conflict is retried a few times, then
 * reported.
 *
 * <p><b>No sealing.</b> A TDX guest has no sealing key bound to its measurement (MRTD/RTMRs); a
 * disk the host can read cannot keep the enclave key secret. So on TDX the key lives in memory
 * only: <b>every boot creates a new key (new address)</b>, which must be funded and registered
 * again, and every quote binds the new key. {@link #seal} therefore refuses.
 *
 * <p>The root directory is configurable so tests can drive it against a directory that emulates
 * configfs.
 */
public final class TdxBackend extends DeviceBackend {
  public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
  public static final String DEFAULT_ENTRY = "attest402";

  /**
   * The kernel's TDX measurement registers (Linux 6.16+, {@code
   * Documentation/ABI/testing/sysfs-devices-virtual- misc-tdx_guest}): {@code rtmr3:sha384} reads
   * the register and extends it with each 48-byte write.
   */
  public static final Path DEFAULT_MEASUREMENTS =
      Path.of("/sys/devices/virtual/misc/tdx_guest/measurements");

  static final String RTMR3_FILE = "rtmr3:sha384";
  static final int ATTEMPTS = 3;

  private final Path entry;
  private volatile Rtmr3EventLog eventLog;

  private TdxBackend(Path entry) {
    this.entry = entry;
  }

  /**
   * Before the first quote: extends RTMR3 with the SHA-384 of each of {@code files} (the
   * facilitator artifact, its configuration, the deployment file), in order, through {@code
   * measurements/rtmr3:sha384}, and records the event log served in {@code /attestation}. Where the
   * kernel has no such interface (older than 6.16, or not writable) nothing is extended and the log
   * says so: RTMR3 then measures nothing of the facilitator, and clients must pin the RTMRs of the
   * image (default client policies refuse TDX without RTMR pins).
   */
  public TdxBackend measureIntoRtmr3(Path measurements, java.util.List<Path> files)
      throws TeeException {
    java.util.List<Rtmr3EventLog.Event> events = new java.util.ArrayList<>();
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new TeeException("cannot measure " + f + " into RTMR3: not a regular file");
      }
      try (java.io.InputStream in = Files.newInputStream(f)) {
        java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-384");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          d.update(buf, 0, n);
        }
        events.add(
            new Rtmr3EventLog.Event(
                f.getFileName().toString(),
                f.toAbsolutePath().toString(),
                java.util.HexFormat.of().formatHex(d.digest())));
      } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
        throw new TeeException("cannot read " + f + " to measure it into RTMR3: " + e, e);
      }
    }
    Path rtmr3 = measurements.resolve(RTMR3_FILE);
    if (!Files.isRegularFile(rtmr3) || !Files.isWritable(rtmr3)) {
      eventLog =
          new Rtmr3EventLog(
              false,
              null,
              null,
              "this kernel offers no RTMR extend interface ("
                  + rtmr3
                  + ", Linux 6.16+): RTMR3 does not measure the facilitator; pin the RTMRs of a measured image",
              events);
      return this;
    }
    synchronized (lock) {
      byte[] initial = DeviceIo.read(rtmr3, "RTMR3");
      if (initial.length != 48) {
        throw new TeeException(rtmr3 + " read " + initial.length + " bytes, expected 48 (SHA-384)");
      }
      for (Rtmr3EventLog.Event e : events) {
        DeviceIo.write(rtmr3, java.util.HexFormat.of().parseHex(e.digest()), "RTMR3 extend");
      }
      eventLog =
          new Rtmr3EventLog(
              true,
              rtmr3.toString(),
              java.util.HexFormat.of().formatHex(initial),
              "RTMR3 = SHA-384(RTMR3 || digest) for each event, in order, from initialRtmr3",
              events);
    }
    return this;
  }

  @Override
  public java.util.Optional<Rtmr3EventLog> eventLog() {
    return java.util.Optional.ofNullable(eventLog);
  }

  /** True when the configfs-tsm report directory exists (used by {@code --tee auto}). */
  public static boolean present(Path root) {
    return Files.isDirectory(root);
  }

  /**
   * Opens (creating if needed) report entry {@code entryName} under {@code root} and checks its
   * provider.
   */
  public static TdxBackend open(Path root, String entryName) throws TeeException {
    Objects.requireNonNull(root, "root");
    if (entryName == null || !entryName.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("invalid configfs-tsm entry name: " + entryName);
    }
    if (!Files.isDirectory(root)) {
      throw new TeeException(
          "configfs-tsm report directory "
              + root
              + " does not exist: needs a TDX guest "
              + "with Linux 6.7+ and configfs mounted at /sys/kernel/config");
    }
    Path entry = root.resolve(entryName);
    try {
      Files.createDirectory(entry);
    } catch (FileAlreadyExistsException e) {
      // reused: the generation check guards against other users
    } catch (IOException e) {
      throw new TeeException("cannot create configfs-tsm report entry " + entry + ": " + e, e);
    }
    String provider = DeviceIo.readText(entry.resolve("provider"), "configfs-tsm provider");
    if (!"tdx_guest".equals(provider)) {
      throw new TeeException(
          "configfs-tsm provider is '"
              + provider
              + "' ("
              + entry.resolve("provider")
              + "), need 'tdx_guest': this is not a TDX guest");
    }
    return new TdxBackend(entry);
  }

  public Path entry() {
    return entry;
  }

  @Override
  public String teeType() {
    return "tdx";
  }

  @Override
  public TeeType quoteTee() {
    return TeeType.TDX;
  }

  @Override
  public byte[] quote(byte[] reportData64) throws TeeException {
    DeviceIo.checkReportData(reportData64);
    synchronized (lock) {
      String conflict = null;
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        long before = generation();
        DeviceIo.write(entry.resolve("inblob"), reportData64, "configfs-tsm inblob");
        byte[] raw =
            DeviceIo.read(
                entry.resolve("outblob"),
                "configfs-tsm outblob (needs the host's quote " + "generation service)");
        long after = generation();
        if (after != before + 1) {
          conflict =
              "configfs-tsm generation went from "
                  + before
                  + " to "
                  + after
                  + " around our single "
                  + "write to "
                  + entry.resolve("inblob")
                  + ": another process is using this report entry";
          continue;
        }
        Quote q =
            DeviceIo.checkQuote(
                raw, reportData64, TeeType.TDX, "configfs-tsm " + entry.resolve("outblob"));
        remember(q);
        return raw;
      }
      throw new TeeException(conflict + " (gave up after " + ATTEMPTS + " attempts)");
    }
  }

  private long generation() throws TeeException {
    String g = DeviceIo.readText(entry.resolve("generation"), "configfs-tsm generation");
    try {
      return Long.parseLong(g);
    } catch (NumberFormatException e) {
      throw new TeeException(
          "configfs-tsm generation "
              + entry.resolve("generation")
              + " is not a number: '"
              + g
              + "'",
          e);
    }
  }

  @Override
  public boolean canSeal() {
    return false;
  }

  @Override
  public byte[] seal(String purpose, byte[] plaintext) throws TeeException {
    throw new TeeException(
        "TDX has no sealing: the enclave key is not persisted and a new one is created on "
            + "every boot");
  }

  @Override
  public byte[] unseal(String purpose, byte[] sealed) throws TeeException {
    throw new TeeException("TDX has no sealing: nothing sealed can be opened");
  }

  @Override
  public String sealingDescription() {
    return "no sealing on TDX: the key exists in guest memory only; a new key (new address) on every boot";
  }

  @Override
  public String toString() {
    return "TdxBackend[" + entry + "]";
  }
}
