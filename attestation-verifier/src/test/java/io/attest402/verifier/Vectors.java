package io.attest402.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The public DCAP test vectors, kept in this module's test resources ({@code
 * src/test/resources/dcap}) and read from the test classpath, so nothing outside the checkout is
 * needed.
 */
final class Vectors {
  record Vector(String id, Path dir, long now, JsonNode expect, long[] window) {
    Path quoteFile() {
      return dir.resolve("quote.bin");
    }

    Path collateralFile() {
      return dir.resolve("collateral.json");
    }

    byte[] quote() {
      return read(quoteFile());
    }

    Collateral collateral() {
      try {
        return Collateral.fromJson(read(collateralFile()));
      } catch (QuoteVerificationException e) {
        throw new IllegalStateException(e);
      }
    }

    Instant at() {
      return Instant.ofEpochSecond(now);
    }

    boolean expectOk() {
      return expect.path("ok").asBoolean(false);
    }

    boolean hasVerdict() {
      return expect.has("ok");
    }
  }

  private Vectors() {}

  static Path repoRoot() {
    String p = System.getProperty("attest402.root");
    if (p != null && !p.isBlank() && Files.isDirectory(Paths.get(p, "interop"))) {
      return Paths.get(p).toAbsolutePath().normalize();
    }
    Path d = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
    while (d != null) {
      if (Files.isDirectory(d.resolve("interop")) && Files.exists(d.resolve("pom.xml"))) {
        return d;
      }
      d = d.getParent();
    }
    throw new IllegalStateException("cannot find the repository root (set -Dattest402.root)");
  }

  static Path dir() {
    java.net.URL manifest = Vectors.class.getResource("/dcap/manifest.json");
    if (manifest == null) {
      throw new IllegalStateException(
          "test resource dcap/manifest.json is missing from the classpath");
    }
    try {
      return Paths.get(manifest.toURI()).getParent();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode manifest() {
    try {
      return new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Vector> all() {
    List<Vector> out = new ArrayList<>();
    for (JsonNode v : manifest().get("vectors")) {
      long[] w = null;
      if (v.has("valid_window")) {
        w =
            new long[] {
              v.get("valid_window").get(0).asLong(), v.get("valid_window").get(1).asLong()
            };
      }
      out.add(
          new Vector(
              v.get("id").asText(),
              dir().resolve(v.get("id").asText()),
              v.get("now").asLong(),
              v.get("expect"),
              w));
    }
    return out;
  }

  static Vector byId(String id) {
    return all().stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow();
  }

  static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A policy that accepts every non-revoked status, so a verdict carries the manifest's status, and
   * any measurement (the vectors are third-party quotes). CRLs stay required.
   */
  static VerificationPolicy reportingPolicy() {
    return VerificationPolicy.builder()
        .acceptAnyNonRevokedStatus()
        .allowAnyMeasurement(true)
        .build();
  }

  /**
   * {@link #reportingPolicy()} for vector {@code v}: the vectors whose source ships no CRLs (ids
   * ending in {@code _nocrl}) opt out of {@code requireCrls}, explicitly, by name.
   */
  static VerificationPolicy reportingPolicy(Vector v) {
    return reportingPolicy().toBuilder().requireCrls(!v.id().endsWith("_nocrl")).build();
  }
}
