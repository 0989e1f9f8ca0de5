package io.attest402.contracts.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.contracts.ProjectPaths;
import io.attest402.testkit.ProcessOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Node.js script from {@code interop/} (the official x402 SDK and other peers) run as a child
 * process. The script signals readiness by printing one line {@code READY <json>} on stdout;
 * everything else it prints is logged. Closing it kills the process.
 */
public final class NodeScript implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeScript.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final JsonNode ready;
  private final String name;

  private NodeScript(Process process, JsonNode ready, String name) {
    this.process = process;
    this.ready = ready;
    this.name = name;
  }

  /**
   * Starts {@code node interop/SCRIPT args...} with extra environment and waits for its READY line.
   *
   * @throws IllegalStateException if it exits or stays silent past the timeout; its output is in
   *     the message
   */
  public static NodeScript start(
      String script, List<String> args, Map<String, String> env, Duration timeout) {
    Path root = ProjectPaths.root();
    Path file = root.resolve("interop").resolve(script);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no script " + file);
    }
    List<String> cmd = new ArrayList<>(List.of("node", file.toString()));
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(root.resolve("interop").toFile())
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node (Node 20+ required): " + cmd, e);
    }
    CompletableFuture<JsonNode> readyLine = new CompletableFuture<>();
    StringBuilder transcript = new StringBuilder();
    ProcessOutput.follow(
        process,
        "node-" + script,
        line -> {
          if (!readyLine.isDone() && line.startsWith("READY")) {
            String body = line.substring(5).trim();
            readyLine.complete(body.isEmpty() ? JSON.nullNode() : JSON.readTree(body));
          } else {
            synchronized (transcript) {
              if (transcript.length() < 20_000) {
                transcript.append(line).append('\n');
              }
            }
            log.debug("{}: {}", script, line);
          }
        },
        failure ->
            readyLine.completeExceptionally(
                failure != null ? failure : new IllegalStateException("exited before READY")));
    try {
      JsonNode ready = readyLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new NodeScript(process, ready, script);
    } catch (Exception e) {
      process.destroyForcibly();
      String out;
      synchronized (transcript) {
        out = transcript.toString();
      }
      String why =
          e instanceof TimeoutException
              ? "no READY within " + timeout
              : String.valueOf(e.getCause());
      throw new IllegalStateException(
          "node " + script + " failed to start (" + why + "):\n" + out, e);
    }
  }

  /** The JSON the script printed after READY (for example its port). */
  public JsonNode ready() {
    return ready;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    log.debug("stopped {}", name);
  }
}
