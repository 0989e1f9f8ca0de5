package io.attest402.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.enclave.tee.Measurement;
import io.attest402.enclave.tee.Secrets;
import io.attest402.enclave.tee.TeeBackend;
import io.attest402.enclave.tee.TeeBackends;
import io.attest402.enclave.tee.TeeException;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.VerificationPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facilitator's identity in its TEE: the secp256k1 {@link EnclaveKey} (settlement account and receipt signer)
 * and the quotes that bind it. {@link #open} restores the key by unsealing {@code <data-dir>/enclave-key.sealed}
 * or, on first start, generates it from the given strong RNG inside the TEE and seals it; on TDX (no sealing) it
 * generates a new key on every boot. The private key is never logged, served or written unsealed.
 *
 * <p>Thread-safe. Quote generation is blocking file I/O (tens of milliseconds on hardware): call
 * {@link #document(byte[])} off the event loop.
 */
public final class EnclaveIdentity {
  private static final Logger LOG = LoggerFactory.getLogger(EnclaveIdentity.class);
  /** File in the data directory holding the sealed private key (sealing backends only). */
  public static final String SEALED_KEY_FILE = "enclave-key.sealed";
  static final String KEY_PURPOSE = "enclave-key";

  private final TeeBackend backend;
  private final InMemoryEnclaveKey key;
  private final boolean newKey;
  private final Clock clock;
  private final byte[] startupQuote;
  private final Measurement measurement;
  private volatile Collateral operatorCollateral;

  private EnclaveIdentity(TeeBackend backend, InMemoryEnclaveKey key, boolean newKey, Clock clock,
      byte[] startupQuote, Measurement measurement) {
    this.backend = backend;
    this.key = key;
    this.newKey = newKey;
    this.clock = clock;
    this.startupQuote = startupQuote;
    this.measurement = measurement;
  }

  /**
   * Opens or creates the identity for {@code backend} with {@code dataDir}, then takes the startup quote
   * (report data = key binding || 32 zero bytes).
   *
   * @throws TeeException when a sealed key exists but cannot be unsealed (another enclave build or machine, or
   *                      tampering: we refuse to overwrite it; move it away to start with a new key), or when the
   *                      TEE cannot produce a quote that binds the key
   */
  public static EnclaveIdentity open(TeeBackend backend, Path dataDir, SecureRandom random, Clock clock)
      throws TeeException {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(clock, "clock");
    InMemoryEnclaveKey key;
    boolean created;
    Path sealedFile = dataDir.resolve(SEALED_KEY_FILE);
    if (backend.canSeal()) {
      if (Files.exists(sealedFile)) {
        byte[] blob;
        try {
          blob = Files.readAllBytes(sealedFile);
        } catch (IOException e) {
          throw new TeeException("cannot read sealed key " + sealedFile + ": " + e, e);
        }
        byte[] secret;
        try {
          secret = backend.unseal(KEY_PURPOSE, blob);
        } catch (TeeException e) {
          throw new TeeException("the sealed enclave key " + sealedFile + " cannot be unsealed by this "
              + backend.teeType() + " enclave (" + e.getMessage() + "). It was sealed by another enclave "
              + "build or machine, or altered. Refusing to start rather than replace it: move the file "
              + "away to start with a new key (new address, new registration).", e);
        }
        try {
          if (secret.length != 32) {
            throw new TeeException("sealed enclave key has " + secret.length + " bytes, expected 32");
          }
          key = InMemoryEnclaveKey.fromPrivateKey(secret);
        } finally {
          Arrays.fill(secret, (byte) 0);
        }
        created = false;
      } else {
        key = InMemoryEnclaveKey.generate(random);
        byte[] secret = key.privateKeyBytes();
        try {
          byte[] blob = backend.seal(KEY_PURPOSE, secret);
          Files.createDirectories(dataDir);
          Secrets.writeAtomically(sealedFile, blob);
        } catch (IOException e) {
          throw new TeeException("cannot write sealed key " + sealedFile + ": " + e, e);
        } finally {
          Arrays.fill(secret, (byte) 0);
        }
        created = true;
      }
    } else {
      key = InMemoryEnclaveKey.generate(random);
      created = true;
      LOG.info("{} has no sealing: the enclave key lives in memory only and is new on every boot; fund and "
          + "register the new address", backend.teeType());
    }
    byte[] quote = backend.quote(KeyBinding.reportData(key.publicKey(), null));
    Measurement m;
    try {
      m = Measurement.of(Quote.parse(quote));
    } catch (QuoteVerificationException e) {
      throw new TeeException("startup quote does not parse: " + e.getMessage(), e);
    }
    LOG.info("enclave identity: {} address {} ({}; {})", backend.teeType(), key.address(),
        created ? "new key" : "restored sealed key", backend.sealingDescription());
    if (backend.simulated()) {
      LOG.warn("*** SIMULATED attestation: the facilitator key {} is not protected by any TEE ***",
          key.address());
    }
    return new EnclaveIdentity(backend, key, created, clock, quote, m);
  }

  /**
   * What the facilitator does at start: chooses the backend for {@code --tee teeMode}, opens the identity in
   * {@code options.dataDir()}, installs {@code collateral} (may be null; hardware only), runs the
   * {@linkplain SelfCheck self-check} with the {@linkplain SelfCheck#defaultPolicy() default self-check policy} and
   * refuses to return an identity whose own quote does not verify or does not bind its key.
   */
  public static EnclaveIdentity startVerified(String teeMode, TeeBackends.Options options, Collateral collateral)
      throws TeeException, SelfCheck.SelfCheckException {
    EnclaveIdentity id = open(TeeBackends.select(teeMode, options), options.dataDir(), options.random(),
        options.clock());
    if (collateral != null) {
      id.collateral(collateral);
    }
    SelfCheck.Result r = SelfCheck.run(id, options.clock().instant(), SelfCheck.defaultPolicy()).orThrow();
    LOG.info("{}", r.summary());
    return id;
  }

  /** The key: signatures only, never the private key. Use it as the settlement TxSignService and receipt signer. */
  public EnclaveKey key() {
    return key;
  }

  public TeeBackend backend() {
    return backend;
  }

  public String address() {
    return key.address();
  }

  public byte[] publicKey() {
    return key.publicKey();
  }

  /** True when the key was created on this start (first start, or every boot on TDX): register and fund it. */
  public boolean newKey() {
    return newKey;
  }

  public boolean simulated() {
    return backend.simulated();
  }

  /** The measurement from the startup quote. */
  public Measurement measurement() {
    return measurement;
  }

  /** The startup quote (report data = key binding || zeros). */
  public byte[] startupQuote() {
    return startupQuote.clone();
  }

  /**
   * Collateral for real hardware, supplied by the operator (e.g. fetched from a PCCS with the verifier's
   * CollateralFetcher, or a file). It is served with the documents and used by the self-check. Null clears it.
   */
  public void collateral(Collateral c) {
    operatorCollateral = c;
  }

  /** The collateral served with documents at {@code now}: the operator's, else the backend's (simulator). */
  public Optional<Collateral> collateral(Instant now) {
    Collateral c = operatorCollateral;
    return c != null ? Optional.of(c) : backend.collateral(now);
  }

  /** The document for {@code GET /attestation} without a nonce: the startup quote, current collateral. */
  public AttestationDocument startupDocument() {
    return build(startupQuote, new byte[KeyBinding.NONCE_BYTES]);
  }

  /**
   * The document for {@code GET /attestation?nonce=HEX32}: a fresh quote whose report data ends in
   * {@code nonce32}. A null nonce returns {@link #startupDocument()}. Rate-limit callers with
   * {@link QuoteRateLimiter}: every call asks the TEE for a quote.
   */
  public AttestationDocument document(byte[] nonce32) throws TeeException {
    if (nonce32 == null) {
      return startupDocument();
    }
    if (nonce32.length != KeyBinding.NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes, got " + nonce32.length);
    }
    byte[] quote = backend.quote(KeyBinding.reportData(key.publicKey(), nonce32));
    return build(quote, nonce32.clone());
  }

  private AttestationDocument build(byte[] quote, byte[] nonce) {
    Instant now = clock.instant();
    HexFormat hex = HexFormat.of();
    JsonNode collateralJson = collateral(now).map(c -> {
      try {
        return AttestationDocument.MAPPER.readTree(c.toJson());
      } catch (IOException e) {
        throw new IllegalStateException("collateral does not serialise", e);
      }
    }).orElse(null);
    return new AttestationDocument(AttestationDocument.FORMAT, backend.teeType(), backend.simulated(),
        backend.simulated() ? AttestationDocument.SIMULATED_WARNING : null,
        Base64.getEncoder().encodeToString(quote), key.address(), hex.formatHex(key.publicKey()), measurement,
        hex.formatHex(nonce), hex.formatHex(KeyBinding.reportData(key.publicKey(), nonce)),
        KeyBinding.DESCRIPTION, collateralJson, now.truncatedTo(ChronoUnit.SECONDS).toString());
  }

  /** {@link SelfCheck#run(EnclaveIdentity, Instant, VerificationPolicy)} with the default self-check policy. */
  public SelfCheck.Result selfCheck() {
    return SelfCheck.run(this, clock.instant(), SelfCheck.defaultPolicy());
  }

  @Override
  public String toString() {
    return "EnclaveIdentity[" + backend.teeType() + ", " + key.address() + "]";
  }
}
