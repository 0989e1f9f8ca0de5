package io.attest402.facilitator.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enclave artifact ({@code target/enclave/}, built at package) holds the facilitator and only
 * what it runs: no demo, PDF, HTML or Markdown library, no command of another module, no test
 * fixture; its jar starts with {@code java -jar} from its own lib/.
 */
class EnclaveArtifactIT {
  static final Path ARTIFACT = Path.of("target/enclave");

  /** Entry-name prefixes that must not reach the enclave, and why. */
  static final List<String[]> FORBIDDEN =
      List.of(
          new String[] {"io/attest402/demo/", "the demo"},
          new String[] {"io/attest402/cli/", "the launcher"},
          new String[] {"org/apache/pdfbox/", "PDFBox"},
          new String[] {"org/apache/fontbox/", "PDFBox"},
          new String[] {"org/jsoup/", "jsoup"},
          new String[] {"org/commonmark/", "commonmark"},
          new String[] {"io/attest402/erc8004/cli/", "the registry CLI"},
          new String[] {"io/attest402/verifier/cli/", "the quote CLI"},
          new String[] {"io/attest402/contracts/chain/Anvil", "a test fixture"},
          new String[] {"io/attest402/contracts/chain/ChainExtension", "a test fixture"},
          new String[] {"io/attest402/contracts/chain/DevAccounts", "a test fixture"},
          new String[] {"io/attest402/contracts/chain/NodeScript", "a test fixture"},
          new String[] {"io/attest402/testkit/", "a test fixture"},
          new String[] {"io/attest402/x402/testing/", "a test fixture"},
          new String[] {"io/attest402/x402/server/", "the resource-server transport (x402-vertx)"},
          new String[] {"org/junit/", "JUnit"});

  /** Every forbidden entry in the jars under {@code dir}, as "jar: entry (why)". */
  static List<String> forbiddenEntries(Path dir) throws IOException {
    List<String> found = new ArrayList<>();
    List<Path> jars;
    try (Stream<Path> s = Files.walk(dir)) {
      jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
    }
    for (Path jar : jars) {
      try (JarFile j = new JarFile(jar.toFile())) {
        j.stream()
            .map(ZipEntry::getName)
            .forEach(
                name -> {
                  for (String[] f : FORBIDDEN) {
                    if (name.startsWith(f[0])) {
                      found.add(dir.relativize(jar) + ": " + name + " (" + f[1] + ")");
                    }
                  }
                });
      }
    }
    return found;
  }

  @Test
  void noDemoPdfHtmlCliOrFixtureClassReachesTheArtifact() throws IOException {
    assertTrue(
        Files.isRegularFile(ARTIFACT.resolve("attest402-facilitator.jar")),
        "artifact not built: " + ARTIFACT);
    List<String> found = forbiddenEntries(ARTIFACT);
    assertTrue(found.isEmpty(), "must not be in the enclave:\n" + String.join("\n", found));
    String deps = Files.readString(Path.of("target/enclave-dependencies.txt"));
    for (String g :
        List.of(
            "org.apache.pdfbox",
            "org.jsoup",
            "org.commonmark",
            "org.junit",
            "io.attest402:pay-per-inference-demo",
            "io.attest402:cli")) {
      assertTrue(!deps.contains(g), g + " in the enclave's dependency list:\n" + deps);
    }
  }

  @Test
  void theScanFindsAForbiddenClass(@TempDir Path tmp) throws IOException {
    Files.createDirectories(tmp.resolve("lib"));
    try (OutputStream o = Files.newOutputStream(tmp.resolve("lib/smuggled.jar"));
        ZipOutputStream z = new ZipOutputStream(o)) {
      z.putNextEntry(new ZipEntry("org/jsoup/Jsoup.class"));
      z.write(new byte[] {(byte) 0xca, (byte) 0xfe});
      z.closeEntry();
      z.putNextEntry(new ZipEntry("io/attest402/contracts/chain/DevAccounts.class"));
      z.closeEntry();
    }
    assertEquals(
        List.of(
            "lib/smuggled.jar: org/jsoup/Jsoup.class (jsoup)",
            "lib/smuggled.jar: io/attest402/contracts/chain/DevAccounts.class (a test fixture)"),
        forbiddenEntries(tmp));
  }

  @Test
  void classPathIsExactlyLibAndTheJarStartsOnItsOwn() throws Exception {
    Manifest m;
    try (JarFile j = new JarFile(ARTIFACT.resolve("attest402-facilitator.jar").toFile())) {
      m = j.getManifest();
    }
    assertEquals(
        "io.attest402.facilitator.cli.FacilitatorCommand",
        m.getMainAttributes().getValue("Main-Class"));
    assertEquals(
        "attest402-facilitator", m.getMainAttributes().getValue("Attest402-Enclave-Artifact"));
    TreeSet<String> classPath =
        new TreeSet<>(Arrays.asList(m.getMainAttributes().getValue("Class-Path").split(" ")));
    TreeSet<String> lib = new TreeSet<>();
    try (Stream<Path> s = Files.list(ARTIFACT.resolve("lib"))) {
      s.forEach(p -> lib.add("lib/" + p.getFileName()));
    }
    assertEquals(lib, classPath, "Class-Path names exactly the jars in lib/");
    assertTrue(
        lib.stream().anyMatch(n -> n.startsWith("lib/slf4j-simple-")), "a logger binding: " + lib);

    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                ARTIFACT.resolve("attest402-facilitator.jar").toString(),
                "--help")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "--help did not finish");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("--deployment") && out.contains("--tee"), out);
  }

  /**
   * The measurement hashes the jar's bytes: every entry carries the build's fixed outputTimestamp,
   * not the build's clock.
   */
  @Test
  void everyJarEntryCarriesTheFixedBuildTime() throws IOException {
    TreeSet<Long> times = new TreeSet<>();
    try (JarFile j = new JarFile(ARTIFACT.resolve("attest402-facilitator.jar").toFile())) {
      j.stream().forEach(e -> times.add(e.getTime()));
    }
    assertEquals(1, times.size(), "every entry at the build's outputTimestamp: " + times);
  }

  /**
   * The built jar is in build/NormalizeJar.java's normal form (normalizing it again changes no
   * byte), so two builds of the same sources give the bytes {@code measure} hashes.
   */
  @Test
  void theArtifactJarIsInItsReproducibleNormalForm(@TempDir Path tmp) throws Exception {
    Path copy = tmp.resolve("attest402-facilitator.jar");
    Files.copy(ARTIFACT.resolve("attest402-facilitator.jar"), copy);
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                io.attest402.contracts.ProjectPaths.root()
                    .resolve("build/NormalizeJar.java")
                    .toString(),
                copy.toString(),
                "2026-01-01T00:00:00Z")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "normalizer did not finish");
    assertEquals(0, p.exitValue(), out);
    assertTrue(
        Arrays.equals(
            Files.readAllBytes(ARTIFACT.resolve("attest402-facilitator.jar")),
            Files.readAllBytes(copy)),
        "the artifact jar is not in normal form (build/enclave-classpath.sh did not run?)");
  }
}
