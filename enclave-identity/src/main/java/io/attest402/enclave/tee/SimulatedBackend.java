package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;
import io.attest402.verifier.SgxReportBody;
import io.attest402.verifier.TdReportBody;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * <b>SIMULATED</b> TEE: no hardware. Quotes are real DCAP quotes (SGX v3 or TDX v4) produced by the
 * attestation-verifier's {@link DcapSimulator} and signed through an attest402 simulation CA
 * generated on first start (kept in {@code <data-dir>/simulated-tee/simulation-ca.json}), so that
 * verifiers run their one real verification path; only the trust anchor differs, and default
 * verifier policy rejects it. The matching collateral is not handed over in-process: a PCS that
 * speaks the Intel PCS v4 API serves it ({@code simulated-pcs}), and the facilitator fetches it
 * through {@code --pccs} as it would on hardware.
 *
 * <p>Sealing is AES-GCM under a key file in {@code <data-dir>/simulated-tee/sealing.key}: it offers
 * <b>no protection</b> (anyone who can read the data directory can unseal); it only exercises the
 * same code path.
 */
public final class SimulatedBackend implements TeeBackend {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedBackend.class);
  public static final String DIR = "simulated-tee";
  static final String CA_FILE = "simulation-ca.json";
  static final String KEY_FILE = "sealing.key";

  /** The SHA-256 of the simulation root certificate, for verifiers that pin it. */
  public static final String ROOT_FINGERPRINT_FILE = "simulation-root.sha256";

  static final String DOMAIN = "simulated-no-protection";

  /**
   * The simulated enclave's identity: fixed, recognisably fake values. A facilitator started by its
   * command reports the {@link CodeMeasurement} of what it runs as MRENCLAVE instead of
   * SIM_MRENCLAVE.
   */
  public static final byte[] SIM_MRENCLAVE = sha256("attest402 SIMULATED facilitator enclave v1");

  public static final byte[] SIM_MRSIGNER = sha256("attest402 SIMULATED enclave signer");
  public static final int SIM_ISVPRODID = 402;
  public static final int SIM_ISVSVN = 1;
  public static final byte[] SIM_MRTD = sha384("attest402 SIMULATED facilitator TD v1");

  private final TeeType flavour;
  private final DcapSimulator simulator;
  private final AesGcmSealer sealer;
  private final Clock clock;
  private final Path dir;
  private final byte[] mrEnclave;

  private SimulatedBackend(
      TeeType flavour,
      DcapSimulator simulator,
      AesGcmSealer sealer,
      Clock clock,
      Path dir,
      byte[] mrEnclave) {
    this.mrEnclave = mrEnclave;
    this.flavour = flavour;
    this.simulator = simulator;
    this.sealer = sealer;
    this.clock = clock;
    this.dir = dir;
  }

  /**
   * Opens the simulated TEE of {@code dataDir}, creating the simulation CA and the sealing key file
   * on first start. Logs a WARN: nothing here is protected.
   */
  public static SimulatedBackend open(
      Path dataDir, TeeType flavour, Clock clock, SecureRandom random) throws TeeException {
    return open(dataDir, flavour, clock, random, null);
  }

  /**
   * As {@link #open(Path, TeeType, Clock, SecureRandom)}, reporting {@code mrEnclave} (null =
   * SIM_MRENCLAVE).
   */
  public static SimulatedBackend open(
      Path dataDir, TeeType flavour, Clock clock, SecureRandom random, byte[] mrEnclave)
      throws TeeException {
    Objects.requireNonNull(flavour, "flavour");
    byte[] measured = mrEnclave == null ? SIM_MRENCLAVE.clone() : mrEnclave.clone();
    if (measured.length != 32) {
      throw new IllegalArgumentException("MRENCLAVE is 32 bytes");
    }
    Path dir = dataDir.resolve(DIR);
    try {
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve("README.txt"),
          """
          SIMULATED TEE - NO PROTECTION.
          simulation-ca.json holds the private keys of the attest402 simulation CA that signs this
          facilitator's simulated quotes; sealing.key "seals" the enclave key. Anyone who can read this
          directory can forge simulated quotes and read the facilitator's key. Verifiers reject simulated
          quotes unless they pin this CA's root (simulation-root.sha256). Never use for real funds.
          """,
          StandardCharsets.UTF_8);
      SimulationCa ca = loadOrCreateCa(dataDir, clock);
      // What a developer pins to trust this simulated TEE (--simulation-root, or simulationRoots in
      // a policy).
      Files.writeString(
          dir.resolve(ROOT_FINGERPRINT_FILE),
          ca.rootFingerprintSha256() + "\n",
          StandardCharsets.US_ASCII);
      Path keyFile = dir.resolve(KEY_FILE);
      byte[] key;
      if (Files.exists(keyFile)) {
        key = Files.readAllBytes(keyFile);
        if (key.length != 32) {
          throw new TeeException(
              "simulated sealing key " + keyFile + " has " + key.length + " bytes, expected 32");
        }
      } else {
        key = new byte[32];
        random.nextBytes(key);
        Secrets.writeAtomically(keyFile, key);
      }
      SimulatedBackend b =
          new SimulatedBackend(
              flavour,
              new DcapSimulator(ca),
              new AesGcmSealer(key, DOMAIN, random),
              clock,
              dir,
              measured);
      Arrays.fill(key, (byte) 0);
      LOG.warn(
          "*** SIMULATED TEE ({}): no hardware protects this facilitator; quotes are signed by the local "
              + "attest402 simulation CA in {} (root sha256 {}, the pin a verifier needs: --simulation-root) and are "
              + "rejected by default verifier policy; sealing offers no protection. Development only. ***",
          b.teeType(),
          dir,
          ca.rootFingerprintSha256());
      return b;
    } catch (IOException e) {
      throw new TeeException("cannot set up the simulated TEE in " + dir + ": " + e, e);
    }
  }

  /**
   * The simulation CA of {@code dataDir} ({@code <dataDir>/simulated-tee/simulation-ca.json}),
   * created on first use. The facilitator's simulated backend signs with it, and a loopback PCS
   * serving its collateral reads it.
   */
  public static SimulationCa loadOrCreateCa(Path dataDir, Clock clock) throws TeeException {
    Path dir = dataDir.resolve(DIR);
    Path caFile = dir.resolve(CA_FILE);
    try {
      synchronized (SimulatedBackend.class) {
        if (Files.exists(caFile)) {
          try {
            return SimulationCa.fromJson(Files.readString(caFile, StandardCharsets.UTF_8));
          } catch (IllegalArgumentException e) {
            throw new TeeException(
                "cannot read the simulation CA "
                    + caFile
                    + ": "
                    + e.getMessage()
                    + " (delete the simulated-tee directory to start over with a new CA and key)",
                e);
          }
        }
        Files.createDirectories(dir);
        SimulationCa ca = SimulationCa.generate(clock.instant());
        Secrets.writeAtomically(caFile, ca.toJson().getBytes(StandardCharsets.UTF_8));
        return ca;
      }
    } catch (IOException e) {
      throw new TeeException("cannot set up the simulation CA in " + dir + ": " + e, e);
    }
  }

  public Path directory() {
    return dir;
  }

  /**
   * SHA-256 (hex) of the DER of the simulation root kept in {@code dataDir} (what a policy's {@code
   * simulationRoots} pins), or empty when that data directory has no simulated TEE yet.
   */
  public static Optional<String> simulationRootFingerprint(Path dataDir) throws TeeException {
    Path caFile = dataDir.resolve(DIR).resolve(CA_FILE);
    if (!Files.exists(caFile)) {
      return Optional.empty();
    }
    try {
      SimulationCa ca = SimulationCa.fromJson(Files.readString(caFile, StandardCharsets.UTF_8));
      return Optional.of(
          java.util.HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-256").digest(ca.root().getEncoded())));
    } catch (IOException
        | IllegalArgumentException
        | java.security.cert.CertificateEncodingException
        | NoSuchAlgorithmException e) {
      throw new TeeException("cannot read the simulation CA " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** The simulation CA root (verifiers that knowingly accept simulated quotes may pin it). */
  public java.security.cert.X509Certificate simulationRoot() {
    return simulator.ca().root();
  }

  /**
   * SHA-256 of the simulation root's DER, the pin a policy needs to trust this backend's quotes.
   */
  public String simulationRootFingerprint() {
    return simulator.ca().rootFingerprintSha256();
  }

  @Override
  public String teeType() {
    return flavour == TeeType.SGX ? "simulated-sgx" : "simulated-tdx";
  }

  @Override
  public boolean simulated() {
    return true;
  }

  @Override
  public TeeType quoteTee() {
    return flavour;
  }

  @Override
  public byte[] quote(byte[] reportData64) throws TeeException {
    DeviceIo.checkReportData(reportData64);
    byte[] raw;
    if (flavour == TeeType.SGX) {
      raw =
          simulator.sgxQuote(
              SgxReportBody.builder()
                  .attributeFlags(SgxReportBody.FLAG_INIT | SgxReportBody.FLAG_MODE64BIT)
                  .xfrm(3)
                  .mrEnclave(mrEnclave)
                  .mrSigner(SIM_MRSIGNER)
                  .isvProdId(SIM_ISVPRODID)
                  .isvSvn(SIM_ISVSVN)
                  .reportData(reportData64)
                  .build());
    } else {
      TdReportBody.Builder b =
          TdReportBody.builder()
              .tdAttributes(TdReportBody.TD_SEPT_VE_DISABLE)
              .xfam(0xe7)
              .mrSeam(sha384("attest402 SIMULATED TDX module"))
              .mrTd(SIM_MRTD)
              .reportData(reportData64);
      for (int i = 0; i < 4; i++) {
        b.rtmr(i, sha384("attest402 SIMULATED RTMR" + i));
      }
      raw = simulator.tdxQuote(b.build());
    }
    DeviceIo.checkQuote(raw, reportData64, flavour, "simulator");
    return raw;
  }

  @Override
  public Measurement measurement() throws TeeException {
    try {
      return Measurement.of(Quote.parse(quote(new byte[64])));
    } catch (io.attest402.verifier.QuoteVerificationException e) {
      throw new TeeException("simulated quote does not parse: " + e.getMessage(), e);
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
    return "SIMULATED sealing with a key file in "
        + dir.resolve(KEY_FILE)
        + ": NO PROTECTION, anyone who can "
        + "read the data directory can unseal";
  }

  /**
   * The simulator that signs our quotes: a PCS that serves its collateral ({@code simulated-pcs})
   * and unit tests use it; the facilitator itself gets its collateral through {@code --pccs} like
   * on hardware.
   */
  public DcapSimulator simulator() {
    return simulator;
  }

  @Override
  public java.util.Optional<String> simulationRootSha256() {
    return java.util.Optional.of(simulator.ca().rootFingerprintSha256());
  }

  Clock clock() {
    return clock;
  }

  static byte[] sha256(String s) {
    return digest("SHA-256", s);
  }

  static byte[] sha384(String s) {
    return digest("SHA-384", s);
  }

  private static byte[] digest(String alg, String s) {
    try {
      return MessageDigest.getInstance(alg).digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "SimulatedBackend[" + teeType() + ", " + dir + "]";
  }
}
