package io.attest402.facilitator.cli;

import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.cli.DeploymentOption;
import io.attest402.facilitator.FacilitatorNode;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.anchor.AnchorOptions;
import io.attest402.facilitator.config.NetworksConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code attest402 facilitator}: serves {@code /verify}, {@code /settle}, {@code /supported},
 * {@code /settlements/{id}}, {@code /receipts}, {@code /health} and {@code /metrics} until SIGTERM
 * or SIGINT, then shuts down gracefully. Prints the listening URL and the facilitator address on
 * stdout; logs go to stderr.
 */
@Command(
    name = "facilitator",
    mixinStandardHelpOptions = true,
    description =
        "Runs the x402 facilitator (verify, settle, settlement status, receipts, metrics).")
public final class FacilitatorCommand implements Callable<Integer> {

  @Mixin DeploymentOption deployment;

  @Option(
      names = "--networks",
      paramLabel = "FILE",
      description =
          "optional JSON file of further networks: {\"networks\":[{\"network\",\"rpcUrl\",\"assets\":[...]}]}")
  Path networksFile;

  @Option(
      names = "--port",
      defaultValue = "4020",
      description = "HTTP port (0 = any free port; default ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description = "interface to bind (default ${DEFAULT-VALUE})")
  String host;

  @Option(
      names = "--data-dir",
      defaultValue = "./data/facilitator",
      paramLabel = "DIR",
      description =
          "settlement journal, sealed key, ERC-8004 identity state (default ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--store",
      paramLabel = "postgresql://USER@HOST:PORT/DB",
      description =
          "settlement journal in a PostgreSQL database shared by replicas, or sqlite (the default: SQLite in"
              + " --data-dir, one facilitator; --store-password-file is then not read);"
              + " the password comes from --store-password-file or $ATTEST402_STORE_PASSWORD, never the URL")
  String store;

  @Option(
      names = "--store-password-file",
      paramLabel = "FILE",
      description = "file whose first line is the --store database password")
  Path storePasswordFile;

  @Option(
      names = "--lease-seconds",
      defaultValue = "10",
      paramLabel = "S",
      description =
          "with --store: how long a replica's signer lease lasts without its heartbeat; a live replica"
              + " takes a dead one's settlements over (reads receipts, re-broadcasts, never re-signs) that"
              + " long after it stopped (default ${DEFAULT-VALUE})")
  int leaseSeconds;

  @Option(
      names = "--signers",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "secp256k1 signers born in the enclave, all bound in the quote; settlements are spread over"
              + " them by load, each with its own nonces (fixed for a data directory; default ${DEFAULT-VALUE})")
  int signers;

  @Option(
      names = "--tee",
      defaultValue = "auto",
      paramLabel = "auto|gramine|tdx|simulated",
      description =
          "TEE that holds the key: auto picks Gramine, then TDX, and refuses to start without either; "
              + "simulated is for development and says so everywhere (default ${DEFAULT-VALUE})")
  String tee;

  @Option(
      names = "--receipt-timeout",
      defaultValue = "20",
      paramLabel = "SECONDS",
      description =
          "receipt wait per /settle before answering settlement_pending (default ${DEFAULT-VALUE})")
  double receiptTimeoutSeconds;

  @Option(
      names = "--replace-after",
      defaultValue = "30",
      paramLabel = "SECONDS",
      description =
          "replace a transaction unmined this long with bumped fees (default ${DEFAULT-VALUE})")
  double replaceAfterSeconds;

  @Option(
      names = "--rpc-timeout",
      defaultValue = "10",
      paramLabel = "SECONDS",
      description = "bound of one JSON-RPC call (default ${DEFAULT-VALUE})")
  double rpcTimeoutSeconds;

  @Option(
      names = "--public-url",
      paramLabel = "URL",
      description =
          "URL payers reach this facilitator at, as registered in ERC-8004 (default http://HOST:PORT)")
  String publicUrl;

  @Option(
      names = "--validator",
      paramLabel = "ADDRESS",
      description =
          "TEE validator to ask for a tee-attestation validation (repeatable; once per key)")
  java.util.List<String> validators = new java.util.ArrayList<>();

  @Option(
      names = "--pccs",
      paramLabel = "URL",
      description =
          "PCS or PCCS (Intel PCS v4 API) to fetch the collateral for this facilitator's own quote from, at "
              + "start and before it expires; served in /attestation (default: Intel PCS "
              + "https://api.trustedservices.intel.com; --tee simulated needs bin/attest402 simulated-pcs)")
  java.net.URI pccs;

  @Option(names = "--no-register", description = "do not register an ERC-8004 identity")
  boolean noRegister;

  @Option(
      names = "--credential-confirmations",
      defaultValue = "2",
      paramLabel = "N",
      description =
          "POST /credentials: confirmations a payer's own transfer needs before it buys a credential "
              + "(default ${DEFAULT-VALUE})")
  int credentialConfirmations;

  @Option(
      names = "--credential-ttl",
      defaultValue = "300",
      paramLabel = "SECONDS",
      description = "lifetime of an issued credential, at most 3600 (default ${DEFAULT-VALUE})")
  long credentialTtlSeconds;

  @Option(
      names = "--verify-batch-ms",
      defaultValue = "0",
      paramLabel = "MS",
      description =
          "concurrent verifications share one isolated batch eth_call per window of MS "
              + "milliseconds, with the same answers (for a remote RPC, e.g. 2; 0 = every eth_call on its own; default "
              + "${DEFAULT-VALUE})")
  long verifyBatchMs;

  @Option(
      names = "--anchor-every",
      defaultValue = "100",
      paramLabel = "N",
      description =
          "anchor the receipt-chain head in SettlementLog after N new receipts (0 = by time only; "
              + "default ${DEFAULT-VALUE})")
  int anchorEvery;

  @Option(
      names = "--anchor-interval",
      defaultValue = "600",
      paramLabel = "SECONDS",
      description =
          "anchor at least this often while there are new receipts; also at start and shutdown "
              + "(default ${DEFAULT-VALUE})")
  double anchorIntervalSeconds;

  @Option(
      names = "--no-anchor",
      description =
          "neither anchor receipts nor check the journal against the anchor "
              + "(rollbacks and forks go unnoticed)")
  boolean noAnchor;

  @Option(
      names = "--max-gas-per-settlement",
      defaultValue = "200000",
      paramLabel = "GAS",
      description =
          "hard gas cap of one settlement, enforced in verify's simulation and before sending "
              + "(default ${DEFAULT-VALUE})")
  long maxGasPerSettlement;

  @Option(
      names = "--min-amount",
      defaultValue = "1",
      paramLabel = "BASE_UNITS",
      description =
          "smallest amount settled, token base units, for assets without their own minAmount in the "
              + "networks file (default ${DEFAULT-VALUE})")
  java.math.BigInteger minAmount;

  @Option(
      names = "--max-fee-gwei",
      defaultValue = "500",
      paramLabel = "GWEI",
      description = "cap of maxFeePerGas and of the legacy gas price (default ${DEFAULT-VALUE})")
  java.math.BigDecimal maxFeeGwei;

  @Option(
      names = "--max-priority-fee-gwei",
      defaultValue = "10",
      paramLabel = "GWEI",
      description = "cap of the priority fee (default ${DEFAULT-VALUE})")
  java.math.BigDecimal maxPriorityFeeGwei;

  @Option(
      names = "--max-tip-per-base-fee",
      defaultValue = "10",
      paramLabel = "K",
      description =
          "the priority fee is at most K times the base fee; 0: no such bound (default ${DEFAULT-VALUE})")
  int maxTipPerBaseFee;

  @Option(
      names = "--payer-rate",
      defaultValue = "60",
      paramLabel = "PER_MINUTE",
      description =
          "new settlements per payer and minute; past it 503 with Retry-After; 0: unbounded "
              + "(default ${DEFAULT-VALUE})")
  int payerRate;

  @Option(
      names = "--pay-to-rate",
      defaultValue = "600",
      paramLabel = "PER_MINUTE",
      description = "new settlements per payTo and minute; 0: unbounded (default ${DEFAULT-VALUE})")
  int payToRate;

  @Option(
      names = "--gas-budget-per-hour",
      defaultValue = "100000000",
      paramLabel = "GAS",
      description =
          "gas the facilitator spends per network and hour at most; 0: unbounded (default ${DEFAULT-VALUE})")
  long gasBudgetPerHour;

  @Option(
      names = "--allow-pay-to",
      paramLabel = "ADDRESS",
      description = "serve only this payTo (repeatable; default: any)")
  java.util.List<String> allowPayTo = new java.util.ArrayList<>();

  @Option(
      names = "--api-keys",
      paramLabel = "FILE",
      description =
          "require an API key (X-API-Key or Authorization: Bearer) on /verify and /settle: one "
              + "'<sha256 hex of the key> verify,settle' line per key")
  Path apiKeysFile;

  @Option(
      names = "--log-payments",
      description =
          "log payer, payTo and amount of each settlement (default: a settlement id only)")
  boolean logPayments;

  @Option(names = "--poll-interval-ms", defaultValue = "250", hidden = true)
  long pollIntervalMs;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String mode = tee.trim().toLowerCase(java.util.Locale.ROOT);
    if (!java.util.Set.of("auto", "gramine", "tdx", "simulated").contains(mode)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--tee must be auto, gramine, tdx or simulated, not " + tee);
    }
    if (signers < 1 || signers > io.attest402.enclave.KeyBinding.MAX_SIGNERS) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--signers must be between 1 and "
              + io.attest402.enclave.KeyBinding.MAX_SIGNERS
              + ", not "
              + signers);
    }
    io.attest402.facilitator.store.SettlementStores.Postgres journal = null;
    if (store != null && !"sqlite".equals(store)) {
      try {
        journal =
            io.attest402.facilitator.store.SettlementStores.postgres(
                    store, storePasswordFile, System.getenv())
                .withLeaseTtl(Duration.ofSeconds(leaseSeconds));
        if (leaseSeconds < 2 || leaseSeconds > 3600) {
          throw new IllegalArgumentException(
              "--lease-seconds must be between 2 and 3600, not " + leaseSeconds);
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    } else if (storePasswordFile != null && store == null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--store-password-file needs --store");
    }
    Deployment d = deployment.deployment();
    NetworksConfig networks = NetworksConfig.fromDeployment(d);
    if (networksFile != null) {
      networks = networks.overlay(NetworksConfig.read(networksFile));
    }
    FacilitatorOptions options =
        FacilitatorOptions.builder()
            .receiptWait(seconds(receiptTimeoutSeconds))
            .replaceAfter(seconds(replaceAfterSeconds))
            .rpcTimeout(seconds(rpcTimeoutSeconds))
            .pollInterval(Duration.ofMillis(Math.max(10, pollIntervalMs)))
            .limits(limits())
            .verifyBatchWindow(Duration.ofMillis(Math.max(0, verifyBatchMs)))
            .build();
    io.attest402.facilitator.credential.CredentialOptions credentials;
    AnchorOptions anchors;
    try {
      credentials =
          new io.attest402.facilitator.credential.CredentialOptions(
              credentialConfirmations, Duration.ofSeconds(credentialTtlSeconds));
      anchors =
          noAnchor
              ? AnchorOptions.disabled()
              : AnchorOptions.defaults()
                  .withEvery(anchorEvery)
                  .withInterval(seconds(anchorIntervalSeconds));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    // A simulated TEE reports what this process runs as MRENCLAVE (see MeasuredLaunch; `measure`
    // predicts it).
    io.attest402.enclave.tee.CodeMeasurement measured =
        io.attest402.enclave.tee.CodeMeasurement.of(
            io.attest402.enclave.tee.CodeMeasurement.codeOf(FacilitatorCommand.class),
            MeasuredLaunch.configuration(
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments(),
                spec));
    FacilitatorNode node =
        FacilitatorNode.start(
            new FacilitatorNode.Config(
                d,
                networks,
                host,
                port,
                publicUrl,
                dataDir,
                mode,
                options,
                !noRegister,
                validators,
                pccs,
                networksFile == null
                    ? java.util.List.of(deployment.file())
                    : java.util.List.of(deployment.file(), networksFile),
                journal,
                signers),
            anchors,
            credentials,
            Clock.systemUTC(),
            out,
            err,
            measured.mrEnclave());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  err.println(
                      "attest402 facilitator: shutting down (in-flight settlements finish or stay journaled)");
                  err.flush();
                  node.close();
                  stopped.countDown();
                },
                "facilitator-shutdown"));
    out.println("attest402 facilitator listening on " + node.url());
    out.println("facilitator address " + node.address());
    if (signers > 1) {
      out.println(
          "settlement signers "
              + node.identity().signers().stream()
                  .map(io.attest402.enclave.EnclaveKey::address)
                  .toList());
    }
    io.attest402.enclave.tee.Measurement m = node.identity().measurement();
    out.println(
        "measurement "
            + (m.mrEnclave() != null ? "MRENCLAVE " + m.mrEnclave() : "MRTD " + m.mrTd())
            + (node.identity().simulated()
                ? " (simulated: this artifact and configuration; `attest402 measure` "
                    + "predicts it)"
                : ""));
    out.println(
        "networks "
            + String.join(", ", networks.names())
            + "; journal "
            + io.attest402.facilitator.store.SettlementStores.describe(journal, dataDir));
    out.flush();
    stopped.await();
    return 0;
  }

  private io.attest402.facilitator.SettleLimits limits() {
    for (String a : allowPayTo) {
      if (!io.attest402.x402.evm.Addresses.isAddress(a)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--allow-pay-to: not an address: " + a);
      }
    }
    try {
      return io.attest402.facilitator.SettleLimits.builder()
          .maxGasPerSettlement(maxGasPerSettlement)
          .minAmount(minAmount)
          .maxFeePerGas(gwei(maxFeeGwei))
          .maxPriorityFeePerGas(gwei(maxPriorityFeeGwei))
          .maxTipPerBaseFee(maxTipPerBaseFee)
          .settlesPerPayerPerMinute(payerRate)
          .settlesPerPayToPerMinute(payToRate)
          .gasBudgetPerHour(gasBudgetPerHour)
          .allowedPayTo(java.util.Set.copyOf(allowPayTo))
          .logPayments(logPayments)
          .apiKeys(
              apiKeysFile == null
                  ? io.attest402.facilitator.ApiKeys.none()
                  : io.attest402.facilitator.ApiKeys.read(apiKeysFile))
          .build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private static java.math.BigInteger gwei(java.math.BigDecimal g) {
    return g.movePointRight(9).setScale(0, java.math.RoundingMode.DOWN).toBigIntegerExact();
  }

  private static Duration seconds(double s) {
    if (!(s > 0)) {
      throw new IllegalArgumentException("durations must be positive seconds, not " + s);
    }
    return Duration.ofMillis(Math.round(s * 1000));
  }

  /**
   * Runs the command on its own: the Main-Class of the enclave artifact (the launcher registers the
   * command as a subcommand). Failures print one line, as the launcher's do.
   */
  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new FacilitatorCommand());
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          Throwable t = e;
          while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
            t = t.getCause();
          }
          commandLine
              .getErr()
              .println(
                  "attest402 facilitator: "
                      + (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()));
          return 1;
        });
    System.exit(cl.execute(args));
  }
}
