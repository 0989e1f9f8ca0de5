package io.attest402.contracts;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the checkout's root, where the npm tools live (contracts/node_modules,
 * interop/node_modules).
 */
public final class ProjectPaths {
  private ProjectPaths() {}

  /**
   * The root: system property {@code attest402.root} (set by the build and the launcher), else the
   * nearest parent of the working directory that holds {@code contracts/package.json}.
   */
  public static Path root() {
    String configured = System.getProperty("attest402.root");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("contracts/package.json"))) {
        return dir;
      }
    }
    throw new IllegalStateException(
        "cannot find the attest402 checkout: set -Dattest402.root or run from inside it");
  }

  /**
   * An executable installed by npm in {@code DIR/node_modules/.bin}, failing clearly when npm ci
   * has not run.
   */
  public static Path npmBin(String dir, String name) {
    Path bin = root().resolve(dir).resolve("node_modules/.bin").resolve(name);
    if (!Files.isExecutable(bin)) {
      throw new IllegalStateException(
          bin + " is missing: run the build once (mvn -B verify) or `npm ci` in " + dir + "/");
    }
    return bin;
  }
}
