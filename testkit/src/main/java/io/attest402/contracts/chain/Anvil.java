package io.attest402.contracts.chain;

import io.attest402.contracts.ProjectPaths;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local anvil node started from {@code contracts/node_modules}: a real EVM chain on loopback.
 * Closing it stops the process (and a JVM shutdown hook does so if the owner never gets to).
 */
public final class Anvil implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Anvil.class);
  public static final long CHAIN_ID = 31337;

  private final Process process;
  private final int port;
  private final long chainId;
  private final Thread shutdownHook;

  private Anvil(Process process, int port, long chainId) {
    this.process = process;
    this.port = port;
    this.chainId = chainId;
    this.shutdownHook =
        new Thread(
            () -> {
              process.descendants().forEach(ProcessHandle::destroyForcibly);
              process.destroyForcibly();
            },
            "anvil-shutdown-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts anvil on a free loopback port with automine. */
  public static Anvil start() {
    return start(Options.defaults());
  }

  public static Anvil start(Options options) {
    int port = options.port > 0 ? options.port : freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(binary().toString());
    cmd.addAll(List.of("--host", "127.0.0.1", "--port", Integer.toString(port)));
    cmd.addAll(
        List.of(
            "--chain-id",
            Long.toString(options.chainId),
            "--accounts",
            "10",
            "--balance",
            "10000"));
    if (options.blockTimeSeconds > 0) {
      cmd.addAll(List.of("--block-time", Integer.toString(options.blockTimeSeconds)));
    }
    if (options.stateFile != null) {
      cmd.addAll(List.of("--state", options.stateFile.toString()));
    }
    cmd.add("--silent");
    cmd.addAll(options.extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start anvil: " + cmd, e);
    }
    // Drain its output so a chatty anvil never blocks on a full pipe.
    Thread drainer = new Thread(() -> drain(process, port), "anvil-" + port + "-output");
    drainer.setDaemon(true);
    drainer.start();
    Anvil anvil = new Anvil(process, port, options.chainId);
    try {
      anvil.awaitReady(options.startTimeout);
    } catch (RuntimeException e) {
      anvil.close();
      throw e;
    }
    log.debug("anvil up on port {}", port);
    return anvil;
  }

  /**
   * The anvil binary itself from its platform package, not npm's node wrapper: a wrapper would
   * outlive a kill and leave anvil running. Falls back to the wrapper on platforms laid out
   * differently.
   */
  static java.nio.file.Path binary() {
    String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(java.util.Locale.ROOT);
    String platform =
        (os.contains("mac") ? "darwin" : os.contains("win") ? "win32" : "linux")
            + "-"
            + (arch.contains("aarch64") || arch.contains("arm64") ? "arm64" : "amd64");
    java.nio.file.Path direct =
        ProjectPaths.root()
            .resolve(
                "contracts/node_modules/@foundry-rs/anvil-"
                    + platform
                    + "/bin/anvil"
                    + (platform.startsWith("win32") ? ".exe" : ""));
    return java.nio.file.Files.isExecutable(direct)
        ? direct
        : ProjectPaths.npmBin("contracts", "anvil");
  }

  private static void drain(Process process, int port) {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        log.debug("anvil:{} {}", port, line);
      }
    } catch (IOException ignored) {
      // process ended
    }
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "anvil exited with code " + process.exitValue() + " on port " + port);
      }
      try (var socket = new java.net.Socket()) {
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1_000);
        return;
      } catch (IOException notYet) {
        sleep(50);
      }
    }
    throw new IllegalStateException("anvil did not open port " + port + " within " + timeout);
  }

  public int port() {
    return port;
  }

  public String rpcUrl() {
    return "http://127.0.0.1:" + port;
  }

  /**
   * The chain id it runs with ({@link #CHAIN_ID} unless {@link Options#chainId} said otherwise).
   */
  public long chainId() {
    return chainId;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Kills anvil abruptly (as a crash would), for tests of an RPC node that goes away. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    waitFor();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    waitFor();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }

  private void waitFor() {
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** How to start anvil. */
  public static final class Options {
    private int port;
    private int blockTimeSeconds;
    private Path stateFile;
    private Duration startTimeout = Duration.ofSeconds(30);
    private long chainId = CHAIN_ID;
    private final List<String> extraArgs = new ArrayList<>();

    public static Options defaults() {
      return new Options();
    }

    /** A fixed port (0 = any free one). */
    public Options port(int port) {
      this.port = port;
      return this;
    }

    /** Mine on an interval instead of on every transaction. */
    public Options blockTimeSeconds(int seconds) {
      this.blockTimeSeconds = seconds;
      return this;
    }

    /** Load state from and dump it to this file, so a restarted anvil continues the same chain. */
    public Options stateFile(Path file) {
      this.stateFile = file;
      return this;
    }

    public Options startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /**
     * Another chain id, e.g. one the x402 v1 legacy network names know (84532 is {@code
     * base-sepolia}), since official v1 clients cannot sign for 31337.
     */
    public Options chainId(long id) {
      this.chainId = id;
      return this;
    }

    public Options arg(String... args) {
      this.extraArgs.addAll(List.of(args));
      return this;
    }
  }
}
