package io.attest402.cli;

import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.cli.KeyFileOption;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attest402 deploy}: our contracts onto any EVM chain. */
@Command(
    name = "deploy",
    mixinStandardHelpOptions = true,
    description =
        "Deploy TestUSDC and the ERC-8004 registries to any EVM chain and write the deployment file."
            + " The --key-file's account (required) deploys them and pays the gas.")
public final class DeployCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--rpc", required = true, description = "JSON-RPC URL of the chain.")
  String rpc;

  @Mixin KeyFileOption keyFile;

  @Option(
      names = "--out",
      defaultValue = "deployment.json",
      description = "Where to write the deployment file (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    Credentials deployer = keyFile.credentials("deploy signs the deployment transactions");
    Web3j web3j = Web3j.build(new HttpService(rpc));
    try {
      long chainId;
      try {
        chainId = web3j.ethChainId().send().getChainId().longValueExact();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(
            "cannot reach the RPC at " + rpc + ": " + e.getMessage(), e);
      }
      BigInteger balance =
          web3j
              .ethGetBalance(
                  deployer.getAddress(), org.web3j.protocol.core.DefaultBlockParameterName.LATEST)
              .send()
              .getBalance();
      if (balance.signum() == 0) {
        throw new IllegalStateException(
            "deployer "
                + deployer.getAddress()
                + " has no ETH on chain "
                + chainId
                + " to pay for gas");
      }
      spec.commandLine()
          .getErr()
          .printf("deploying from %s to chain %d...%n", deployer.getAddress(), chainId);
      Deployment d = new Deployer(web3j, deployer, chainId).deployAll(rpc);
      d.write(out);
      spec.commandLine().getOut().print(d.toJson());
      spec.commandLine().getOut().flush();
      spec.commandLine().getErr().println("deployment written to " + out.toAbsolutePath());
      return 0;
    } finally {
      web3j.shutdown();
    }
  }
}
