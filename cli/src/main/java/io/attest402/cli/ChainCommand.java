package io.attest402.cli;

import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.NodeScript;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attest402 chain}: a local dev chain with every contract deployed, until interrupted. */
@Command(name = "chain", mixinStandardHelpOptions = true,
    description = "Start anvil, deploy all contracts, fund the dev accounts, write the deployment file; "
        + "runs until interrupted.")
public final class ChainCommand implements Callable<Integer> {
  @Option(names = "--port", defaultValue = "8545", description = "RPC port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--out", defaultValue = "deployment.json",
      description = "Where to write the deployment file (default: ${DEFAULT-VALUE}).")
  Path out;

  /**
   * Multicall3 at its canonical address, so tools that diagnose through it (the official x402 facilitator does)
   * behave as on public chains. Optional: without it they fall back to generic errors, so a failure only warns.
   */
  private static String placeMulticall3(Deployment d) {
    try (NodeScript script = NodeScript.start("install-multicall3.mjs", List.of(), Map.of("RPC_URL", d.rpcUrl(),
        "CHAIN_ID", Long.toString(d.chainId()), "PRIVATE_KEY", d.account("deployer").privateKey()),
        Duration.ofSeconds(60))) {
      return script.ready().path("address").asText();
    } catch (RuntimeException e) {
      System.err.println("warning: Multicall3 not placed (" + e.getMessage().lines().findFirst().orElse("")
          + "); the official facilitator's diagnostics will be generic on this chain");
      return null;
    }
  }

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    System.err.println("starting anvil on 127.0.0.1:" + port + " and deploying contracts...");
    Chain chain = Chain.start(Anvil.Options.defaults().port(port));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      chain.close();
      stopped.countDown();
    }, "chain-shutdown"));
    Deployment d = chain.deployment();
    String multicall = placeMulticall3(d);
    d.write(out);
    System.out.printf("chain %s at %s (ready in %d ms)%n", d.network(), d.rpcUrl(),
        (System.nanoTime() - started) / 1_000_000);
    System.out.printf("  TestUSDC            %s%n", d.contracts().usdc());
    System.out.printf("  IdentityRegistry    %s%n", d.contracts().identityRegistry());
    System.out.printf("  ReputationRegistry  %s%n", d.contracts().reputationRegistry());
    System.out.printf("  ValidationRegistry  %s%n", d.contracts().validationRegistry());
    if (multicall != null) {
      System.out.printf("  Multicall3          %s (at its canonical address, as on public chains)%n", multicall);
    }
    d.accounts().forEach((role, a) -> System.out.printf("  %-19s %s (dev key, public)%n", role, a.address()));
    System.out.printf("deployment written to %s; Ctrl-C stops the chain%n", out.toAbsolutePath());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
