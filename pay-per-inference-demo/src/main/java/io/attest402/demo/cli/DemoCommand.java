package io.attest402.demo.cli;

import io.attest402.demo.stack.DemoRun;
import io.attest402.demo.stack.LocalStack;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attest402 demo}: the whole stack locally, one paid summary, one refusal. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Everything locally: chain, contracts, facilitator (simulated TEE), TEE validator, provider; an "
            + "agent checks trust, pays for a summary, verifies the receipt and leaves feedback, then refuses an "
            + "untrustworthy provider without paying. Exit 0 when all of that happened.")
public final class DemoCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--document", description = "Document to summarize (default: a bundled article).")
  Path document;

  @Option(
      names = "--keep",
      description =
          "Keep the work directory (chain deployment, facilitator journal, "
              + "validator index) instead of deleting it.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    byte[] body;
    String type;
    String name;
    if (document != null) {
      if (!Files.isRegularFile(document)) {
        throw new IllegalArgumentException("--document " + document + " is not a file");
      }
      body = Files.readAllBytes(document);
      type = AgentCommand.contentType(document);
      name = document.getFileName().toString();
    } else {
      try (InputStream in =
          DemoCommand.class.getResourceAsStream("/io/attest402/demo/sample-article.md")) {
        body = in.readAllBytes();
      }
      type = "text/markdown";
      name = "the bundled article \"The status code that waited thirty years\"";
    }
    Path work = Files.createTempDirectory("attest402-demo");
    PrintWriter out = spec.commandLine().getOut();
    LocalStack stack = new LocalStack(work, Clock.systemUTC());
    Thread onCtrlC =
        new Thread(
            () -> {
              stack.close();
              cleanUp(work);
            },
            "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(onCtrlC);
    long started = System.nanoTime();
    boolean ok = false;
    try {
      DemoRun.Outcome outcome = new DemoRun(out, Clock.systemUTC()).run(stack, body, type, name);
      ok = outcome.ok();
    } finally {
      stack.close();
      if (!keep) {
        cleanUp(work);
      } else {
        out.println("work directory kept: " + work);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is already cleaning up
      }
    }
    out.println();
    out.printf(
        "%s in %.1f s; everything it started is stopped.%n",
        ok
            ? "demo OK: paid, summarized, receipt verified, feedback posted, untrustworthy provider refused,"
                + " failover past a stopped facilitator"
            : "demo FAILED (see above)",
        (System.nanoTime() - started) / 1e9);
    return ok ? 0 : 1;
  }

  private void cleanUp(Path work) {
    if (keep) {
      return;
    }
    try (Stream<Path> files = Files.walk(work)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory
    }
  }
}
