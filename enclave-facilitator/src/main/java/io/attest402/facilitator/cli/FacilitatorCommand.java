package io.attest402.facilitator.cli;

import io.attest402.contracts.chain.Deployment;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorNode;
import io.attest402.facilitator.config.NetworksConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
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
      description = "settlement journal, sealed key, ERC-8004 identity state (default ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(names = "--tee", defaultValue = "auto", paramLabel = "auto|gramine|tdx|simulated",
      description = "TEE that holds the key: auto picks Gramine, then TDX, and refuses to start without either; "
          + "simulated is for development and says so everywhere (default ${DEFAULT-VALUE})")
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

  @Option(names = "--public-url", paramLabel = "URL",
      description = "URL payers reach this facilitator at, as registered in ERC-8004 (default http://HOST:PORT)")
  String publicUrl;

  @Option(names = "--validator", paramLabel = "ADDRESS",
      description = "TEE validator to ask for a tee-attestation validation (repeatable; once per key)")
  java.util.List<String> validators = new java.util.ArrayList<>();

  @Option(names = "--pccs", paramLabel = "URL",
      description = "PCS or PCCS (Intel PCS v4 API) to fetch the collateral for this facilitator's own quote from, at "
          + "start and before it expires; served in /attestation (default: Intel PCS "
          + "https://api.trustedservices.intel.com; --tee simulated needs bin/attest402 simulated-pcs)")
  java.net.URI pccs;

  @Option(names = "--no-register", description = "do not register an ERC-8004 identity")
  boolean noRegister;

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
    Deployment d = Deployment.read(deployment);
    NetworksConfig networks = NetworksConfig.fromDeployment(d);
    if (networksFile != null) {
      networks = networks.overlay(NetworksConfig.read(networksFile));
    }
    FacilitatorOptions options = FacilitatorOptions.defaults()
        .withReceiptWait(seconds(receiptTimeoutSeconds))
        .withReplaceAfter(seconds(replaceAfterSeconds))
        .withRpcTimeout(seconds(rpcTimeoutSeconds))
        .withPollInterval(Duration.ofMillis(Math.max(10, pollIntervalMs)));
    FacilitatorNode node = FacilitatorNode.start(new FacilitatorNode.Config(d, networks, host, port, publicUrl,
        dataDir, mode, options, !noRegister, validators, pccs,
        networksFile == null ? java.util.List.of(deployment) : java.util.List.of(deployment, networksFile)),
        Clock.systemUTC(), out, err);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      err.println("attest402 facilitator: shutting down (in-flight settlements finish or stay journaled)");
      err.flush();
      node.close();
      stopped.countDown();
    }, "facilitator-shutdown"));
    out.println("attest402 facilitator listening on " + node.url());
    out.println("facilitator address " + node.address());
    out.println("networks " + String.join(", ", networks.names()) + "; journal " + dataDir.resolve("settlements.db"));
    out.flush();
    stopped.await();
    return 0;
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
