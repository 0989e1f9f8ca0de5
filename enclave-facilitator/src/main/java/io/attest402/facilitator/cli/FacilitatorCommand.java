package io.attest402.facilitator.cli;

import io.attest402.contracts.chain.Deployment;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.Facilitator;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorServer;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.key.DataDirKeyStore;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.enclave.EnclaveIdentity;
import io.attest402.enclave.tee.TeeBackends;
import io.attest402.enclave.tee.TeeException;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.facilitator.store.SqliteSettlementStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attest402 facilitator}: serves {@code /verify}, {@code /settle}, {@code /supported},
 * {@code /settlements/{id}}, {@code /receipts}, {@code /health} and {@code /metrics} until SIGTERM or SIGINT, then
 * shuts down gracefully. Prints the listening URL and the facilitator address on stdout; logs go to stderr.
 */
@Command(name = "facilitator", mixinStandardHelpOptions = true,
    description = "Runs the x402 facilitator (verify, settle, settlement status, receipts, metrics).")
public final class FacilitatorCommand implements Callable<Integer> {

  @Option(names = "--deployment", required = true, paramLabel = "FILE",
      description = "deployment.json: the network, its RPC URL and the USDC asset (dev accounts fund gas)")
  Path deployment;

  @Option(names = "--networks", paramLabel = "FILE",
      description = "optional JSON file of further networks: {\"networks\":[{\"network\",\"rpcUrl\",\"assets\":[...]}]}")
  Path networksFile;

  @Option(names = "--port", defaultValue = "4020", description = "HTTP port (0 = any free port; default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "interface to bind (default ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--data-dir", defaultValue = "./data/facilitator", paramLabel = "DIR",
      description = "settlement journal and (without a TEE) the key file (default ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--tee", defaultValue = "auto", paramLabel = "auto|gramine|tdx|simulated",
      description = "TEE holding the key; auto without a TEE falls back to a plain key file in the data dir, "
          + "loudly (default ${DEFAULT-VALUE})")
  String tee;

  @Option(names = "--receipt-timeout", defaultValue = "20", paramLabel = "SECONDS",
      description = "receipt wait per /settle before answering settlement_pending (default ${DEFAULT-VALUE})")
  double receiptTimeoutSeconds;

  @Option(names = "--replace-after", defaultValue = "30", paramLabel = "SECONDS",
      description = "replace a transaction unmined this long with bumped fees (default ${DEFAULT-VALUE})")
  double replaceAfterSeconds;

  @Option(names = "--rpc-timeout", defaultValue = "10", paramLabel = "SECONDS",
      description = "bound of one JSON-RPC call (default ${DEFAULT-VALUE})")
  double rpcTimeoutSeconds;

  @Option(names = "--poll-interval-ms", defaultValue = "250", hidden = true)
  long pollIntervalMs;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String mode = tee.trim().toLowerCase(java.util.Locale.ROOT);
    if (!java.util.Set.of("auto", "gramine", "tdx", "simulated").contains(mode)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--tee must be auto, gramine, tdx or simulated, not " + tee);
    }
    NetworksConfig networks = NetworksConfig.fromDeployment(Deployment.read(deployment));
    if (networksFile != null) {
      networks = networks.overlay(NetworksConfig.read(networksFile));
    }
    FacilitatorOptions options = FacilitatorOptions.defaults()
        .withReceiptWait(seconds(receiptTimeoutSeconds))
        .withReplaceAfter(seconds(replaceAfterSeconds))
        .withRpcTimeout(seconds(rpcTimeoutSeconds))
        .withPollInterval(Duration.ofMillis(Math.max(10, pollIntervalMs)));
    Clock clock = Clock.systemUTC();
    EnclaveKey key = key(mode, out, err, clock);

    for (NetworkConfig n : networks.networks()) {
      try {
        DevFunding.Result f = DevFunding.fundIfEmpty(n, key.address(), options.rpcTimeout());
        if (f.funded()) {
          out.println("funded facilitator " + key.address() + " with " + DevFunding.AMOUNT_ETH
              + " ETH on " + n.network() + " from the dev deployer account (tx " + f.txHash() + ")");
        } else if (f.balanceBefore().signum() == 0) {
          out.println("facilitator account " + key.address() + " has no gas on " + n.network()
              + ": fund it to settle; verify works meanwhile");
        }
      } catch (Exception e) {
        err.println("attest402 facilitator: cannot check or fund gas on " + n.network() + " (" + e.getMessage()
            + "); settling there needs the account funded");
      }
    }

    SqliteSettlementStore store = SqliteSettlementStore.open(dataDir.resolve("settlements.db"), clock);
    Facilitator facilitator = Facilitator.create(networks, key, store, clock, options, SignedReceiptIssuer.of(key),
        new FacilitatorMetrics());
    FacilitatorServer server = new FacilitatorServer(facilitator, options, host, port);
    CountDownLatch stopped = new CountDownLatch(1);
    int bound = server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      err.println("attest402 facilitator: shutting down (in-flight settlements finish or stay journaled)");
      err.flush();
      server.stop();
      stopped.countDown();
    }, "facilitator-shutdown"));
    String shownHost = host.equals("0.0.0.0") ? "127.0.0.1" : host;
    out.println("attest402 facilitator listening on http://" + shownHost + ":" + bound);
    out.println("facilitator address " + key.address());
    out.println("networks " + String.join(", ", networks.names()) + "; journal " + dataDir.resolve("settlements.db"));
    out.flush();
    stopped.await();
    return 0;
  }

  /**
   * The settlement and receipt key: from the TEE identity (sealed where the backend seals); with {@code --tee auto}
   * on a machine without a TEE, the plain key file in the data directory, loudly.
   */
  private EnclaveKey key(String mode, PrintWriter out, PrintWriter err, Clock clock) throws Exception {
    TeeBackends.Options teeOptions = TeeBackends.Options.defaults(dataDir).withClock(clock);
    try {
      EnclaveIdentity identity = EnclaveIdentity.startVerified(mode, teeOptions, null);
      out.println("enclave identity: " + identity.backend().teeType() + (identity.simulated()
          ? " (SIMULATED: no hardware protects the key)" : "") + ", " + identity.backend().sealingDescription());
      return identity.key();
    } catch (TeeException e) {
      if (!mode.equals("auto")) {
        throw new IllegalStateException("--tee " + mode + ": " + e.getMessage(), e);
      }
      err.println("WARNING: ============================================================================");
      err.println("WARNING: --tee auto found no TEE (" + e.getMessage() + ").");
      err.println("WARNING: The settlement and receipt key is the PLAIN FILE " + dataDir.resolve(DataDirKeyStore.FILE));
      err.println("WARNING: with no hardware protection. Do not use it with real funds; use --tee simulated for a");
      err.println("WARNING: simulated attestation, or run inside Gramine-SGX or a TDX guest.");
      err.println("WARNING: ============================================================================");
      err.flush();
      return DataDirKeyStore.loadOrCreate(dataDir, new SecureRandom());
    }
  }

  private static Duration seconds(double s) {
    if (!(s > 0)) {
      throw new IllegalArgumentException("durations must be positive seconds, not " + s);
    }
    return Duration.ofMillis(Math.round(s * 1000));
  }

  /** Runs the command on its own (child-process tests; the launcher registers the command as a subcommand). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new FacilitatorCommand()).execute(args));
  }
}
