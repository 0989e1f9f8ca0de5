package io.attest402.cli;

import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployment;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attest402 chain}: a local dev chain with every contract deployed, until interrupted. */
@Command(
    name = "chain",
    mixinStandardHelpOptions = true,
    description =
        "Start anvil, deploy all contracts, fund the dev accounts, write the deployment file; "
            + "runs until interrupted.")
public final class ChainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "8545",
      description = "RPC port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--out",
      defaultValue = "deployment.json",
      description = "Where to write the deployment file (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    long started = System.nanoTime();
    spec.commandLine()
        .getErr()
        .println("starting anvil on 127.0.0.1:" + port + " and deploying contracts...");
    Chain chain = Chain.start(Anvil.Options.defaults().port(port));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  chain.close();
                  stopped.countDown();
                },
                "chain-shutdown"));
    Deployment d = chain.deployment();
    String multicall = chain.placeMulticall3().orElse(null);
    d.write(out);
    stdout.printf(
        "chain %s at %s (ready in %d ms)%n",
        d.network(), d.rpcUrl(), (System.nanoTime() - started) / 1_000_000);
    stdout.printf("  TestUSDC            %s%n", d.contracts().usdc());
    stdout.printf("  IdentityRegistry    %s%n", d.contracts().identityRegistry());
    stdout.printf("  ReputationRegistry  %s%n", d.contracts().reputationRegistry());
    stdout.printf("  ValidationRegistry  %s%n", d.contracts().validationRegistry());
    stdout.printf(
        "  TestPermitToken     %s (EIP-2612, no EIP-3009: pays by Permit2)%n",
        d.contracts().permitToken());
    stdout.printf(
        "  TestPlainToken      %s (neither EIP-3009 nor EIP-2612: Permit2 after an approval)%n",
        d.contracts().plainToken());
    stdout.printf("  Permit2             %s (canonical address)%n", Chain.PERMIT2);
    stdout.printf("  x402 exact proxy    %s (canonical address)%n", Chain.X402_EXACT_PERMIT2_PROXY);
    stdout.printf("  x402 upto proxy     %s (canonical address)%n", Chain.X402_UPTO_PERMIT2_PROXY);
    if (multicall != null) {
      stdout.printf(
          "  Multicall3          %s (at its canonical address, as on public chains)%n", multicall);
    }
    d.accounts()
        .forEach((role, a) -> stdout.printf("  %-19s %s (dev key, public)%n", role, a.address()));
    stdout.printf("deployment written to %s; Ctrl-C stops the chain%n", out.toAbsolutePath());
    stdout.flush();
    stopped.await();
    return 0;
  }
}
