package io.attest402.demo.stack;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.demo.provider.Pricing;
import io.attest402.demo.provider.ProviderConfig;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.demo.summary.TextRankSummarizer;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.erc8004.validator.TeeValidator;
import io.attest402.erc8004.validator.ValidationOutcome;
import io.attest402.facilitator.FacilitatorNode;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.enclave.tee.TeeException;
import io.attest402.pcs.SimulatedPcs;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.web3j.crypto.Credentials;

/**
 * The whole stack on one machine: anvil with our contracts, a loopback PCS serving the simulation CA's collateral
 * (the stack's only collateral source), the facilitator (simulated TEE) registered in ERC-8004,
 * a TEE validator that answers its validation request, and summary providers. Everything it starts is stopped by
 * {@link #close()}, in reverse order, also after a partial start.
 */
public final class LocalStack implements AutoCloseable {
  private final Path workDir;
  private final Clock clock;
  private final List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
  private Chain chain;
  private FacilitatorNode facilitator;
  private SimulatedPcs pcs;
  private SimulationCa simulationCa;
  private Thread validatorThread;
  private final AtomicBoolean stopping = new AtomicBoolean();

  public LocalStack(Path workDir, Clock clock) {
    this.workDir = workDir;
    this.clock = clock;
  }

  /** Anvil on a free port, every contract deployed, dev accounts funded; the deployment file in the work dir. */
  public Deployment startChain() {
    chain = Chain.start();
    started.add(chain);
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
   * The loopback PCS (Intel PCS v4 API) serving the collateral of the simulation CA in the facilitator's data
   * directory (created here if absent, as the facilitator would): the only source of collateral in the stack.
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

  public SimulatedPcs pcs() {
    return pcs;
  }

  /** SHA-256 of the simulation root that every client of this stack pins. */
  public String simulationRoot() {
    return simulationCa.rootFingerprintSha256();
  }

  /** The MRENCLAVE clients of this stack pin: the simulated facilitator enclave's, as the harness configures it. */
  public String pinnedMrEnclave() {
    return HexFormat.of().formatHex(SimulatedBackend.SIM_MRENCLAVE);
  }

  /**
   * The attestation policy of this stack's agent and validator: the simulation root pinned by fingerprint and the
   * facilitator's MRENCLAVE pinned (never taken from what the facilitator serves).
   */
  public VerificationPolicy attestationPolicy() {
    return VerificationPolicy.builder().trustSimulationRoot(simulationRoot())
        .mrEnclave(SimulatedBackend.SIM_MRENCLAVE).build();
  }

  /**
   * The facilitator with a simulated TEE, its collateral from the loopback PCS (started first if needed),
   * registered in ERC-8004 and asking the dev validator to validate it.
   */
  public FacilitatorNode startFacilitator() {
    Deployment d = deployment();
    if (pcs == null) {
      startPcs();
    }
    StringWriter sink = new StringWriter();
    facilitator = FacilitatorNode.start(new FacilitatorNode.Config(d, NetworksConfig.fromDeployment(d), "127.0.0.1", 0,
        null, workDir.resolve("facilitator"), "simulated", FacilitatorOptions.defaults(), true,
        List.of(d.account("validator").address()), pcs.url(), List.of(workDir.resolve("deployment.json"))), clock, new PrintWriter(sink, true),
        new PrintWriter(sink, true));
    started.add(facilitator);
    return facilitator;
  }

  public FacilitatorNode facilitator() {
    return facilitator;
  }

  /**
   * The TEE validator (the deployment's validator account), with {@link #attestationPolicy()} (the pinned
   * simulation root, as a dev validator for this demo must, and the pinned MRENCLAVE): it answers pending requests now (returning what it did) and keeps watching in the background.
   */
  public List<ValidationOutcome> startValidator(Duration waitForFirst) {
    Deployment d = deployment();
    Erc8004Client client = Erc8004Client.connect(d).withSigner(d.account("validator").credentials());
    started.add(client::shutdown);
    UriResolver resolver = UriResolver.builder().allowHttpLoopback(true).build();
    RegistryIndexer indexer = new RegistryIndexer(client.rpc(), RegistryAddresses.fromDeployment(d),
        workDir.resolve("validator"), RegistryIndexer.Options.defaults(), resolver, clock);
    TeeValidator validator = new TeeValidator(client, indexer, resolver, attestationPolicy(), clock);
    long deadline = System.nanoTime() + waitForFirst.toNanos();
    List<ValidationOutcome> done = new ArrayList<>();
    while (done.isEmpty() && System.nanoTime() < deadline) {
      done.addAll(validator.runOnce());
      if (done.isEmpty()) {
        sleep(200);
      }
    }
    validatorThread = new Thread(() -> validator.run(Duration.ofSeconds(1), stopping::get), "tee-validator");
    validatorThread.setDaemon(true);
    validatorThread.start();
    started.add(() -> {
      stopping.set(true);
      validatorThread.interrupt();
      validatorThread.join(5000);
    });
    return done;
  }

  /**
   * A summary provider on a free port. {@code payTo} null: it is paid at its own address, its agentWallet; any other
   * address makes it the untrustworthy provider payers must refuse.
   */
  public SummaryProvider startProvider(String name, Credentials key, String payTo) {
    Deployment d = deployment();
    SummaryProvider provider = new SummaryProvider(new ProviderConfig(d, facilitator.url(), "127.0.0.1", 0, null, key,
        workDir.resolve(name), Pricing.defaults(), new TextRankSummarizer(), DevAccounts.account(DevAccounts.AGENT),
        payTo, attestationPolicy()), clock);
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
