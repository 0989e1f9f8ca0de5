package io.attest402.facilitator;

import io.attest402.contracts.chain.Deployment;
import io.attest402.enclave.BuildInfo;
import io.attest402.enclave.EnclaveIdentity;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.PerClientQuoteLimiter;
import io.attest402.enclave.tee.TeeBackends;
import io.attest402.enclave.tee.TeeException;
import io.attest402.facilitator.anchor.AnchorOptions;
import io.attest402.facilitator.anchor.AnchoredReceiptIssuer;
import io.attest402.facilitator.anchor.IntegrityGuard;
import io.attest402.facilitator.anchor.ReceiptAnchorer;
import io.attest402.facilitator.anchor.ReceiptAnchoring;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.credential.CredentialOptions;
import io.attest402.facilitator.identity.Erc8004Registration;
import io.attest402.facilitator.identity.ServedIdentity;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.facilitator.store.SettlementStores;
import io.attest402.verifier.CollateralFetcher;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A whole facilitator as an operator runs it: the key from the TEE identity (sealed where the
 * backend seals), gas on dev chains, the settlement journal, the HTTP server with {@code
 * /attestation}, and its ERC-8004 identity with validation requests. {@code bin/attest402
 * facilitator} and the local demo both start it this way.
 */
public final class FacilitatorNode implements AutoCloseable {
  /**
   * @param publicUrl the URL others reach it at; null = {@code http://host:port}
   * @param teeMode auto, gramine, tdx or simulated (auto without a TEE refuses to start)
   * @param register register an ERC-8004 identity when the deployment has an identity registry
   * @param validators TEE validators to ask for a tee-attestation validation (once per key)
   * @param pccs the PCS/PCCS the facilitator fetches the collateral for its own quote from (Intel
   *     PCS v4 API); null = Intel PCS. With {@code --tee simulated} it must be a PCS that serves
   *     the simulation CA's collateral.
   * @param measuredFiles configuration files the TDX backend extends into RTMR3 with the
   *     facilitator artifact (deployment file, networks file); may be empty
   * @param signers how many secp256k1 signers the enclave holds ({@code --signers N}): all bound in
   *     the quote, settlements spread over them by load; fixed for a data directory
   */
  public record Config(
      Deployment deployment,
      NetworksConfig networks,
      String host,
      int port,
      String publicUrl,
      Path dataDir,
      String teeMode,
      FacilitatorOptions options,
      boolean register,
      List<String> validators,
      URI pccs,
      List<Path> measuredFiles,
      SettlementStores.Postgres store,
      int signers) {
    /** One signer. */
    public Config(
        Deployment deployment,
        NetworksConfig networks,
        String host,
        int port,
        String publicUrl,
        Path dataDir,
        String teeMode,
        FacilitatorOptions options,
        boolean register,
        List<String> validators,
        URI pccs,
        List<Path> measuredFiles,
        SettlementStores.Postgres store) {
      this(
          deployment,
          networks,
          host,
          port,
          publicUrl,
          dataDir,
          teeMode,
          options,
          register,
          validators,
          pccs,
          measuredFiles,
          store,
          1);
    }

    /**
     * A simulated-TEE facilitator on 127.0.0.1 and a free port, with the default options, one
     * signer, an SQLite journal in {@code dataDir}, no registration, validators or measured files,
     * collateral from {@code pccs}: what tests, benchmarks and local stacks start.
     */
    public static Config simulated(Deployment deployment, Path dataDir, URI pccs) {
      return new Config(
          deployment,
          NetworksConfig.fromDeployment(deployment),
          "127.0.0.1",
          0,
          null,
          dataDir,
          "simulated",
          FacilitatorOptions.defaults(),
          false,
          List.of(),
          pccs,
          List.of(),
          null,
          1);
    }

    /** This configuration with {@code n} signers. */
    public Config withSigners(int n) {
      return with(options, store, n);
    }

    /** This configuration with {@code o} as its options. */
    public Config withOptions(FacilitatorOptions o) {
      return with(o, store, signers);
    }

    /** This configuration journaling in {@code postgres} (null: SQLite in the data dir). */
    public Config withStore(SettlementStores.Postgres postgres) {
      return with(options, postgres, signers);
    }

    private Config with(FacilitatorOptions o, SettlementStores.Postgres st, int n) {
      return new Config(
          deployment,
          networks,
          host,
          port,
          publicUrl,
          dataDir,
          teeMode,
          o,
          register,
          validators,
          pccs,
          measuredFiles,
          st,
          n);
    }

    /** A facilitator journaling in {@code dataDir/settlements.db} (SQLite). */
    public Config(
        Deployment deployment,
        NetworksConfig networks,
        String host,
        int port,
        String publicUrl,
        Path dataDir,
        String teeMode,
        FacilitatorOptions options,
        boolean register,
        List<String> validators,
        URI pccs,
        List<Path> measuredFiles) {
      this(
          deployment,
          networks,
          host,
          port,
          publicUrl,
          dataDir,
          teeMode,
          options,
          register,
          validators,
          pccs,
          measuredFiles,
          null);
    }

    public Config {
      measuredFiles = measuredFiles == null ? List.of() : List.copyOf(measuredFiles);
      pccs = pccs == null ? CollateralFetcher.INTEL_PCS : pccs;
      Objects.requireNonNull(deployment, "deployment");
      Objects.requireNonNull(networks, "networks");
      Objects.requireNonNull(dataDir, "dataDir");
      Objects.requireNonNull(options, "options");
      validators = List.copyOf(validators);
      if (signers < 1 || signers > io.attest402.enclave.KeyBinding.MAX_SIGNERS) {
        throw new IllegalArgumentException(
            "--signers must be between 1 and "
                + io.attest402.enclave.KeyBinding.MAX_SIGNERS
                + ", not "
                + signers);
      }
      teeMode = teeMode.trim().toLowerCase(java.util.Locale.ROOT);
      if (!List.of("auto", "gramine", "tdx", "simulated").contains(teeMode)) {
        throw new IllegalArgumentException(
            "--tee must be auto, gramine, tdx or simulated, not " + teeMode);
      }
    }
  }

