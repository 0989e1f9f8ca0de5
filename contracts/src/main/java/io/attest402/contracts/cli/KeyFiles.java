package io.attest402.contracts.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.WalletUtils;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Reading a signing key from a {@code --key-file} (or {@code --wallet-key-file}) option, the same
 * way in every command: 32 bytes of hex, {@code 0x} optional, surrounding whitespace ignored; a
 * usage error naming the option otherwise.
 */
public final class KeyFiles {
  private KeyFiles() {}

  /**
   * The key in {@code file}, given as {@code option}.
   *
   * @throws ParameterException when the file is not readable or holds no hex private key
   */
  public static Credentials read(CommandSpec spec, String option, Path file) {
    String hex;
    try {
      hex = Files.readString(file).trim();
    } catch (IOException e) {
      throw new ParameterException(
          spec.commandLine(), option + " " + file + " is not a readable file");
    }
    if (!WalletUtils.isValidPrivateKey(hex)) {
      throw new ParameterException(
          spec.commandLine(), option + " " + file + " does not hold a 32-byte hex private key");
    }
    return Credentials.create(hex);
  }
}
