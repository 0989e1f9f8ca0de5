package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * Gramine-SGX through its {@code /dev/attestation} pseudo-files (Gramine docs, "Attestation and
 * secret provisioning"): {@code attestation_type} must read {@code dcap} (manifest {@code
 * sgx.remote_attestation = "dcap"}); a quote is produced by writing the 64-byte report data to
 * {@code user_report_data} and reading {@code quote}; the MRENCLAVE sealing key is the 16 bytes of
 * {@code keys/_sgx_mrenclave}.
 *
 * <p>Sealing: {@link AesGcmSealer} under a key HKDF-derived from the MRENCLAVE sealing key. The SGX
 * CPU derives that key from the enclave measurement and the CPU's own secret, so the same enclave
 * (same MRENCLAVE) on the same CPU gets the same key after a restart, and nothing else (another
 * enclave, the host, the same enclave on another machine) can derive it. A new build (new
 * MRENCLAVE) cannot unseal the old key.
 *
 * <p>The root directory is configurable so tests can drive it against a directory that emulates
 * these files.
 */
public final class GramineBackend extends DeviceBackend {
  public static final Path DEFAULT_ROOT = Path.of("/dev/attestation");
  static final String DOMAIN = "gramine-sgx-mrenclave";

  private final Path root;
  private final AesGcmSealer sealer;

  private GramineBackend(Path root, AesGcmSealer sealer) {
    this.root = root;
    this.sealer = sealer;
  }

  /**
   * True when {@code root/attestation_type} exists, i.e. we run under Gramine (used by {@code --tee
   * auto}).
   */
  public static boolean present(Path root) {
    return Files.exists(root.resolve("attestation_type"));
  }

  /**
   * Opens the backend: checks the attestation type is {@code dcap} and reads the MRENCLAVE sealing
   * key. Fails with a message naming the file when Gramine is absent, misconfigured or an old
   * version.
   */
  public static GramineBackend open(Path root, SecureRandom random) throws TeeException {
    Objects.requireNonNull(root, "root");
    String type = DeviceIo.readText(root.resolve("attestation_type"), "Gramine attestation type");
    if (!"dcap".equals(type)) {
      throw new TeeException(
          "Gramine attestation type is '"
              + type
              + "' ("
              + root.resolve("attestation_type")
              + "), need 'dcap': set sgx.remote_attestation = \"dcap\" in the manifest and run under gramine-sgx "
              + "(gramine-direct has no attestation)");
    }
    Path keyFile = root.resolve("keys").resolve("_sgx_mrenclave");
    byte[] sealingKey = DeviceIo.read(keyFile, "Gramine MRENCLAVE sealing key");
    try {
      if (sealingKey.length != 16) {
        throw new TeeException(
            "Gramine MRENCLAVE sealing key "
                + keyFile
                + " has "
                + sealingKey.length
                + " bytes, expected 16");
      }
      return new GramineBackend(root, new AesGcmSealer(sealingKey, DOMAIN, random));
    } finally {
      Arrays.fill(sealingKey, (byte) 0);
    }
  }

  public Path root() {
    return root;
  }

  @Override
  public String teeType() {
    return "gramine-sgx";
  }

  @Override
  public TeeType quoteTee() {
    return TeeType.SGX;
  }

  @Override
  public byte[] quote(byte[] reportData64) throws TeeException {
    DeviceIo.checkReportData(reportData64);
    // The pseudo-files are per process, but two threads of ours must not interleave write and read.
    synchronized (lock) {
      DeviceIo.write(root.resolve("user_report_data"), reportData64, "Gramine user_report_data");
      byte[] raw =
          DeviceIo.read(
              root.resolve("quote"),
              "Gramine quote (needs aesmd and a DCAP quote provider " + "on the host)");
      Quote q =
          DeviceIo.checkQuote(raw, reportData64, TeeType.SGX, "Gramine " + root.resolve("quote"));
      remember(q);
      return raw;
    }
  }

  @Override
  public boolean canSeal() {
    return true;
  }

  @Override
  public byte[] seal(String purpose, byte[] plaintext) throws TeeException {
    return sealer.seal(purpose, plaintext);
  }

  @Override
  public byte[] unseal(String purpose, byte[] sealed) throws TeeException {
    return sealer.unseal(purpose, sealed);
  }

  @Override
  public String sealingDescription() {
    return "sealed with a key derived from the SGX MRENCLAVE sealing key: only this exact enclave build on this "
        + "CPU can unseal it";
  }

  @Override
  public String toString() {
    return "GramineBackend[" + root + "]";
  }
}
