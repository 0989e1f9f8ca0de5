package io.attest402.facilitator.packaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.ProjectPaths;
import io.attest402.enclave.tee.CodeMeasurement;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The enclave artifact's jar is byte-reproducible: {@code build/enclave-classpath.sh} (the
 * artifact's last build step, {@code build/NormalizeJar.java}) turns two jars of the same content,
 * written in other entry orders, at other times, in another time zone, compressed or not, with or
 * without directory entries, into the same bytes, so {@code measure} on one machine equals what a
 * build on another reports. Directory entries are kept (Flyway finds its migrations through them).
 */
class ReproducibleJarTest {
  static final String STAMP = "2026-01-01T00:00:00Z";

  /** The same files, as a build might write them. */
  static Map<String, byte[]> content() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("io/attest402/facilitator/cli/FacilitatorCommand.class", bytes("class bytes"));
    m.put("io/attest402/facilitator/store/migration/sqlite/V1__journal.sql", bytes("create t"));
    m.put("io/attest402/facilitator/store/migration/postgresql/V1__journal.sql", bytes("create"));
    m.put("META-INF/maven/io.attest402/enclave-facilitator/pom.properties", bytes("version=1"));
    m.put("io/attest402/facilitator/Facilitator.class", bytes("more class bytes"));
    return m;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Manifest manifest() {
    Manifest m = new Manifest();
    m.getMainAttributes().putValue("Manifest-Version", "1.0");
    m.getMainAttributes().putValue("Main-Class", "io.attest402.facilitator.cli.FacilitatorCommand");
    m.getMainAttributes().putValue("Attest402-Enclave-Artifact", "attest402-facilitator");
    return m;
  }

  /**
   * Writes an artifact directory: the jar with {@code names} in that order (directory entries for
   * {@code dirs}), each entry at {@code time}, compressed when {@code deflate}; lib/ with two jars
   * created in {@code libOrder}.
   */
  static Path artifact(
      Path dir,
      List<String> names,
      List<String> dirs,
      Instant time,
      boolean deflate,
      List<String> libOrder,
      Map<String, byte[]> content)
      throws IOException {
    Files.createDirectories(dir.resolve("lib"));
    for (String l : libOrder) {
      try (OutputStream o = Files.newOutputStream(dir.resolve("lib/" + l));
          ZipOutputStream z = new ZipOutputStream(o)) {
        z.putNextEntry(new ZipEntry(l + ".txt"));
        z.write(bytes(l));
        z.closeEntry();
      }
    }
    Path jar = dir.resolve("attest402-facilitator.jar");
    try (OutputStream o = Files.newOutputStream(jar);
        ZipOutputStream z = new ZipOutputStream(o)) {
      z.setMethod(deflate ? ZipOutputStream.DEFLATED : ZipOutputStream.STORED);
      List<String> all = new ArrayList<>(names);
      all.addAll(dirs);
      if (!deflate) {
        Collections.reverse(all);
      }
      // The manifest somewhere in the middle, as a tool might put it.
      all.add(all.size() / 2, "META-INF/MANIFEST.MF");
      for (String n : all) {
        byte[] d;
        if (n.equals("META-INF/MANIFEST.MF")) {
          java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
          manifest().write(b);
          d = b.toByteArray();
        } else {
          d = n.endsWith("/") ? new byte[0] : content.get(n);
        }
        ZipEntry e = new ZipEntry(n);
        e.setLastModifiedTime(FileTime.from(time));
        if (!deflate) {
          java.util.zip.CRC32 crc = new java.util.zip.CRC32();
          crc.update(d);
          e.setSize(d.length);
          e.setCompressedSize(d.length);
          e.setCrc(crc.getValue());
        } else {
          e.setComment("built at " + time);
        }
        z.putNextEntry(e);
        z.write(d);
        z.closeEntry();
      }
    }
    return jar;
  }

