package io.attest402.demo.cli;

import io.attest402.contracts.chain.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.WalletUtils;

/** A command's signing key: from a key file, or a dev account of the deployment file by role. */
final class Keys {
  private Keys() {}

  static Credentials resolve(Deployment deployment, Path keyFile, String role) {
    if (keyFile != null) {
      String hex;
      try {
        hex = Files.readString(keyFile).trim();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read --key-file " + keyFile + ": " + e.getMessage());
      }
      if (!WalletUtils.isValidPrivateKey(hex)) {
        throw new IllegalArgumentException(
            "--key-file " + keyFile + " does not hold a 32-byte hex private key");
      }
      return Credentials.create(hex);
    }
    if (deployment.accounts() == null || !deployment.accounts().containsKey(role)) {
      throw new IllegalArgumentException(
          "no --key-file given and the deployment file has no '"
              + role
              + "' dev account (only dev chains carry keys)");
    }
    return deployment.account(role).credentials();
  }

  static Deployment deployment(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          "--deployment " + file + " does not exist (bin/attest402 chain writes one)");
    }
    return Deployment.read(file);
  }
}
