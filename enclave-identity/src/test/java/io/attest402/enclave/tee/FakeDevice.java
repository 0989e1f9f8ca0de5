package io.attest402.enclave.tee;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Emulates a quote pseudo-file (Gramine's {@code quote}, configfs-tsm's {@code outblob}) with a
 * named pipe: when the backend opens it for reading, a helper thread reads the report data the
 * backend wrote (a regular file), produces a quote over it, optionally bumps {@code generation},
 * writes the quote and closes. Each served pipe is replaced by a fresh one before the write end
 * closes, so one read sees exactly one quote. Failure modes emulate a misbehaving TEE.
 */
public final class FakeDevice implements AutoCloseable {
  public enum Mode {
    /** The quote over the report data just written. */
    OK,
    /** Only the first half of the quote (a short read). */
    SHORT,
    /** Nothing. */
    EMPTY,
    /** A quote over other report data (another user's, or a stale one). */
    STALE,
    /**
     * generation moves by 2: somebody else wrote inblob while we were generating (configfs only).
     */
    GENERATION_RACE
  }

  private final Path pipe;
  private final Path reportDataFile;
  private final Path generationFile;
  private final Function<byte[], byte[]> quoteFor;
  private final Thread thread;
  private final AtomicInteger served = new AtomicInteger();
  private volatile Mode mode = Mode.OK;
  private volatile boolean closed;

  public FakeDevice(
      Path pipe, Path reportDataFile, Path generationFile, Function<byte[], byte[]> quoteFor) {
    this.pipe = pipe;
    this.reportDataFile = reportDataFile;
    this.generationFile = generationFile;
    this.quoteFor = quoteFor;
    mkfifo(pipe);
    thread = new Thread(this::serve, "fake-device-" + pipe.getFileName());
    thread.setDaemon(true);
    thread.start();
  }

  public void mode(Mode m) {
    mode = m;
  }

  public int served() {
    return served.get();
  }

  private void serve() {
    while (!closed) {
      try (OutputStream out = Files.newOutputStream(pipe, StandardOpenOption.WRITE)) {
        if (closed) {
          return;
        }
        byte[] rd = Arrays.copyOf(Files.readAllBytes(reportDataFile), 64);
        Mode m = mode;
        byte[] q;
        if (m == Mode.STALE) {
          byte[] other = rd.clone();
          other[63] ^= 1;
          q = quoteFor.apply(other);
        } else {
          q = quoteFor.apply(rd);
        }
        if (m == Mode.SHORT) {
          q = Arrays.copyOf(q, q.length / 2);
        } else if (m == Mode.EMPTY) {
          q = new byte[0];
        }
        if (generationFile != null) {
          long g = Long.parseLong(Files.readString(generationFile).trim());
          Files.writeString(generationFile, (g + (m == Mode.GENERATION_RACE ? 2 : 1)) + "\n");
        }
        out.write(q);
        out.flush();
        Path next = pipe.resolveSibling(pipe.getFileName() + ".next");
        mkfifo(next);
        Files.move(next, pipe, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        served.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          e.printStackTrace();
        }
        return;
      }
    }
  }

  static void mkfifo(Path p) {
    try {
      Process pr = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
      String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (pr.waitFor() != 0) {
        throw new IllegalStateException("mkfifo failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread.isAlive()) {
      // unblock the helper if it waits for a reader
      Thread unblock =
          new Thread(
              () -> {
                try (InputStream in = Files.newInputStream(pipe)) {
                  in.readAllBytes();
                } catch (IOException ignored) {
                  // the pipe may already be gone
                }
              });
      unblock.setDaemon(true);
      unblock.start();
    }
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
