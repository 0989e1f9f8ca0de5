package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.cli.DeploymentOption;
import io.attest402.contracts.cli.KeyFiles;
import io.attest402.contracts.cli.SignerOption;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.erc8004.reputation.PaymentProofVerifier;
import io.attest402.erc8004.reputation.ReputationService;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Set;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.WalletUtils;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Options every registry command shares: the deployment, who signs, output format, file resolution.
 */
public final class Common {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--deployment",
      paramLabel = "FILE",
      defaultValue = "deployment.json",
      description = "Deployment file (default: ${DEFAULT-VALUE}).")
  Path deploymentFile;

  @Option(
      names = "--rpc",
      paramLabel = "URL",
      description = "JSON-RPC URL (default: the deployment's rpcUrl).")
  String rpc;

  @Mixin SignerOption signer;

  @Option(names = "--json", description = "Print one JSON object on stdout.")
  boolean json;

  @Option(
      names = "--ipfs-gateway",
      paramLabel = "URL",
      defaultValue = UriResolver.DEFAULT_IPFS_GATEWAY,
      description = "Gateway for ipfs:// URIs (default: ${DEFAULT-VALUE}).")
  String ipfsGateway;

  @Option(
      names = "--allow-http-loopback",
      negatable = true,
      description =
          "Fetch http:// URLs on loopback (default: on for dev deployments that carry accounts).")
  Boolean allowHttpLoopback;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where the event index lives (default: .attest402/registry-<chainId> in the current directory).")
  Path dataDir;

  @Option(
      names = "--from-block",
      paramLabel = "N",
      defaultValue = "0",
      description = "First block to index / read events from (default: ${DEFAULT-VALUE}).")
  long fromBlock;

  @Option(
      names = "--confirmations",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Blocks on top before an event is indexed (default: ${DEFAULT-VALUE}; use more on public chains).")
  int confirmations;

  private Deployment deployment;
  private Erc8004Client client;

  Deployment deployment() {
    if (deployment == null) {
      Deployment d = DeploymentOption.read(spec, "--deployment", deploymentFile);
      deployment = rpc == null ? d : d.withRpcUrl(rpc);
    }
    return deployment;
  }

  Erc8004Client client() {
    if (client == null) {
      client =
          new Erc8004Client(
              Web3j.build(new HttpService(deployment().rpcUrl())),
              RegistryAddresses.fromDeployment(deployment()));
    }
    return client;
  }

  /** The signer from --key-file or --account; a usage error when neither is given. */
  Credentials credentials() {
    return signer.credentials(deployment(), "this command sends a transaction");
  }

  Credentials readKey(Path file, String option) {
    return KeyFiles.read(spec, option, file);
  }

  /** An address given as 0x... or as a dev account role. */
  String address(String addressOrRole, String option) {
    if (addressOrRole.startsWith("0x") && WalletUtils.isValidAddress(addressOrRole)) {
      return addressOrRole;
    }
    try {
      return deployment().account(addressOrRole).address();
    } catch (IllegalStateException e) {
      throw new ParameterException(
          spec.commandLine(),
          option + " " + addressOrRole + " is neither an address nor a dev account role");
    }
  }

  Erc8004Client signed() {
    return client().withSigner(credentials());
  }

  UriResolver resolver() {
    boolean loopback =
        allowHttpLoopback != null
            ? allowHttpLoopback
            : deployment().accounts() != null && !deployment().accounts().isEmpty();
    return UriResolver.builder()
        .ipfsGateway(ipfsGateway)
        .allowHttpLoopback(loopback)
        .maxBytes(1 << 20)
        .build();
  }

  RegistryIndexer indexer() {
    Path dir =
        dataDir != null ? dataDir : Path.of(".attest402", "registry-" + deployment().chainId());
    return new RegistryIndexer(
        client().rpc(),
        client().addresses(),
        dir,
        RegistryIndexer.Options.defaults()
            .withStartBlock(fromBlock)
            .withConfirmations(confirmations),
        resolver());
  }

  ReputationService reputation() {
    return new ReputationService(client(), resolver(), proofs(), fromBlock);
  }

  PaymentProofVerifier proofs() {
    return new PaymentProofVerifier(
        client().rpc(), Set.of(deployment().contracts().usdc()), 1, BigInteger.ONE);
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  void emit(ObjectNode o, Runnable human) {
    if (json) {
      out().println(Json.write(o));
    } else {
      human.run();
    }
    out().flush();
  }

  void close() {
    if (client != null) {
      client.shutdown();
    }
  }
}
