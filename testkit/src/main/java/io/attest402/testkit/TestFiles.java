package io.attest402.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Files in tests. */
public final class TestFiles {
  private TestFiles() {}

  /**
   * Copies the tree under {@code from} to {@code to} (created as needed), files with their
   * attributes (a sealed key's 0600 mode stays 0600); fails on a file that already exists there.
   */
  public static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