  /** Fresh quotes ({@code /attestation?nonce=..&fresh=1}) per client and minute. */
  public static final int FRESH_QUOTES_PER_CLIENT_PER_MINUTE = 10;

  private final FacilitatorServer server;
  private final EnclaveIdentity identity;
  private final String url;
  private final Erc8004Registration.Result registration;
  private final CollateralRefresher refresher;

  private FacilitatorNode(
      FacilitatorServer server,
      EnclaveIdentity identity,
      String url,
      Erc8004Registration.Result registration,
      CollateralRefresher refresher) {
    this.server = server;
    this.identity = identity;
    this.url = url;
    this.registration = registration;
    this.refresher = refresher;
  }

  /**
   * Starts everything; on failure, what was started is stopped again. Progress lines go to {@code
   * out}.
   */
  public static FacilitatorNode start(Config c, Clock clock, PrintWriter out, PrintWriter err) {
    return start(c, AnchorOptions.defaults(), clock, out, err, null);
  }

  /**
   * As {@link #start(Config, Clock, PrintWriter, PrintWriter)}, anchoring receipts as {@code
   * anchors} says.
   */
  public static FacilitatorNode start(
      Config c, AnchorOptions anchors, Clock clock, PrintWriter out, PrintWriter err) {
    return start(c, anchors, clock, out, err, null);
  }

  /**
   * As {@link #start(Config, AnchorOptions, Clock, PrintWriter, PrintWriter)}; a simulated TEE
   * reports {@code simulatedMrEnclave} (the measurement of what runs, see {@code CodeMeasurement};
   * null = the fixed simulated value).
   */
  public static FacilitatorNode start(
      Config c,
      AnchorOptions anchors,
      Clock clock,
      PrintWriter out,
      PrintWriter err,
      byte[] simulatedMrEnclave) {
    return start(c, anchors, CredentialOptions.defaults(), clock, out, err, simulatedMrEnclave);
  }

