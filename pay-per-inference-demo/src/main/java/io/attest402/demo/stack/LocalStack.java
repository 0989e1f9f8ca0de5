package io.attest402.demo.stack;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.demo.provider.Pricing;
import io.attest402.demo.provider.ProviderConfig;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.demo.summary.TextRankSummarizer;
import io.attest402.enclave.tee.CodeMeasurement;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.enclave.tee.TeeException;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.erc8004.validator.TeeValidator;
import io.attest402.erc8004.validator.ValidationOutcome;
import io.attest402.facilitator.cli.MeasureCommand;
import io.attest402.pcs.SimulatedPcs;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.web3j.crypto.Credentials;

/**
 * The whole stack on one machine: anvil with our contracts, a loopback PCS serving the simulation
 * CA's collateral (the stack's only collateral source), the facilitator (simulated TEE; its own JVM
 * started from the enclave artifact, as an operator runs it, so its measurement is that of the
 * artifact) registered in ERC-8004, a TEE validator that answers its validation request, and
 * summary providers. Everything it starts is stopped by {@link #close()}, in reverse order, also
 * after a partial start.
 */
public final class LocalStack implements AutoCloseable {
  private final Path workDir;
  private final Clock clock;
  private final List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
  private Chain chain;

  /**
   * JVM options the demo starts facilitators with (measured, as the Gramine manifest's JVM argv
   * is).
   */
  public static final List<String> FACILITATOR_JVM_OPTIONS =
      List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private FacilitatorProcess facilitator;
  private CodeMeasurement facilitatorMeasurement;
  private Path facilitatorPolicy;
  private SimulatedPcs pcs;
  private SimulationCa simulationCa;
  private Thread validatorThread;
  private final AtomicBoolean stopping = new AtomicBoolean();

  public LocalStack(Path workDir, Clock clock) {
    this.workDir = workDir;
    this.clock = clock;
  }

  /**
   * Anvil on a free port, every contract deployed, dev accounts funded, Multicall3 placed; the
   * deployment file in the work dir.
   */
  public Deployment startChain() {
    chain = Chain.start();
    started.add(chain);
    chain.placeMulticall3(); // as `chain` does: one local chain, whichever command starts it
    chain.deployment().write(workDir.resolve("deployment.json"));
    return chain.deployment();
  }

  public Chain chain() {
    return chain;
  }

  public Deployment deployment() {
    return chain.deployment();
  }

