package io.attest402.verifier.cli;

import picocli.CommandLine.Command;

/** {@code attest402 quote}: DCAP quote tools. */
@Command(
    name = "quote",
    description = "Intel SGX/TDX DCAP quote tools.",
    mixinStandardHelpOptions = true,
    subcommands = {QuoteVerifyCommand.class})
public final class QuoteCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand (verify)");
  }
}
