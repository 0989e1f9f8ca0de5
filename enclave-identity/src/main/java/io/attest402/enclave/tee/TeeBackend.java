package io.attest402.enclave.tee;

import io.attest402.verifier.TeeType;
import java.util.Optional;

/**
 * One trusted execution environment as the facilitator uses it: a DCAP quote over 64 bytes of
 * report data, sealing (where the TEE has it), and the measurement clients pin. Implementations:
 * {@link GramineBackend} (Gramine-SGX, {@code /dev/attestation}), {@link TdxBackend} (TDX guest,
 * Linux configfs-tsm), {@link SimulatedBackend} (no hardware; loud about it). Pick one with {@link
 * TeeBackends#select}. Implementations are thread-safe.
 */
public interface TeeBackend {
  /**
   * The name clients see: {@code gramine-sgx}, {@code tdx}, {@code simulated-sgx} or {@code
   * simulated-tdx}.
   */
  String teeType();

  /** True only for the simulated backend: no hardware protects anything. */
  boolean simulated();

  /** The kind of quote this backend produces (SGX v3 or TDX v4/v5). */
  TeeType quoteTee();

  /**
   * A DCAP quote whose report data is exactly {@code reportData64}. Implementations check that the
   * quote they got back parses and carries that report data, so a concurrent user of the same
   * device cannot hand us a quote over someone else's data.
   */
  byte[] quote(byte[] reportData64) throws TeeException;

  /**
   * The measurement of this TEE (taken from a quote: the first one produced, or one over zero
   * report data).
   */
  Measurement measurement() throws TeeException;

  /**
   * True when {@link #seal} binds data to this TEE identity so that it survives restarts; false for
   * TDX.
   */
  boolean canSeal();

  /**
   * Seals {@code plaintext} for {@code purpose} (a short label such as {@code "enclave-key"}); only
   * the same TEE identity can {@link #unseal} it, and only for the same purpose. Throws when {@link
   * #canSeal()} is false.
   */
  byte[] seal(String purpose, byte[] plaintext) throws TeeException;

  /**
   * Opens a blob from {@link #seal}; throws when it was sealed by another identity, for another
   * purpose, or altered.
   */
  byte[] unseal(String purpose, byte[] sealed) throws TeeException;

  /** One line for logs and documents: what sealing means on this backend. */
  String sealingDescription();

  /**
   * The event log of what this backend measured into a runtime register before its first quote
   * (TDX: RTMR3), for {@code /attestation}; empty for backends that have none (SGX measures the
   * enclave into MRENCLAVE itself).
   */
  default Optional<Rtmr3EventLog> eventLog() {
    return Optional.empty();
  }

  /**
   * SHA-256 of the simulation root CA that signs this backend's quotes; empty for hardware
   * backends.
   */
  default Optional<String> simulationRootSha256() {
    return Optional.empty();
  }
}
