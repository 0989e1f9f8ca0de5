package io.attest402.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Following what a child process prints (a launched jar, a facilitator replica, a node script): its
 * stdout read a line at a time on a daemon thread, so a test can wait for a line while the child
 * runs.
 */
public final class ProcessOutput {
  private ProcessOutput() {}

  /** What to do with each line; an {@link IOException} ends the reading. */
  @FunctionalInterface
  public interface LineHandler {
    void line(String line) throws IOException;
  }

  /** Runs once the output ends: {@code failure} null at end of stream, else why reading stopped. */
  @FunctionalInterface
  public interface EndHandler {
    void ended(IOException failure);
  }

  /**
   * Starts the daemon thread {@code name} reading {@code process}'s stdout into {@code onLine};
   * {@code onEnd} runs last, once.
   */
  public static Thread follow(Process process, String name, LineHandler onLine, EndHandler onEnd) {
    Thread reader =
        new Thread(
            () -> {
              IOException failure = null;
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  onLine.line(line);
                }
              } catch (IOException e) {
                failure = e;
              }
              onEnd.ended(failure);
            },
            name);
    reader.setDaemon(true);
    reader.start();
    return reader;
  }
}
