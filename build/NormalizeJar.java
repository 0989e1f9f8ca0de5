import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites a jar into a normal form, so that two builds of the same sources give the same bytes
 * (the enclave artifact's measurement hashes them): {@code META-INF/}, {@code
 * META-INF/MANIFEST.MF}, then every other entry in name order; every directory entry kept, and the
 * missing parent directories of files added (Flyway's classpath scan finds migrations through
 * them); every entry STORED (no compressor whose output differs between zlib builds) with the one
 * given time as DOS local time (no time-zone dependence, no extended timestamps), no extra fields,
 * no comments. With {@code --class-path-from-lib}, the manifest's Class-Path is set to every jar in
 * the jar's sibling {@code lib/}, in name order (so {@code java -jar} runs it).
 *
 * <p>Usage: {@code java NormalizeJar.java [--class-path-from-lib] JAR TIMESTAMP} (TIMESTAMP: the
 * build's ISO-8601 {@code project.build.outputTimestamp}). Run by the enclave artifact's build
 * ({@code build/enclave-classpath.sh}); idempotent.
 */
public final class NormalizeJar {
  private NormalizeJar() {}

  public static void main(String[] args) throws IOException {
    List<String> a = new ArrayList<>(List.of(args));
    boolean classPath = a.remove("--class-path-from-lib");
    if (a.size() != 2) {
      System.err.println("usage: java NormalizeJar.java [--class-path-from-lib] JAR TIMESTAMP");
      System.exit(2);
    }
    Path jar = Path.of(a.get(0));
    LocalDateTime time = LocalDateTime.ofInstant(Instant.parse(a.get(1)), ZoneOffset.UTC);
    String cp = null;
    if (classPath) {
      Path lib = jar.toAbsolutePath().getParent().resolve("lib");
      try (Stream<Path> s = Files.list(lib)) {
        cp =
            String.join(
                " ",
                s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".jar"))
                    .sorted()
                    .map(n -> "lib/" + n)
                    .toList());
      }
    }
    normalize(jar, time, cp);
  }

  static void normalize(Path jar, LocalDateTime time, String classPath) throws IOException {
    TreeMap<String, byte[]> entries = new TreeMap<>();
    Manifest manifest = null;
    try (ZipFile z = new ZipFile(jar.toFile())) {
      for (ZipEntry e : java.util.Collections.list(z.entries())) {
        String name = e.getName();
        if (name.equals(JarFile.MANIFEST_NAME)) {
          try (InputStream in = z.getInputStream(e)) {
            manifest = new Manifest(in);
          }
          continue;
        }
        if (entries.containsKey(name)) {
          throw new IOException(jar + ": duplicate entry " + name);
        }
        byte[] data;
        try (InputStream in = z.getInputStream(e)) {
          data = in.readAllBytes();
        }
        if (e.isDirectory() && data.length != 0) {
          throw new IOException(jar + ": directory entry " + name + " has content");
        }
        entries.put(name, e.isDirectory() ? null : data);
      }
    }
    for (String name : List.copyOf(entries.keySet())) {
      for (int i = name.indexOf('/'); i >= 0 && i < name.length() - 1; i = name.indexOf('/', i + 1)) {
        entries.putIfAbsent(name.substring(0, i + 1), null);
      }
    }
    if (manifest == null && classPath != null) {
      manifest = new Manifest();
      manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    }
    if (classPath != null) {
      manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    }
    Path tmp = jar.resolveSibling(jar.getFileName() + ".normalizing");
    try (OutputStream os = Files.newOutputStream(tmp);
        ZipOutputStream out = new ZipOutputStream(os)) {
      if (manifest != null) {
        entries.putIfAbsent("META-INF/", null);
        put(out, "META-INF/", null, time);
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        manifest.write(m);
        put(out, JarFile.MANIFEST_NAME, m.toByteArray(), time);
      }
      for (var e : entries.entrySet()) {
        if (manifest != null && e.getKey().equals("META-INF/")) {
          continue;
        }
        put(out, e.getKey(), e.getValue(), time);
      }
    }
    Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void put(ZipOutputStream out, String name, byte[] data, LocalDateTime time)
      throws IOException {
    ZipEntry e = new ZipEntry(name);
    byte[] d = data == null ? new byte[0] : data;
    CRC32 crc = new CRC32();
    crc.update(d);
    e.setMethod(ZipEntry.STORED);
    e.setSize(d.length);
    e.setCompressedSize(d.length);
    e.setCrc(crc.getValue());
    e.setTimeLocal(time);
    out.putNextEntry(e);
    out.write(d);
    out.closeEntry();
  }
}
