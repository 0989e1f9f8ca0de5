package io.attest402.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bin/attest402} launcher: one command line over every module. */
@Command(
    name = "attest402",
    mixinStandardHelpOptions = true,
    versionProvider = Attest402.BuildVersion.class,
    description =
        "Confidential x402 payment facilitator, attestation verifier, ERC-8004 registries and demo.",
    subcommands = {
      io.attest402.demo.cli.DemoCommand.class,
      ChainCommand.class,
      DeployCommand.class,
      io.attest402.facilitator.cli.FacilitatorCommand.class,
      io.attest402.audit.cli.AuditCommand.class,
      io.attest402.facilitator.cli.MeasureCommand.class,
      io.attest402.demo.cli.ProviderCommand.class,
      io.attest402.demo.cli.AgentCommand.class,
      io.attest402.verifier.cli.QuoteCommand.class,
      io.attest402.erc8004.cli.RegistryCommand.class,
      io.attest402.pcs.PcsCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Attest402 implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /**
   * The command tree with attest402's conventions: usage errors exit 2, failures print one line,
   * not a trace.
   */
  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new Attest402());
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("attest402: " + rootMessage(e));
          if (Boolean.getBoolean("attest402.debug")) {
            e.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    return cl;
  }

  /**
   * The version Maven built: {@code version.properties} is filtered with {@code project.version}.
   */
  static final class BuildVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws java.io.IOException {
      java.util.Properties p = new java.util.Properties();
      try (java.io.InputStream in = Attest402.class.getResourceAsStream("version.properties")) {
        if (in == null) {
          throw new java.io.IOException("version.properties missing from the launcher's classpath");
        }
        p.load(in);
      }
      return new String[] {"attest402 " + p.getProperty("version")};
    }
  }

  private static String rootMessage(Throwable e) {
    String msg = e.getMessage();
    Throwable t = e;
    while ((msg == null || msg.isBlank()) && t.getCause() != null) {
      t = t.getCause();
      msg = t.getMessage();
    }
    return msg == null ? e.getClass().getSimpleName() : msg;
  }
}
