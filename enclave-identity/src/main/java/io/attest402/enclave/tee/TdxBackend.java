package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A TDX guest through Linux configfs-tsm ({@code Documentation/ABI/testing/configfs-tsm-report}, kernel 6.7+):
 * one report entry directory under {@code /sys/kernel/config/tsm/report} (created with mkdir if absent), whose
 * {@code provider} must be {@code tdx_guest}; a quote is produced by writing the report data to {@code inblob}
 * and reading {@code outblob}. The kernel bumps {@code generation} on every write to {@code inblob}: we read it
 * before writing and after reading, and reject the quote unless exactly our one write happened in between
 * (another process sharing the entry would otherwise hand us a quote over its data). A conflict is retried a few
 * times, then reported.
 *
 * <p><b>No sealing.</b> A TDX guest has no sealing key bound to its measurement (MRTD/RTMRs); a disk the host can
 * read cannot keep the enclave key secret. So on TDX the key lives in memory only: <b>every boot creates a new key
 * (new address)</b>, which must be funded and registered again, and every quote binds the new key. {@link #seal}
 * therefore refuses.
 *
 * <p>The root directory is configurable so tests can drive it against a directory that emulates configfs.
 */
public final class TdxBackend extends DeviceBackend {
  public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");
  public static final String DEFAULT_ENTRY = "attest402";
  static final int ATTEMPTS = 3;

  private final Path entry;

  private TdxBackend(Path entry) {
    this.entry = entry;
  }

  /** True when the configfs-tsm report directory exists (used by {@code --tee auto}). */
  public static boolean present(Path root) {
    return Files.isDirectory(root);
  }

  /** Opens (creating if needed) report entry {@code entryName} under {@code root} and checks its provider. */
  public static TdxBackend open(Path root, String entryName) throws TeeException {
    Objects.requireNonNull(root, "root");
    if (entryName == null || !entryName.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("invalid configfs-tsm entry name: " + entryName);
    }
    if (!Files.isDirectory(root)) {
      throw new TeeException("configfs-tsm report directory " + root + " does not exist: needs a TDX guest "
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
      throw new TeeException("configfs-tsm provider is '" + provider + "' (" + entry.resolve("provider")
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
        byte[] raw = DeviceIo.read(entry.resolve("outblob"), "configfs-tsm outblob (needs the host's quote "
            + "generation service)");
        long after = generation();
        if (after != before + 1) {
          conflict = "configfs-tsm generation went from " + before + " to " + after + " around our single "
              + "write to " + entry.resolve("inblob") + ": another process is using this report entry";
          continue;
        }
        Quote q = DeviceIo.checkQuote(raw, reportData64, TeeType.TDX, "configfs-tsm " + entry
            .resolve("outblob"));
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
      throw new TeeException("configfs-tsm generation " + entry.resolve("generation") + " is not a number: '"
          + g + "'", e);
    }
  }

  @Override
  public boolean canSeal() {
    return false;
  }

  @Override
  public byte[] seal(String purpose, byte[] plaintext) throws TeeException {
    throw new TeeException("TDX has no sealing: the enclave key is not persisted and a new one is created on "
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
