package io.attest402.demo.cli;

import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.cli.KeyFiles;
import java.nio.file.Path;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Model.CommandSpec;

/** A command's signing key: from a key file, or a dev account of the deployment file by role. */
final class Keys {
  private Keys() {}

  static Credentials resolve(CommandSpec spec, Deployment deployment, Path keyFile, String role) {
    if (keyFile != null) {
      return KeyFiles.read(spec, "--key-file", keyFile);
    }
    if (deployment.accounts() == null || !deployment.accounts().containsKey(role)) {
      throw new IllegalArgumentException(
          "no --key-file given and the deployment file has no '"
              + role
              + "' dev account (only dev chains carry keys)");
    }
    return deployment.account(role).credentials();
  }
}
