package io.attest402.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.enclave.tee.Measurement;
import io.attest402.enclave.tee.Secrets;
import io.attest402.enclave.tee.TeeBackend;
import io.attest402.enclave.tee.TeeBackends;
import io.attest402.enclave.tee.TeeException;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.CollateralFetcher;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.VerificationPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facilitator's identity in its TEE: the secp256k1 {@link EnclaveKey} (settlement account and
 * receipt signer) and the quotes that bind it. {@link #open} restores the key by unsealing {@code
 * <data-dir>/enclave-key.sealed} or, on first start, generates it from the given strong RNG inside
 * the TEE and seals it; on TDX (no sealing) it generates a new key on every boot. The private key
 * is never logged, served or written unsealed.
 *
 * <p>Thread-safe. Quote generation is blocking file I/O (tens of milliseconds on hardware): call
 * {@link #document(byte[])} off the event loop.
 */
public final class EnclaveIdentity {
  private static final Logger LOG = LoggerFactory.getLogger(EnclaveIdentity.class);

  /** File in the data directory holding the sealed private key (sealing backends only). */
  public static final String SEALED_KEY_FILE = "enclave-key.sealed";

  /** File in the data directory holding the sealed keys of signers 2..N ({@code --signers N}). */
  public static final String SEALED_SIGNERS_FILE = "enclave-signers.sealed";

  static final String KEY_PURPOSE = "enclave-key";
  static final String SIGNERS_PURPOSE = "enclave-signers";

  private final TeeBackend backend;
  private final InMemoryEnclaveKey key;
  private final List<EnclaveKey> signers;
  private final List<byte[]> signerPublicKeys;
  private final boolean newKey;
  private final Clock clock;
  private final byte[] startupQuote;
  private final Measurement measurement;
  private volatile Collateral operatorCollateral;
  private volatile Instant collateralNextUpdate;

  private EnclaveIdentity(
      TeeBackend backend,
      List<InMemoryEnclaveKey> keys,
      boolean newKey,
      Clock clock,
      byte[] startupQuote,
      Measurement measurement) {
    this.backend = backend;
    this.key = keys.get(0);
    this.signers = List.copyOf(keys);
    this.signerPublicKeys = keys.stream().map(InMemoryEnclaveKey::publicKey).toList();
    this.newKey = newKey;
    this.clock = clock;
    this.startupQuote = startupQuote;
    this.measurement = measurement;
  }

  /**
   * Opens or creates the identity for {@code backend} with {@code dataDir}, then takes the startup
   * quote (report data = key binding || 32 zero bytes).
   *
   * @throws TeeException when a sealed key exists but cannot be unsealed (another enclave build or
   *     machine, or tampering: we refuse to overwrite it; move it away to start with a new key), or
   *     when the TEE cannot produce a quote that binds the key
   */
  public static EnclaveIdentity open(
      TeeBackend backend, Path dataDir, SecureRandom random, Clock clock) throws TeeException {
    return open(backend, dataDir, 1, random, clock);
  }

  /**
   * {@link #open(TeeBackend, Path, SecureRandom, Clock)} with {@code signers} secp256k1 keys: the
   * identity key (signer 1, {@link #SEALED_KEY_FILE}) and {@code signers - 1} settlement keys
   * sealed together in {@link #SEALED_SIGNERS_FILE}, all born here and all bound by the quote in
   * this order ({@link KeyBinding#signersHash}).
   *
   * @throws TeeException also when the data directory holds another number of signers than {@code
   *     signers} (the count of an existing directory is fixed: see the message)
   */
  public static EnclaveIdentity open(
      TeeBackend backend, Path dataDir, int signers, SecureRandom random, Clock clock)
      throws TeeException {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(random, "random");
    Objects.requireNonNull(clock, "clock");
    if (signers < 1 || signers > KeyBinding.MAX_SIGNERS) {
      throw new IllegalArgumentException(
          "signers must be between 1 and " + KeyBinding.MAX_SIGNERS + ", got " + signers);
    }
    InMemoryEnclaveKey key;
    List<InMemoryEnclaveKey> keys = new ArrayList<>();
    boolean created;
    Path sealedFile = dataDir.resolve(SEALED_KEY_FILE);
    Path signersFile = dataDir.resolve(SEALED_SIGNERS_FILE);
    if (backend.canSeal()) {
      if (Files.exists(sealedFile)) {
        key = InMemoryEnclaveKey.fromPrivateKey(unsealKeys(backend, sealedFile, KEY_PURPOSE, 1));
        keys.add(key);
        int held = 1;
        byte[] more = null;
        if (Files.exists(signersFile)) {
          more = unsealKeys(backend, signersFile, SIGNERS_PURPOSE, -1);
          held += more.length / 32;
        }
        if (held != signers) {
          if (more != null) {
            Arrays.fill(more, (byte) 0);
          }
          throw new TeeException(
              "the data directory "
                  + dataDir
                  + " holds "
                  + held
                  + " sealed signer key(s) and --signers is "
                  + signers
                  + ": the signers of a data directory are fixed at its first start (they are its "
                  + "attested identity, and each may have transactions in flight). Start with "
                  + "--signers "
                  + held
                  + ", or use a new data directory for "
                  + signers
                  + " signers (new keys, new addresses to fund)");
        }
        if (more != null) {
          try {
            for (int i = 0; i < more.length; i += 32) {
              keys.add(InMemoryEnclaveKey.fromPrivateKey(Arrays.copyOfRange(more, i, i + 32)));
            }
          } finally {
            Arrays.fill(more, (byte) 0);
          }
        }
        created = false;
      } else {
        key = InMemoryEnclaveKey.generate(random);
        keys.add(key);
        for (int i = 1; i < signers; i++) {
          keys.add(InMemoryEnclaveKey.generate(random));
        }
        try {
          Files.createDirectories(dataDir);
          // the settlement keys first: a start that dies in between left no identity key, so the
          // next start creates all keys afresh (nothing was attested or funded yet)
          if (signers > 1) {
            byte[] more = new byte[32 * (signers - 1)];
            for (int i = 1; i < signers; i++) {
              byte[] k = keys.get(i).privateKeyBytes();
              System.arraycopy(k, 0, more, 32 * (i - 1), 32);
              Arrays.fill(k, (byte) 0);
            }
            try {
              Secrets.writeAtomically(signersFile, backend.seal(SIGNERS_PURPOSE, more));
            } finally {
              Arrays.fill(more, (byte) 0);
            }
          } else {
            Files.deleteIfExists(signersFile);
          }
          byte[] secret = key.privateKeyBytes();
          try {
            Secrets.writeAtomically(sealedFile, backend.seal(KEY_PURPOSE, secret));
          } finally {
            Arrays.fill(secret, (byte) 0);
          }
        } catch (IOException e) {
          throw new TeeException("cannot write sealed key " + sealedFile + ": " + e, e);
        }
        created = true;
      }
    } else {
      key = InMemoryEnclaveKey.generate(random);
      keys.add(key);
      for (int i = 1; i < signers; i++) {
        keys.add(InMemoryEnclaveKey.generate(random));
      }
      created = true;
      LOG.info(
          "{} has no sealing: the enclave key lives in memory only and is new on every boot; fund and "
              + "register the new address",
          backend.teeType());
    }
    List<byte[]> publicKeys = keys.stream().map(InMemoryEnclaveKey::publicKey).toList();
    byte[] quote = backend.quote(KeyBinding.reportData(publicKeys, null));
    Measurement m;
    try {
      m = Measurement.of(Quote.parse(quote));
    } catch (QuoteVerificationException e) {
      throw new TeeException("startup quote does not parse: " + e.getMessage(), e);
    }
    LOG.info(
        "enclave identity: {} address {} ({}; {})",
        backend.teeType(),
        key.address(),
        created ? "new key" : "restored sealed key",
        backend.sealingDescription());
    if (backend.simulated()) {
      LOG.warn(
          "*** SIMULATED attestation: the facilitator key {} is not protected by any TEE ***",
          key.address());
    }
    if (signers > 1) {
      LOG.info(
          "{} settlement signers: {}",
          signers,
          keys.stream().map(InMemoryEnclaveKey::address).toList());
    }
    return new EnclaveIdentity(backend, keys, created, clock, quote, m);
  }

  /**
   * Unseals {@code file} as {@code purpose}: {@code keys} keys of 32 bytes, or any positive number
   * of them when {@code keys} is -1.
   */
  private static byte[] unsealKeys(TeeBackend backend, Path file, String purpose, int keys)
      throws TeeException {
    byte[] blob;
    try {
      blob = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new TeeException("cannot read sealed key " + file + ": " + e, e);
    }
    byte[] secret;
    try {
      secret = backend.unseal(purpose, blob);
    } catch (TeeException e) {
      throw new TeeException(
          "the sealed enclave key "
              + file
              + " cannot be unsealed by this "
              + backend.teeType()
              + " enclave ("
              + e.getMessage()
              + "). It was sealed by another enclave "
              + "build or machine, or altered. Refusing to start rather than replace it: move the file "
              + "away to start with a new key (new address, new registration).",
          e);
    }
    boolean ok =
        keys == -1
            ? secret.length > 0
                && secret.length % 32 == 0
                && secret.length / 32 < KeyBinding.MAX_SIGNERS
            : secret.length == 32 * keys;
    if (!ok) {
      int n = secret.length;
      Arrays.fill(secret, (byte) 0);
      throw new TeeException(
          "sealed enclave key "
              + file
              + " has "
              + n
              + " bytes, expected "
              + (keys == -1 ? "a multiple of 32" : 32 * keys));
    }
    return secret;
  }

  /**
   * What the facilitator does at start: chooses the backend for {@code --tee teeMode}, opens the
   * identity in {@code options.dataDir()}, fetches the collateral for its own startup quote through
   * {@code pccs} (Intel PCS or a PCCS; for the simulated backend a PCS that serves the simulation
   * CA's collateral), runs the {@linkplain SelfCheck self-check} with the {@linkplain
   * SelfCheck#defaultPolicy() default self-check policy} and refuses to return an identity whose
   * own quote does not verify or does not bind its key.
   *
   * @throws CollateralUnavailableException when the PCS cannot be reached or serves collateral that
   *     is missing, stale or not validly signed (the message names the URL and the piece)
   */
  public static EnclaveIdentity startVerified(String teeMode, TeeBackends.Options options, URI pccs)
      throws TeeException, SelfCheck.SelfCheckException, CollateralUnavailableException {
    return startVerified(teeMode, options, pccs, 1);
  }

  /**
   * {@link #startVerified(String, TeeBackends.Options, URI)} with {@code signers} keys ({@link
   * #open(TeeBackend, Path, int, SecureRandom, Clock)}).
   */
  public static EnclaveIdentity startVerified(
      String teeMode, TeeBackends.Options options, URI pccs, int signers)
      throws TeeException, SelfCheck.SelfCheckException, CollateralUnavailableException {
    Objects.requireNonNull(pccs, "pccs");
    EnclaveIdentity id =
        open(
            TeeBackends.select(teeMode, options),
            options.dataDir(),
            signers,
            options.random(),
            options.clock());
    id.refreshCollateral(pccs);
    SelfCheck.Result r =
        SelfCheck.run(id, options.clock().instant(), SelfCheck.defaultPolicy()).orThrow();
    LOG.info("{}", r.summary());
    return id;
  }

  /**
   * Thrown when the collateral for the facilitator's own quote cannot be obtained or does not
   * verify.
   */
  public static final class CollateralUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public CollateralUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Fetches the collateral for the startup quote from the PCS/PCCS at {@code pccs} (every piece
   * anew), checks that the startup quote verifies with it (signatures, chains, CRLs, validity now;
   * TCB status is the clients' call), and installs it for serving. On failure the collateral served
   * so far stays in place (until its own nextUpdate).
   */
  public Collateral refreshCollateral(URI pccs) throws CollateralUnavailableException {
    Collateral c;
    try {
      CollateralFetcher.Builder fb =
          CollateralFetcher.builder()
              .baseUrl(pccs)
              .clock(clock)
              .timeout(Duration.ofSeconds(20))
              .trustAnchor(io.attest402.verifier.QuoteVerifier.intelRootCa());
      if (backend instanceof io.attest402.enclave.tee.SimulatedBackend sim) {
        fb.trustAnchor(sim.simulationRoot());
      }
      c = fb.build().fetch(startupQuote);
    } catch (QuoteVerificationException e) {
      throw new CollateralUnavailableException(
          "cannot obtain collateral for this facilitator's quote from "
              + pccs
              + ": "
              + e.getMessage(),
          e);
    }
    Instant now = clock.instant();
    VerificationPolicy p = SelfCheck.forBackend(SelfCheck.defaultPolicy(), backend).build();
    io.attest402.verifier.Verdict v =
        new io.attest402.verifier.QuoteVerifier().verify(startupQuote, c, now, p);
    if (!v.ok()) {
      throw new CollateralUnavailableException(
          "collateral from "
              + pccs
              + " does not verify this "
              + "facilitator's quote: "
              + v.failure().map(f -> f.kind() + ": " + f.getMessage()).orElse("rejected"),
          v.failure().orElse(null));
    }
    operatorCollateral = c;
    collateralNextUpdate = CollateralValidity.nextUpdate(c);
    LOG.info("collateral from {} installed; next update due {}", pccs, collateralNextUpdate);
    return c;
  }

  /**
   * The earliest nextUpdate of the installed collateral (TCB info, QE identity, CRLs), or null
   * without one.
   */
  public Instant collateralNextUpdate() {
    return collateralNextUpdate;
  }

  /**
   * The key: signatures only, never the private key. Use it as the settlement TxSignService and
   * receipt signer.
   */
  public EnclaveKey key() {
    return key;
  }

  /**
   * Every signer key in attested order: {@code signers().get(0)} is {@link #key()} (identity,
   * receipts), the others are settlement accounts only.
   */
  public List<EnclaveKey> signers() {
    return signers;
  }

  /** The report data binding every signer and {@code nonce32} (null = zeros). */
  public byte[] reportData(byte[] nonce32) {
    return KeyBinding.reportData(signerPublicKeys, nonce32);
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

  /**
   * True when the key was created on this start (first start, or every boot on TDX): register and
   * fund it.
   */
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
   * Installs collateral fetched elsewhere (a PCS/PCCS, or a file the operator supplies). It is
   * served with the documents and used by the self-check. Null clears it. {@link
   * #refreshCollateral} is the usual way.
   */
  public void collateral(Collateral c) {
    operatorCollateral = c;
    collateralNextUpdate = c == null ? null : CollateralValidity.nextUpdate(c);
  }

  /**
   * The collateral served with documents at {@code now}: what was fetched, while it is still valid.
   * Past its nextUpdate none is served (clients then fail with "no collateral" or fetch their own),
   * never a stale copy.
   */
  public Optional<Collateral> collateral(Instant now) {
    Collateral c = operatorCollateral;
    Instant next = collateralNextUpdate;
    return c != null && next != null && !now.isAfter(next) ? Optional.of(c) : Optional.empty();
  }

  /**
   * The document for {@code GET /attestation} without a nonce: the startup quote, current
   * collateral.
   */
  public AttestationDocument startupDocument() {
    return build(startupQuote, new byte[KeyBinding.NONCE_BYTES], null);
  }

  /**
   * The document for {@code GET /attestation?nonce=HEX32}: the startup quote plus a {@link
   * FreshnessProof}, the enclave key's signature over {@code nonce32} and the time. No quoting
   * round trip: as cheap as a signature, so it needs no rate limit. A null nonce returns {@link
   * #startupDocument()}.
   */
  public AttestationDocument document(byte[] nonce32) {
    if (nonce32 == null) {
      return startupDocument();
    }
    if (nonce32.length != KeyBinding.NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes, got " + nonce32.length);
    }
    return build(
        startupQuote,
        new byte[KeyBinding.NONCE_BYTES],
        FreshnessProof.sign(key, nonce32, clock.instant()));
  }

  /**
   * The document for {@code GET /attestation?nonce=HEX32&fresh=1}: a new quote whose report data
   * ends in {@code nonce32}. Every call asks the TEE for a quote: rate-limit callers (the
   * facilitator does, per client).
   */
  public AttestationDocument freshQuoteDocument(byte[] nonce32) throws TeeException {
    if (nonce32 == null || nonce32.length != KeyBinding.NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes");
    }
    byte[] quote = backend.quote(reportData(nonce32));
    return build(quote, nonce32.clone(), null);
  }

  private AttestationDocument build(byte[] quote, byte[] nonce, FreshnessProof freshness) {
    Instant now = clock.instant();
    HexFormat hex = HexFormat.of();
    JsonNode collateralJson =
        collateral(now)
            .map(
                c -> {
                  try {
                    return AttestationDocument.MAPPER.readTree(c.toJson());
                  } catch (IOException e) {
                    throw new IllegalStateException("collateral does not serialise", e);
                  }
                })
            .orElse(null);
    return new AttestationDocument(
        AttestationDocument.FORMAT,
        backend.teeType(),
        backend.simulated(),
        backend.simulated() ? AttestationDocument.SIMULATED_WARNING : null,
        Base64.getEncoder().encodeToString(quote),
        key.address(),
        hex.formatHex(key.publicKey()),
        measurement,
        hex.formatHex(nonce),
        signers.stream()
            .map(k -> new AttestationDocument.Signer(k.address(), hex.formatHex(k.publicKey())))
            .toList(),
        hex.formatHex(reportData(nonce)),
        KeyBinding.description(signers.size()),
        collateralJson,
        freshness,
        BuildInfo.sourceRevision(),
        backend.eventLog().orElse(null),
        now.truncatedTo(ChronoUnit.SECONDS).toString());
  }

  /**
   * {@link SelfCheck#run(EnclaveIdentity, Instant, VerificationPolicy)} with the default self-check
   * policy.
   */
  public SelfCheck.Result selfCheck() {
    return SelfCheck.run(this, clock.instant(), SelfCheck.defaultPolicy());
  }

  @Override
  public String toString() {
    return "EnclaveIdentity[" + backend.teeType() + ", " + key.address() + "]";
  }
}
