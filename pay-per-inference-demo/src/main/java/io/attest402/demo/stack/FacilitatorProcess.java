package io.attest402.demo.stack;

import io.attest402.enclave.tee.CodeMeasurement;
import io.attest402.facilitator.cli.MeasuredLaunch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A facilitator run as an operator runs it: {@code java [JVM options] -jar
 * attest402-facilitator.jar ARGS} from an enclave artifact, in its own JVM. Its stdout and stderr
 * go to a log file; {@link #expected()} is what {@code bin/attest402 measure} predicts for the
 * genuine artifact with the same options and arguments.
 */
public final class FacilitatorProcess implements AutoCloseable {
  private final Process process;
  private final String url;
  private final String address;
  private final BigInteger agentId;
  private final String reportedMeasurement;

  private FacilitatorProcess(
      Process process, String url, String address, BigInteger agentId, String measurement) {
    this.process = process;
    this.url = url;
    this.address = address;
    this.agentId = agentId;
    this.reportedMeasurement = measurement;
  }

  /** The demo's enclave artifact: {@code enclave-facilitator/target/enclave} of the checkout. */
  public static Path defaultArtifact() {
    String root = System.getProperty("attest402.root");
    Path dir =
        (root == null ? Path.of("") : Path.of(root)).resolve("enclave-facilitator/target/enclave");
    if (!Files.isRegularFile(dir.resolve("attest402-facilitator.jar"))) {
      throw new IllegalStateException(
          "no enclave artifact in "
              + dir.toAbsolutePath()
              + ": build it with `mvn -B "
              + "package -pl enclave-facilitator -am` (bin/attest402 and `mvn verify` do)");
    }
    return dir;
  }

  /**
   * What the simulated TEE of a facilitator from the genuine {@code artifact} reports for this
   * launch.
   */
  public static CodeMeasurement expected(
      Path artifact, List<String> jvmOptions, List<String> args) {
    return MeasuredLaunch.measure(
        CodeMeasurement.directory(artifact), jvmOptions, args.toArray(String[]::new));
  }

  /** As {@link #expected(Path, List, List)} for a launch in {@code workingDirectory}. */
  public static CodeMeasurement expected(
      Path artifact, List<String> jvmOptions, Path workingDirectory, List<String> args) {
    return MeasuredLaunch.measure(
        CodeMeasurement.directory(artifact),
        jvmOptions,
        workingDirectory,
        args.toArray(String[]::new));
  }

  /**
   * Starts it and waits (up to {@code timeout}) until it listens; its output goes to {@code log}.
   */
  public static FacilitatorProcess start(
      Path artifact, List<String> jvmOptions, List<String> args, Path log, Duration timeout)
      throws IOException, InterruptedException {
    return start(artifact, jvmOptions, args, null, log, timeout);
  }

  /** As above, in {@code workingDirectory} (null: this JVM's). */
  public static FacilitatorProcess start(
      Path artifact,
      List<String> jvmOptions,
      List<String> args,
      Path workingDirectory,
      Path log,
      Duration timeout)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(artifact.resolve("attest402-facilitator.jar").toAbsolutePath().toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (workingDirectory != null) {
      pb.directory(workingDirectory.toFile());
    }
    Process p = pb.start();
    CompletableFuture<String[]> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              String[] seen = new String[4];
              try (BufferedReader r =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter w =
                      new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
                for (String line; (line = r.readLine()) != null; ) {
                  w.println(line);
                  if (line.startsWith("attest402 facilitator listening on ")) {
                    seen[0] = line.substring("attest402 facilitator listening on ".length()).trim();
                  } else if (line.startsWith("facilitator address ")) {
                    seen[1] = line.substring("facilitator address ".length()).trim();
                  } else if (line.startsWith("ERC-8004 identity: agentId ")) {
                    seen[2] =
                        line.substring("ERC-8004 identity: agentId ".length()).split("[ ,]")[0];
                  } else if (line.startsWith("measurement MRENCLAVE ")) {
                    seen[3] = line.substring("measurement MRENCLAVE ".length()).split(" ")[0];
                    ready.complete(seen);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(
                  new IOException("the facilitator exited before it listened"));
            },
            "facilitator-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String[] s = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new FacilitatorProcess(
          p, s[0], s[1], s[2] == null ? null : new BigInteger(s[2]), s[3]);
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      String out = Files.exists(log) ? Files.readString(log) : "";
      throw new IOException(
          "facilitator from "
              + artifact
              + " did not start: "
              + (e instanceof TimeoutException
                  ? "no 'listening' line within " + timeout
                  : e.getCause().getMessage())
              + "\n"
              + out,
          e);
    }
  }

  public String url() {
    return url;
  }

  public String address() {
    return address;
  }

  /** Its ERC-8004 agentId, or null when it did not register. */
  public BigInteger agentId() {
    return agentId;
  }

  /** The MRENCLAVE (hex) it reported at start. */
  public String reportedMeasurement() {
    return reportedMeasurement;
  }

  /** SIGTERM (graceful: in-flight settlements finish or stay journaled), then kill after 20 s. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
