package io.attest402.erc8004.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code attest402 registry}: ERC-8004 identities, reputation and validation from the command line.
 * Human output on stdout by default, one JSON object with {@code --json}; logs on stderr.
 */
@Command(
    name = "registry",
    mixinStandardHelpOptions = true,
    description =
        "ERC-8004 registries: register, show and search agents; give and read feedback; request and "
            + "answer TEE-attestation validations.",
    subcommands = {
      RegisterCommand.class,
      ShowCommand.class,
      SearchCommand.class,
      FeedbackCommand.class,
      ValidateCommand.class,
      ValidatorCommand.class,
      CommandLine.HelpCommand.class
    })
public final class RegistryCommand extends GroupCommand {}