  /**
   * As {@link #start(Config, AnchorOptions, Clock, PrintWriter, PrintWriter, byte[])}, with the
   * payer-settled path ({@code POST /credentials}) configured as {@code credentials} says.
   */
  public static FacilitatorNode start(
      Config c,
      AnchorOptions anchors,
      CredentialOptions credentials,
      Clock clock,
      PrintWriter out,
      PrintWriter err,
      byte[] simulatedMrEnclave) {
    EnclaveIdentity identity = identity(c, clock, out, err, simulatedMrEnclave);
    EnclaveKey key = identity.key();
    for (NetworkConfig n : c.networks().networks()) {
      for (EnclaveKey signer : identity.signers()) {
        fundOnDevChain(n, signer, c, out, err);
      }
    }
    AtomicReference<String> registrationFile = new AtomicReference<>();
    ServedIdentity served =
        new ServedIdentity(
            identity,
            new PerClientQuoteLimiter(FRESH_QUOTES_PER_CLIENT_PER_MINUTE, 10_000, clock),
            () -> Optional.ofNullable(registrationFile.get()));
    // The URL is registered on chain, so it is fixed before the server starts; registering first
    // also keeps the
    // registration's transactions out of the way of the settlement engine's account nonces.
    int port = c.port() == 0 ? freePort(c.host()) : c.port();
    String shownHost = c.host().equals("0.0.0.0") ? "127.0.0.1" : c.host();
    String url =
        c.publicUrl() != null
            ? c.publicUrl().replaceAll("/+$", "")
            : "http://" + shownHost + ":" + port;
    Erc8004Registration.Result reg = null;
    if (c.register() && c.deployment().contracts().identityRegistry() != null) {
      try {
        reg =
            Erc8004Registration.ensure(
                c.deployment(),
                key,
                url,
                c.dataDir(),
                c.validators(),
                clock,
                Erc8004Registration.attestationFacts(
                    identity.measurement(), BuildInfo.sourceRevision()));
        registrationFile.set(reg.file().toJson());
        out.println(
            "ERC-8004 identity: agentId "
                + reg.agentId()
                + (reg.registered() ? " (registered now)" : "")
                + ", agentWallet "
                + key.address()
                + (reg.validationRequests().isEmpty()
                    ? ""
                    : ", validation requested from " + c.validators()));
      } catch (RuntimeException e) {
        err.println(
            "WARNING: ERC-8004 registration failed ("
                + e.getMessage()
                + "); serving without a registered "
                + "identity: payers that check identity will refuse to pay through this facilitator");
      }
    }
    SettlementStore store = SettlementStores.open(c.store(), c.dataDir(), clock);
    if (store instanceof io.attest402.facilitator.store.LeaseStore ls
        && ls.leaseTtl().isPresent()) {
      // a replica of a shared journal: its receipt chain is its own from the first read (the
      // anchor check below reads it), before the engine takes its signer leases
      ls.bindReplica(key.address(), identity.signers().stream().map(EnclaveKey::address).toList());
    }
    IntegrityGuard guard = ReceiptAnchoring.guardFor(c.deployment(), anchors, err);
    Facilitator facilitator =
        Facilitator.create(
            c.networks(),
            identity.signers(),
            store,
            clock,
            c.options(),
            new AnchoredReceiptIssuer(SignedReceiptIssuer.of(key), guard),
            new FacilitatorMetrics());
    facilitator.useCredentialOptions(credentials);
    // before the engine recovers anything: a journal contradicting its on-chain anchor must not
    // sign or settle
    ReceiptAnchorer anchorer =
        ReceiptAnchoring.wire(c.deployment(), anchors, facilitator, guard, store, key, clock, out);
    FacilitatorServer server =
        new FacilitatorServer(facilitator, c.options(), c.host(), port, served);
    server.start();
    if (anchorer != null) {
      anchorer.start();
    }
    CollateralRefresher refresher = CollateralRefresher.start(identity, c.pccs(), clock);
    return new FacilitatorNode(server, identity, url, reg, refresher);
  }

