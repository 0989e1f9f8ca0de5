package io.attest402.contracts.cli;

import java.nio.file.Path;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --key-file FILE} option of every command that signs ({@code deploy} directly, the
 * others through {@link SignerOption}; {@code @Mixin KeyFileOption keyFile;}): the key read the
 * {@link KeyFiles} way, a usage error naming the option when it is unreadable or not a key.
 */
public final class KeyFileOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      description = "File holding the signer's private key (hex, 0x optional).")
  Path file;

  /** Whether {@code --key-file} was given. */
  public boolean given() {
    return file != null;
  }

  /**
   * The key in the file.
   *
   * @param why what the command signs, for the usage error when the option is absent
   * @throws ParameterException when the option is absent or the file holds no key
   */
  public Credentials credentials(String why) {
    if (file == null) {
      throw new ParameterException(spec.commandLine(), why + ": give --key-file FILE");
    }
    return KeyFiles.read(spec, "--key-file", file);
  }
}
