package io.attest402.enclave.tee;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * What the simulated TEE measures, standing in for MRENCLAVE: the code a process runs (each file's
 * name and SHA-256, in name order) and its measured configuration (ordered strings: the JVM options
 * and the facilitator's settings, as the Gramine manifest measures its argv). {@link #mrEnclave()}
 * is SHA-256 over a length-prefixed encoding of both under the domain {@value #DOMAIN}, so changing
 * one byte of a jar, adding a jar or changing one setting changes it. {@code bin/attest402 measure}
 * computes the same value before the process starts.
 */
public final class CodeMeasurement {
  public static final String DOMAIN = "attest402-simulated-mrenclave-v1";

  /**
   * Manifest attribute of an enclave artifact's jar: the simulated TEE then measures its whole
   * directory.
   */
  public static final String ARTIFACT_ATTRIBUTE = "Attest402-Enclave-Artifact";

  /**
   * One measured file: its name relative to what was measured ({@code /}-separated) and its SHA-256
   * (hex).
   */
  public record FileDigest(String name, String sha256) {
    public FileDigest {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  private final List<FileDigest> files;
  private final List<String> configuration;

  private CodeMeasurement(List<FileDigest> files, List<String> configuration) {
    this.files = files.stream().sorted(Comparator.comparing(FileDigest::name)).toList();
    this.configuration = List.copyOf(configuration);
  }

  public static CodeMeasurement of(List<FileDigest> files, List<String> configuration) {
    return new CodeMeasurement(files, configuration);
  }

  public List<FileDigest> files() {
    return files;
  }

  public List<String> configuration() {
    return configuration;
  }

  /** The simulated MRENCLAVE: 32 bytes. */
  public byte[] mrEnclave() {
    MessageDigest d = sha256();
    update(d, DOMAIN);
    for (FileDigest f : files) {
      update(d, "file");
      update(d, f.name());
      update(d, f.sha256());
    }
    for (String c : configuration) {
      update(d, "config");
      update(d, c);
    }
    return d.digest();
  }

  public String mrEnclaveHex() {
    return HexFormat.of().formatHex(mrEnclave());
  }

  /**
   * Every regular file under {@code dir} (recursively), named relative to it: an enclave artifact
   * directory.
   */
  public static List<FileDigest> directory(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      List<FileDigest> out = new ArrayList<>();
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.add(new FileDigest(dir.relativize(p).toString().replace('\\', '/'), sha256Hex(p)));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot measure " + dir, e);
    }
  }

  /**
   * The code {@code c} was loaded from: the whole directory of its jar when that jar is an enclave
   * artifact ({@value #ARTIFACT_ATTRIBUTE} in its manifest: an extra file in lib/ counts, as under
   * Gramine's trusted directory); otherwise the jar alone, or the files of the classes directory
   * (in-process use, e.g. tests).
   */
  public static List<FileDigest> codeOf(Class<?> c) {
    Path location;
    try {
      location = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("cannot tell where " + c.getName() + " was loaded from", e);
    }
    if (Files.isDirectory(location)) {
      return directory(location);
    }
    Path dir = artifactDirectory(location);
    return dir != null
        ? directory(dir)
        : List.of(new FileDigest(location.getFileName().toString(), sha256Hex(location)));
  }

  /**
   * The artifact directory of {@code jar} when its manifest says it is an enclave artifact, else
   * null.
   */
  public static Path artifactDirectory(Path jar) {
    try (JarFile j = new JarFile(jar.toFile())) {
      Manifest m = j.getManifest();
      return m != null && m.getMainAttributes().getValue(ARTIFACT_ATTRIBUTE) != null
          ? jar.toAbsolutePath().getParent()
          : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jar, e);
    }
  }

  public static String sha256Hex(Path file) {
    MessageDigest d = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static void update(MessageDigest d, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    d.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
    d.update(b);
    d.update((byte) '\n');
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
