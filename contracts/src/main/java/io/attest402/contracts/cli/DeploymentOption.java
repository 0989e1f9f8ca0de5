package io.attest402.contracts.cli;

import io.attest402.contracts.chain.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --deployment FILE} option every command that works on a chain shares (facilitator,
 * audit, provider, agent; {@code @Mixin DeploymentOption deployment;}): the deployment file, read
 * once, a usage error when it is not a readable file.
 */
public final class DeploymentOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--deployment",
      required = true,
      paramLabel = "FILE",
      description =
          "deployment.json of the chain: its network, RPC URL and contracts, and on dev chains the"
              + " dev accounts (`bin/attest402 chain` or `deploy` writes one).")
  Path file;

  private Deployment read;

  /** The file as given. */
  public Path file() {
    return file;
  }

  /**
   * The deployment the file holds.
   *
   * @throws ParameterException when it is not a readable file
   */
  public Deployment deployment() {
    if (read == null) {
      read = read(spec, "--deployment", file);
    }
    return read;
  }

  /** Reads the deployment file {@code file} given as {@code option}; a usage error when absent. */
  public static Deployment read(CommandSpec spec, String option, Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new ParameterException(
          spec.commandLine(),
          option
              + " "
              + file
              + " is not a readable file (`bin/attest402 chain` or `deploy` writes one)");
    }
    return Deployment.read(file);
  }
}