  /** Runs build/enclave-classpath.sh on {@code dir} in time zone {@code tz}. */
  static void finish(Path dir, String tz) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "bash",
                ProjectPaths.root().resolve("build/enclave-classpath.sh").toString(),
                dir.toString(),
                STAMP)
            .redirectErrorStream(true);
    pb.environment().put("TZ", tz);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "normalizer did not finish");
    assertEquals(0, p.exitValue(), out);
  }

  Path first(Path tmp) throws Exception {
    Path a =
        artifact(
            tmp.resolve("a"),
            new ArrayList<>(content().keySet()),
            List.of("META-INF/", "io/"),
            Instant.parse("2026-03-04T05:06:07Z"),
            true,
            List.of("zeta-1.jar", "alpha-2.jar"),
            content());
    finish(tmp.resolve("a"), "UTC");
    return a;
  }

  @Test
  void twoBuildsOfTheSameContentGiveTheSameBytes(@TempDir Path tmp) throws Exception {
    Path a = first(tmp);
    List<String> shuffled = new ArrayList<>(content().keySet());
    Collections.shuffle(shuffled, new java.util.Random(7));
    Path b =
        artifact(
            tmp.resolve("b"),
            shuffled,
            List.of(
                "io/attest402/facilitator/store/migration/",
                "io/attest402/",
                "io/attest402/facilitator/"),
            Instant.parse("2025-07-08T23:59:58Z"),
            false,
            List.of("alpha-2.jar", "zeta-1.jar"),
            content());
    finish(tmp.resolve("b"), "Pacific/Kiritimati");
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    assertEquals(CodeMeasurement.sha256Hex(a), CodeMeasurement.sha256Hex(b));

    // Idempotent: the normal form is a fixed point (what EnclaveArtifactIT checks of the build).
    byte[] once = Files.readAllBytes(a);
    finish(tmp.resolve("a"), "America/New_York");
    assertArrayEquals(once, Files.readAllBytes(a));
  }

  @Test
  void theNormalFormKeepsEveryDirectoryTheManifestFirstAndTheClassPath(@TempDir Path tmp)
      throws Exception {
    Path a = first(tmp);
    List<String> names = new ArrayList<>();
    try (ZipFile z = new ZipFile(a.toFile())) {
      for (ZipEntry e : Collections.list(z.entries())) {
        names.add(e.getName());
        assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
        assertEquals(
            java.time.LocalDateTime.parse("2026-01-01T00:00:00"), e.getTimeLocal(), e.getName());
        assertEquals(null, e.getExtra(), e.getName());
      }
    }
    assertEquals(List.of("META-INF/", "META-INF/MANIFEST.MF"), names.subList(0, 2));
    List<String> rest = names.subList(2, names.size());
    List<String> sorted = new ArrayList<>(rest);
    Collections.sort(sorted);
    assertEquals(sorted, rest, "entries in name order");
    for (String d :
        List.of(
            "io/",
            "io/attest402/",
            "io/attest402/facilitator/",
            "io/attest402/facilitator/store/migration/",
            "io/attest402/facilitator/store/migration/sqlite/",
            "META-INF/maven/io.attest402/")) {
      assertTrue(names.contains(d), "directory entry " + d + " in " + names);
    }
    try (JarInputStream in = new JarInputStream(Files.newInputStream(a))) {
      Manifest m = in.getManifest();
      assertNotNull(m, "JarInputStream finds the manifest");
      assertEquals("lib/alpha-2.jar lib/zeta-1.jar", m.getMainAttributes().getValue("Class-Path"));
      assertEquals(
          "io.attest402.facilitator.cli.FacilitatorCommand",
          m.getMainAttributes().getValue("Main-Class"));
    }
    // A classpath scan of the migrations (as Flyway's) finds the directory and its files.
    try (URLClassLoader cl = new URLClassLoader(new URL[] {a.toUri().toURL()}, null)) {
      URL dir = cl.getResource("io/attest402/facilitator/store/migration/sqlite/");
      assertNotNull(dir, "the migration directory is found on the classpath");
      try (InputStream in =
          cl.getResourceAsStream(
              "io/attest402/facilitator/store/migration/sqlite/V1__journal.sql")) {
        assertEquals("create t", new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void aChangedClassChangesTheDigest(@TempDir Path tmp) throws Exception {
    Path a = first(tmp);
    Map<String, byte[]> changed = content();
    changed.put("io/attest402/facilitator/Facilitator.class", bytes("more class bytez"));
    Path b =
        artifact(
            tmp.resolve("b"),
            new ArrayList<>(changed.keySet()),
            List.of(),
            Instant.parse("2026-03-04T05:06:07Z"),
            true,
            List.of("zeta-1.jar", "alpha-2.jar"),
            changed);
    finish(tmp.resolve("b"), "UTC");
    assertFalse(CodeMeasurement.sha256Hex(a).equals(CodeMeasurement.sha256Hex(b)));
  }
}