  /**
   * The loopback PCS (Intel PCS v4 API) serving the collateral of the simulation CA in the
   * facilitator's data directory (created here if absent, as the facilitator would): the only
   * source of collateral in the stack.
   */
  public SimulatedPcs startPcs() {
    try {
      simulationCa = SimulatedBackend.loadOrCreateCa(workDir.resolve("facilitator"), clock);
    } catch (TeeException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    pcs = SimulatedPcs.start(simulationCa, clock);
    started.add(pcs);
    return pcs;
  }

  /** Where the stack keeps its files (deployment, data directories, logs). */
  public Path workDir() {
    return workDir;
  }

  public SimulatedPcs pcs() {
    return pcs;
  }

  /** SHA-256 of the simulation root that every client of this stack pins. */
  public String simulationRoot() {
    return simulationCa.rootFingerprintSha256();
  }

  /**
   * The MRENCLAVE clients of this stack pin: what the genuine enclave artifact measures as with
   * these options.
   */
  public String pinnedMrEnclave() {
    return facilitatorMeasurement.mrEnclaveHex();
  }

  /**
   * The attestation policy of this stack's agent, validator and provider: the simulation root
   * pinned by fingerprint and the facilitator's MRENCLAVE pinned to what the artifact measures as
   * (never taken from what it serves).
   */
  public VerificationPolicy attestationPolicy() {
    return pinnedPolicy(pinnedMrEnclave());
  }

  /**
   * The facilitator with a simulated TEE from the enclave artifact, its collateral from the
   * loopback PCS (started first if needed), registered in ERC-8004 and asking the dev validator to
   * validate it; then its attestation policy (what {@code bin/attest402 measure} writes: the
   * MRENCLAVE of the artifact with these options, the simulation root of its data dir) in {@code
   * facilitator-policy.json}.
   */
  public FacilitatorProcess startFacilitator() {
    if (pcs == null) {
      startPcs();
    }
    Path artifact = FacilitatorProcess.defaultArtifact();
    List<String> args = replicaArgs();
    facilitatorMeasurement =
        FacilitatorProcess.expected(artifact, FACILITATOR_JVM_OPTIONS, workDir, args);
    facilitator = startIn(workDir, artifact, args, workDir.resolve("facilitator.log"));
    try {
      facilitatorPolicy = workDir.resolve("facilitator-policy.json");
      Files.writeString(
          facilitatorPolicy,
          MeasureCommand.policyJson(
              facilitatorMeasurement.mrEnclaveHex(), java.util.Optional.of(simulationRoot())),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return facilitator;
  }

  /**
   * The facilitator's arguments for a data directory: simulated TEE, any free port, the dev
   * validator.
   */
  public List<String> facilitatorArgs(Path dataDir) {
    return List.of(
        "--tee",
        "simulated",
        "--deployment",
        workDir.resolve("deployment.json").toString(),
        "--data-dir",
        dataDir.toString(),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--validator",
        deployment().account("validator").address(),
        "--pccs",
        pcs.url().toString());
  }

  /**
   * The stack facilitator's arguments, relative to the directory it runs in ({@code
   * deployment.json} and the data directory {@code facilitator} there), so that {@link
   * #startReplica} runs the very same measured configuration elsewhere.
   */
  private List<String> replicaArgs() {
    return List.of(
        "--tee",
        "simulated",
        "--deployment",
        "deployment.json",
        "--data-dir",
        "facilitator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--validator",
        deployment().account("validator").address(),
        "--pccs",
        pcs.url().toString());
  }

  /**
   * A second facilitator of the same pinned build and measured configuration as {@link
   * #startFacilitator()} (so it reports the same MRENCLAVE and passes the same policies), run in
   * {@code workDir/name}: its own data directory, sealed key, settlement account, journal and
   * ERC-8004 identity. Its simulated TEE shares the stack's simulation CA (on hardware both would
   * be Intel-signed), so the loopback PCS serves its collateral too. As another operator would run
   * the same release.
   */
  public FacilitatorProcess startReplica(String name) {
    if (facilitator == null) {
      throw new IllegalStateException("start the stack's facilitator first");
    }
    Path dir = workDir.resolve(name);
    try {
      Files.createDirectories(dir.resolve("facilitator/simulated-tee"));
      Files.copy(workDir.resolve("deployment.json"), dir.resolve("deployment.json"));
      Files.copy(
          workDir.resolve("facilitator/simulated-tee/simulation-ca.json"),
          dir.resolve("facilitator/simulated-tee/simulation-ca.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return startIn(
        dir, FacilitatorProcess.defaultArtifact(), replicaArgs(), workDir.resolve(name + ".log"));
  }

  /** A facilitator from {@code artifact} with these arguments (stopped with the stack). */
  public FacilitatorProcess startFacilitator(Path artifact, List<String> args, Path log) {
    return startIn(null, artifact, args, log);
  }

  private FacilitatorProcess startIn(Path dir, Path artifact, List<String> args, Path log) {
    try {
      FacilitatorProcess p =
          FacilitatorProcess.start(
              artifact, FACILITATOR_JVM_OPTIONS, args, dir, log, Duration.ofSeconds(180));
      started.add(p);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the facilitator", e);
    }
  }

  public FacilitatorProcess facilitator() {
    return facilitator;
  }

  /** What the facilitator from the genuine artifact measures as (known before it started). */
  public CodeMeasurement facilitatorMeasurement() {
    return facilitatorMeasurement;
  }

  /**
   * The attestation policy file pinning the facilitator (format of the verifier's
   * VerificationPolicy JSON).
   */
  public Path facilitatorPolicy() {
    return facilitatorPolicy;
  }

  /**
   * The agent's attestation policy for the demo: the facilitator's simulation root trusted (dev),
   * MRENCLAVE pinned to {@code mrEnclaveHex} (the value in {@link #facilitatorPolicy()} for the
   * genuine artifact).
   */
  public VerificationPolicy pinnedPolicy(String mrEnclaveHex) {
    return VerificationPolicy.builder()
        .trustSimulationRoot(simulationRoot())
        .mrEnclave(java.util.HexFormat.of().parseHex(mrEnclaveHex))
        .build();
  }

  /**
   * The TEE validator (the deployment's validator account), with {@link #attestationPolicy()} (the
   * pinned simulation root, as a dev validator for this demo must, and the pinned MRENCLAVE): it
   * answers pending requests now (returning what it did) and keeps watching in the background.
   */
  public List<ValidationOutcome> startValidator(Duration waitForFirst) {
    Deployment d = deployment();
    Erc8004Client client =
        Erc8004Client.connect(d).withSigner(d.account("validator").credentials());
    started.add(client::shutdown);
    UriResolver resolver = UriResolver.builder().allowHttpLoopback(true).build();
    RegistryIndexer indexer =
        new RegistryIndexer(
            client.rpc(),
            RegistryAddresses.fromDeployment(d),
            workDir.resolve("validator"),
            RegistryIndexer.Options.defaults(),
            resolver,
            clock);
    TeeValidator validator =
        new TeeValidator(client, indexer, resolver, attestationPolicy(), clock);
    long deadline = System.nanoTime() + waitForFirst.toNanos();
    List<ValidationOutcome> done = new ArrayList<>();
    while (done.isEmpty() && System.nanoTime() < deadline) {
      done.addAll(validator.runOnce());
      if (done.isEmpty()) {
        sleep(200);
      }
    }
    validatorThread =
        new Thread(() -> validator.run(Duration.ofSeconds(1), stopping::get), "tee-validator");
    validatorThread.setDaemon(true);
    validatorThread.start();
    started.add(
        () -> {
          stopping.set(true);
          validatorThread.interrupt();
          validatorThread.join(5000);
        });
    return done;
  }

  /**
   * A summary provider on a free port. {@code payTo} null: it is paid at its own address, its
   * agentWallet; any other address makes it the untrustworthy provider payers must refuse.
   */
  public SummaryProvider startProvider(String name, Credentials key, String payTo) {
    return startProvider(name, key, payTo, facilitator.url());
  }

  /**
   * As {@link #startProvider(String, Credentials, String)}, settling through the facilitator at
   * {@code facilitatorUrl}.
   */
  public SummaryProvider startProvider(
      String name, Credentials key, String payTo, String facilitatorUrl) {
    return startProvider(name, key, payTo, List.of(facilitatorUrl));
  }

  /** As above, settling through {@code facilitatorUrls} in order (failing over down the list). */
  public SummaryProvider startProvider(
      String name, Credentials key, String payTo, List<String> facilitatorUrls) {
    return startProvider(name, key, payTo, facilitatorUrls, null);
  }

  /**
   * As above, fetching the facilitators' collateral from {@code pccs} (null: verifying what they
   * serve).
   */
  public SummaryProvider startProvider(
      String name, Credentials key, String payTo, List<String> facilitatorUrls, URI pccs) {
    return startProvider(name, key, payTo, facilitatorUrls, pccs, attestationPolicy());
  }

  /**
   * As above, checking the facilitators' attestation (and publishing to its web page for the
   * browser's own check) under {@code policy} instead of {@link #attestationPolicy()}.
   */
  public SummaryProvider startProvider(
      String name,
      Credentials key,
      String payTo,
      List<String> facilitatorUrls,
      URI pccs,
      VerificationPolicy policy) {
    return startProvider(name, key, payTo, facilitatorUrls, pccs, policy, c -> c);
  }

  /**
   * As {@link #startProvider(String, Credentials, String)}, its configuration changed by {@code
   * customize} first (another summarizer, upto bound to another signer).
   */
  public SummaryProvider startProvider(
      String name,
      Credentials key,
      String payTo,
      java.util.function.UnaryOperator<ProviderConfig> customize) {
    return startProvider(
        name, key, payTo, List.of(facilitator.url()), null, attestationPolicy(), customize);
  }

  private SummaryProvider startProvider(
      String name,
      Credentials key,
      String payTo,
      List<String> facilitatorUrls,
      URI pccs,
      VerificationPolicy policy,
      java.util.function.UnaryOperator<ProviderConfig> customize) {
    Deployment d = deployment();
    SummaryProvider provider =
        new SummaryProvider(
            customize.apply(
                new ProviderConfig(
                    d,
                    facilitatorUrls.get(0),
                    "127.0.0.1",
                    0,
                    null,
                    key,
                    workDir.resolve(name),
                    Pricing.defaults(),
                    new TextRankSummarizer(),
                    DevAccounts.account(DevAccounts.AGENT),
                    payTo,
                    policy,
                    facilitatorUrls.subList(1, facilitatorUrls.size()),
                    pccs)),
            clock);
    started.add(provider);
    provider.start();
    return provider;
  }

  /** Stops everything started, newest first; never throws. */
  @Override
  public void close() {
    List<AutoCloseable> all;
    synchronized (started) {
      all = new ArrayList<>(started);
      started.clear();
    }
    Collections.reverse(all);
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