  /** Gas for {@code signer} from the dev deployer account, on dev chains only. */
  private static void fundOnDevChain(
      NetworkConfig n, EnclaveKey signer, Config c, PrintWriter out, PrintWriter err) {
    try {
      DevFunding.Result f = DevFunding.fundIfEmpty(n, signer.address(), c.options().rpcTimeout());
      if (f.funded()) {
        out.println(
            "funded facilitator "
                + signer.address()
                + " with "
                + DevFunding.AMOUNT_ETH
                + " ETH on "
                + n.network()
                + " from the dev deployer account (tx "
                + f.txHash()
                + ")");
      } else if (f.balanceBefore().signum() == 0) {
        out.println(
            "facilitator account "
                + signer.address()
                + " has no gas on "
                + n.network()
                + ": fund it to settle; verify works meanwhile");
      }
    } catch (Exception e) {
      err.println(
          "attest402 facilitator: cannot check or fund gas on "
              + n.network()
              + " ("
              + e.getMessage()
              + "); settling there needs the account funded");
    }
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + host, e);
    }
  }

  private static EnclaveIdentity identity(
      Config c, Clock clock, PrintWriter out, PrintWriter err, byte[] simulatedMrEnclave) {
    List<Path> measured = new java.util.ArrayList<>();
    artifact().ifPresent(measured::add);
    measured.addAll(c.measuredFiles());
    TeeBackends.Options teeOptions =
        TeeBackends.Options.defaults(c.dataDir())
            .withClock(clock)
            .withMeasuredFiles(measured)
            .withSimulatedMrEnclave(simulatedMrEnclave);
    try {
      EnclaveIdentity identity =
          EnclaveIdentity.startVerified(c.teeMode(), teeOptions, c.pccs(), c.signers());
      out.println(
          "enclave identity: "
              + identity.backend().teeType()
              + (identity.simulated() ? " (SIMULATED: no hardware protects the key)" : "")
              + ", "
              + identity.backend().sealingDescription());
      out.println(
          "collateral for its quote from "
              + c.pccs()
              + ", valid until "
              + identity.collateralNextUpdate());
      return identity;
    } catch (EnclaveIdentity.CollateralUnavailableException e) {
      throw new IllegalStateException(
          "refusing to start: "
              + e.getMessage()
              + " (--pccs URL names the PCS or PCCS"
              + (c.teeMode().equals("simulated")
                  ? "; a simulated TEE needs one serving its simulation CA's collateral:"
                      + " bin/attest402 simulated-pcs --data-dir "
                      + c.dataDir()
                  : "")
              + ")",
          e);
    } catch (io.attest402.enclave.SelfCheck.SelfCheckException e) {
      throw new IllegalStateException(
          "refusing to start: the TEE's own quote does not verify: " + e.getMessage(), e);
    } catch (TeeException e) {
      // No silent downgrade: a facilitator without a TEE has nothing for payers to verify, so --tee
      // auto on a
      // machine without one refuses to start and says how to choose.
      String msg = e.getMessage();
      throw new IllegalStateException(
          msg.startsWith("--tee") ? msg : "--tee " + c.teeMode() + ": " + msg, e);
    }
  }

  /** The jar this facilitator runs from (what TDX measures into RTMR3), when it runs from one. */
  static Optional<Path> artifact() {
    try {
      java.security.CodeSource cs = FacilitatorNode.class.getProtectionDomain().getCodeSource();
      Path p = cs == null ? null : Path.of(cs.getLocation().toURI());
      return p != null && java.nio.file.Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    } catch (java.net.URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public String url() {
    return url;
  }

  public String address() {
    return server.facilitator().address();
  }

  /** The ERC-8004 agentId, or null when not registered. */
  public BigInteger agentId() {
    return registration == null ? null : registration.agentId();
  }

  public EnclaveIdentity identity() {
    return identity;
  }

  public FacilitatorServer server() {
    return server;
  }

  /** Graceful: in-flight settlements finish or stay journaled. */
  @Override
  public void close() {
    refresher.close();
    server.stop();
  }
}
