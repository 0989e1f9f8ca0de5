package io.attest402.enclave;

import io.attest402.enclave.tee.Measurement;
import io.attest402.enclave.tee.Rtmr3EventLog;
import io.attest402.enclave.tee.TeeBackend;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The startup self-check: the facilitator verifies its own startup quote before serving, and
 * refuses to start when it fails. Always checked: the quote parses, is of the backend's TEE, its
 * report data is exactly {@code SHA-256("attest402-facilitator-v1" || publicKey) || zeros}, the
 * address derives from the key, and a TD that extended RTMR3 finds its event log replayed in the
 * quote's RTMR3.
 *
 * <ul>
 *   <li><b>{@link Level#FULL}</b> when collateral is available (the facilitator fetches it from its
 *       PCS/PCCS at start, for every backend): the attestation-verifier's full DCAP verification
 *       with the given policy, a simulation root trusted only for the simulated backend and only
 *       its own, pinned by fingerprint (a hardware backend whose quote chains to a simulation CA
 *       fails), and the expected report data.
 *   <li><b>{@link Level#OFFLINE}</b> on hardware without collateral: the quote signature, the QE
 *       report's binding of the attestation key, the QE report signature by the PCK certificate,
 *       and the PCK chain up to the pinned Intel SGX Root CA (or a policy trust anchor), valid now.
 *       Not checked: TCB status, QE identity, revocation, which need Intel's collateral; clients
 *       check those with their own policy.
 * </ul>
 */
public final class SelfCheck {
  private SelfCheck() {}

  public enum Level {
    FULL,
    OFFLINE
  }

  /** Outcome: {@code ok} with the level reached, or the problems that must stop the start. */
  public record Result(
      boolean ok,
      Level level,
      boolean simulated,
      String teeType,
      Measurement measurement,
      List<String> problems,
      List<String> notes,
      Verdict verdict) {
    public Result {
      problems = List.copyOf(problems);
      notes = List.copyOf(notes);
    }

    /** One line for the log. */
    public String summary() {
      return (ok ? "self-check passed" : "self-check FAILED")
          + " ("
          + teeType
          + ", "
          + level
          + (simulated ? ", SIMULATED" : "")
          + ")"
          + (problems.isEmpty() ? "" : ": " + String.join("; ", problems))
          + (notes.isEmpty() ? "" : " [" + String.join("; ", notes) + "]");
    }

    /** Returns this result when ok, else throws with the problems. */
    public Result orThrow() throws SelfCheckException {
      if (!ok) {
        throw new SelfCheckException(summary());
      }
      return this;
    }
  }

  /** Thrown by {@link Result#orThrow()}: the facilitator must not start. */
  public static final class SelfCheckException extends Exception {
    private static final long serialVersionUID = 1L;

    public SelfCheckException(String message) {
      super(message);
    }
  }

  /**
   * The default self-check policy: the quote must be genuine and not Revoked (any other TCB status
   * is accepted and reported: clients apply their own status policy), no debug enclave/TD,
   * SEPT_VE_DISABLE for TDX.
   */
  public static VerificationPolicy defaultPolicy() {
    return VerificationPolicy.builder().acceptAnyNonRevokedStatus().build();
  }

  /**
   * {@code policy} as the facilitator applies it to its own quote: simulation trusted only for the
   * simulated backend and only through its own pinned root; any measurement (the facilitator checks
   * that its quote is genuine and binds its key; which code is acceptable is each client's pin).
   */
  static VerificationPolicy.Builder forBackend(VerificationPolicy policy, TeeBackend backend) {
    VerificationPolicy.Builder b =
        policy.toBuilder().clearSimulationRoots().allowAnyMeasurement(true);
    backend.simulationRootSha256().ifPresent(b::trustSimulationRoot);
    return b;
  }

  private static final QuoteVerifier VERIFIER = new QuoteVerifier();

  /**
   * Runs the self-check at {@code now}; {@code policy} is applied as {@link #forBackend} adjusts
   * it.
   */
  public static Result run(EnclaveIdentity identity, Instant now, VerificationPolicy policy) {
    TeeBackend backend = identity.backend();
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    byte[] raw = identity.startupQuote();
    byte[] expected = identity.reportData(null);
    Measurement m = identity.measurement();
    Quote q;
    try {
      q = Quote.parse(raw);
    } catch (QuoteVerificationException e) {
      problems.add("startup quote does not parse: " + e.getMessage());
      return new Result(
          false, Level.OFFLINE, backend.simulated(), backend.teeType(), m, problems, notes, null);
    }
    if (q.teeType() != backend.quoteTee()) {
      problems.add(
          "startup quote is "
              + q.teeType()
              + ", backend "
              + backend.teeType()
              + " should produce "
              + backend.quoteTee());
    }
    if (!Arrays.equals(q.reportData(), expected)) {
      problems.add(
          "startup quote report data does not bind the enclave keys (expected "
              + KeyBinding.description(identity.signers().size())
              + " with a zero nonce)");
    }
    rtmr3Replay(backend, q).ifPresent(problems::add);
    if (!KeyBinding.address(identity.publicKey()).equalsIgnoreCase(identity.address())) {
      problems.add("address does not derive from the public key");
    }
    VerificationPolicy p = forBackend(policy, backend).reportData(expected).build();
    Optional<Collateral> collateral = identity.collateral(now);
    Verdict verdict = null;
    Level level;
    if (collateral.isPresent()) {
      level = Level.FULL;
      verdict = VERIFIER.verify(raw, collateral.get(), now, p);
      if (!verdict.ok()) {
        problems.add(
            "own quote does not verify: "
                + verdict.failure().map(f -> f.kind() + ": " + f.getMessage()).orElse("rejected"));
      } else if (verdict.simulated() != backend.simulated()) {
        problems.add(
            "quote simulated="
                + verdict.simulated()
                + " but backend simulated="
                + backend.simulated());
      }
      verdict.status().ifPresent(s -> notes.add("TCB status " + s.text()));
      if (!verdict.advisories().isEmpty()) {
        notes.add("advisories " + String.join(",", verdict.advisories()));
      }
    } else {
      level = Level.OFFLINE;
      List<X509Certificate> anchors = new ArrayList<>(p.extraTrustAnchors());
      anchors.add(0, QuoteVerifier.intelRootCa());
      problems.addAll(OfflineQuoteCheck.check(q, now, anchors));
      if (m.debug() && !p.allowDebug()) {
        problems.add(
            "the "
                + (m.tee().equals("sgx") ? "enclave" : "TD")
                + " runs in DEBUG mode: its memory "
                + "is readable by the host");
      }
      notes.add(
          "no collateral: quote, QE and PCK chain signatures checked offline; TCB status, QE identity "
              + "and revocation not checked (configure collateral for a full self-check)");
    }
    if (backend.simulated()) {
      notes.add("SIMULATED: verified against the local simulation CA only");
    }
    return new Result(
        problems.isEmpty(),
        level,
        backend.simulated(),
        backend.teeType(),
        m,
        problems,
        notes,
        verdict);
  }

  /**
   * A TD that extended RTMR3 must find its own event log in its quote: otherwise what clients
   * replay is not what ran (another extension came between, or the extend interface lied), and
   * every client would refuse the document it serves, so the facilitator refuses to start first.
   */
  static Optional<String> rtmr3Replay(TeeBackend backend, Quote q) {
    Optional<Rtmr3EventLog> log = backend.eventLog().filter(Rtmr3EventLog::extended);
    if (log.isEmpty() || q.teeType() != TeeType.TDX) {
      return Optional.empty();
    }
    byte[] expected = log.get().expectedRtmr3();
    byte[] quoted = q.tdBody().rtmr(3);
    if (Arrays.equals(expected, quoted)) {
      return Optional.empty();
    }
    return Optional.of(
        "the RTMR3 event log ("
            + log.get().events().size()
            + " events) replays to "
            + HexFormat.of().formatHex(expected)
            + " but the startup quote's RTMR3 is "
            + HexFormat.of().formatHex(quoted));
  }
}
