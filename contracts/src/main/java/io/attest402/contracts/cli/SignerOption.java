package io.attest402.contracts.cli;

import io.attest402.contracts.chain.Deployment;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Who signs, for the commands that work on a deployment (provider, agent, the registry commands;
 * {@code @Mixin SignerOption signer;}): {@code --key-file FILE} or {@code --account ROLE}, a dev
 * account of the deployment file, never both.
 */
public final class SignerOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Mixin KeyFileOption keyFile;

  @Option(
      names = "--account",
      paramLabel = "ROLE",
      description =
          "Sign as this dev account of the deployment file (deployer, provider, agent, validator)"
              + " instead of a --key-file.")
  String account;

  /**
   * The signer given; a usage error when none is.
   *
   * @param why what the command signs, for that error
   */
  public Credentials credentials(Deployment deployment, String why) {
    Credentials given = given(deployment);
    if (given == null) {
      throw new ParameterException(
          spec.commandLine(), why + ": give --key-file FILE or --account ROLE");
    }
    return given;
  }

  /**
   * The signer given, or the deployment's {@code defaultRole} dev account when none is; a usage
   * error when the deployment has no such account (only dev chains carry keys).
   */
  public Credentials credentialsOr(Deployment deployment, String defaultRole) {
    Credentials given = given(deployment);
    return given != null
        ? given
        : role(deployment, defaultRole, "no --key-file or --account given");
  }

  private Credentials given(Deployment deployment) {
    if (keyFile.given() && account != null) {
      throw new ParameterException(spec.commandLine(), "give --key-file or --account, not both");
    }
    if (keyFile.given()) {
      return keyFile.credentials("--key-file");
    }
    return account == null ? null : role(deployment, account, "--account " + account);
  }

  private Credentials role(Deployment deployment, String role, String context) {
    if (deployment.accounts() == null || !deployment.accounts().containsKey(role)) {
      throw new ParameterException(
          spec.commandLine(),
          context
              + ": the deployment file has no '"
              + role
              + "' dev account (only dev chains carry keys)");
    }
    return deployment.account(role).credentials();
  }
}
