package io.attest402.cli;

import io.attest402.testkit.ProcessOutput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts the packaged launcher jar in a child JVM and reads what it prints, for integration tests.
 */
final class Launcher {
  private Launcher() {}

  static Path jar() {
    Path jar =
        Path.of(System.getProperty("attest402.jar", "target/attest402.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " missing: integration tests run after `package`");
    }
    return jar;
  }

  /**
   * Starts {@code java -jar attest402.jar ARGS} in {@code dir}; stdout and stderr merged, lines
   * queued.
   */
  static Process start(Path dir, String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dattest402.root=" + System.getProperty("attest402.root"),
                "-jar",
                jar().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    ProcessOutput.follow(p, "launcher-stdout", lines::add, ended -> {});
    OUTPUT.put(p, lines);
    return p;
  }

  private static final java.util.Map<Process, BlockingQueue<String>> OUTPUT =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Waits for a line containing {@code marker}; fails with everything printed so far. */
  static String awaitLine(Process p, String marker, int seconds) throws InterruptedException {
    BlockingQueue<String> lines = OUTPUT.get(p);
    StringBuilder seen = new StringBuilder();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      String line = lines.poll(200, TimeUnit.MILLISECONDS);
      if (line == null) {
        if (!p.isAlive() && lines.isEmpty()) {
          break;
        }
        continue;
      }
      seen.append(line).append('\n');
      if (line.contains(marker)) {
        return line;
      }
    }
    throw new AssertionError(
        "no line with '" + marker + "' from the launcher; it printed:\n" + seen);
  }
}
