package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Renders deploy/gramine/attest402-facilitator.manifest.template with the values of
 * manifest-vars.mk (as gramine-manifest would: plain {{ expr }} substitution; the template uses no
 * Jinja control flow), parses the TOML and checks every key the facilitator's JVM needs under
 * Gramine-SGX.
 */
class DeployManifestTest {
  static final String LIBOS = "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so";
  static final String RUNTIME = "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc";
  static Path root;
  static Map<String, String> vars;
  static TomlParseResult manifest;

  static Path repoRoot() {
    String prop = System.getProperty("attest402.root");
    if (prop != null
        && !prop.isBlank()
        && Files.exists(Path.of(prop, "contracts", "package.json"))) {
      return Path.of(prop);
    }
    for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        p != null;
        p = p.getParent()) {
      if (Files.exists(p.resolve("contracts").resolve("package.json"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root (set -Dattest402.root)");
  }

  /** {@code name ?= value} lines of a make fragment. */
  static Map<String, String> makeVars(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    Matcher mt = Pattern.compile("(?m)^([a-z_][a-z0-9_]*)\\s*\\?=\\s*(\\S.*?)\\s*$").matcher(text);
    while (mt.find()) {
      m.put(mt.group(1), mt.group(2));
    }
    return m;
  }

  static String render(String template, Map<String, String> values) {
    assertFalse(template.contains("{%"), "template must stay plain substitution");
    Matcher m = Pattern.compile("\\{\\{\\s*(.+?)\\s*\\}\\}").matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = values.get(m.group(1));
      if (v == null) {
        fail("template variable '" + m.group(1) + "' has no value in manifest-vars.mk");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  @BeforeAll
  static void renderAndParse() throws Exception {
    root = repoRoot();
    Path dir = root.resolve("deploy/gramine");
    vars = makeVars(Files.readString(dir.resolve("manifest-vars.mk")));
    Map<String, String> values = new LinkedHashMap<>(vars);
    values.put("gramine.libos", LIBOS);
    values.put("gramine.runtimedir()", RUNTIME);
    String rendered =
        render(Files.readString(dir.resolve("attest402-facilitator.manifest.template")), values);
    manifest = Toml.parse(rendered);
    assertTrue(
        manifest.errors().isEmpty(), () -> "TOML errors: " + manifest.errors() + "\n" + rendered);
    // every variable the Makefile passes is defined, and every -D the Makefile passes exists in the
    // vars
    String makefile = Files.readString(dir.resolve("Makefile"));
    Matcher d = Pattern.compile("-D([a-z_]+)=\\$\\(([a-z_]+)\\)").matcher(makefile);
    int n = 0;
    while (d.find()) {
      assertEquals(d.group(1), d.group(2));
      assertTrue(vars.containsKey(d.group(1)), "Makefile passes undefined " + d.group(1));
      n++;
    }
    assertEquals(
        vars.size(),
        n,
        "Makefile must pass every variable of manifest-vars.mk to gramine-manifest");
  }

  static long bytes(String size) {
    Matcher m = Pattern.compile("(\\d+)([KMGkmg]?)").matcher(size.trim());
    assertTrue(m.matches(), "size " + size);
    long v = Long.parseLong(m.group(1));
    switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "K":
        return v << 10;
      case "M":
        return v << 20;
      case "G":
        return v << 30;
      default:
        return v;
    }
  }

  static List<String> argv() {
    TomlArray a = manifest.getArray("loader.argv");
    assertNotNull(a, "loader.argv");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(a.getString(i));
    }
    return out;
  }

  static Optional<String> flag(String prefix) {
    return argv().stream()
        .filter(s -> s.startsWith(prefix))
        .map(s -> s.substring(prefix.length()))
        .findFirst();
  }

  static String after(String option) {
    List<String> a = argv();
    int i = a.indexOf(option);
    assertTrue(i >= 0 && i + 1 < a.size(), "argv needs " + option);
    return a.get(i + 1);
  }

  static List<String> strings(String key) {
    TomlArray a = manifest.getArray(key);
    assertNotNull(a, key);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(a.getString(i));
    }
    return out;
  }

  static List<TomlTable> mounts() {
    TomlArray a = manifest.getArray("fs.mounts");
    assertNotNull(a, "fs.mounts");
    List<TomlTable> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(a.getTable(i));
    }
    return out;
  }

  @Test
  void entrypointsAndFixedCommandLine() {
    String java = vars.get("java_home") + "/bin/java";
    assertEquals(java, manifest.getString("libos.entrypoint"));
    assertEquals("file:" + LIBOS, manifest.getString("loader.entrypoint.uri"));
    assertEquals(java, argv().get(0));
    assertNotEquals(Boolean.TRUE, manifest.getBoolean("loader.insecure__use_cmdline_argv"));
    assertEquals(null, manifest.get("loader.env_src_file"));
    assertTrue(manifest.keySet().stream().noneMatch(k -> k.contains("insecure")));
    assertEquals(vars.get("heap"), flag("-Xmx").orElseThrow());
    assertEquals(vars.get("cpus"), flag("-XX:ActiveProcessorCount=").orElseThrow());
    assertTrue(Integer.parseInt(vars.get("cpus")) >= 1);
    assertEquals("true", flag("-Dio.netty.transport.noNative=").orElseThrow());
    // The enclave artifact's jar runs the facilitator command itself (its Main-Class): no launcher,
    // no subcommand.
    assertEquals(vars.get("app_dir") + "/attest402-facilitator.jar", after("-jar"));
    assertFalse(argv().contains("facilitator"));
    assertEquals("gramine", after("--tee"));
    assertEquals(vars.get("app_dir") + "/deployment.json", after("--deployment"));
    assertEquals(vars.get("port"), after("--port"));
    assertTrue(
        manifest.getString("loader.env.LD_LIBRARY_PATH").contains(vars.get("java_home") + "/lib"));
  }

  static void assertNotEquals(Object unexpected, Object actual) {
    assertFalse(unexpected.equals(actual), "unexpected " + actual);
  }

  @Test
  void sgxSettingsForAnAttestedJvm() {
    assertEquals("dcap", manifest.getString("sgx.remote_attestation"));
    assertEquals(Boolean.FALSE, manifest.getBoolean("sgx.debug"));
    assertEquals(Boolean.TRUE, manifest.getBoolean("sgx.use_exinfo"));
    assertNotEquals(Boolean.TRUE, manifest.getBoolean("sgx.edmm_enable"));
    long threads = manifest.getLong("sgx.max_threads");
    assertTrue(threads >= 64, "OpenJDK needs at least 64 enclave threads, got " + threads);
    assertEquals(402L, manifest.getLong("sgx.isvprodid"));
    assertNotNull(manifest.getLong("sgx.isvsvn"));
  }

  @Test
  void enclaveIsLargeEnoughForTheHeapAndTheJvm() {
    long enclave = bytes(manifest.getString("sgx.enclave_size"));
    assertEquals(0, enclave & (enclave - 1), "sgx.enclave_size must be a power of two");
    long heap = bytes(flag("-Xmx").orElseThrow());
    long metaspace = bytes(flag("-XX:MaxMetaspaceSize=").orElseThrow());
    long code = bytes(flag("-XX:ReservedCodeCacheSize=").orElseThrow());
    long classes = bytes(flag("-XX:CompressedClassSpaceSize=").orElseThrow());
    long stacks = manifest.getLong("sgx.max_threads") * bytes(flag("-Xss").orElseThrow());
    long overhead = 1L << 30;
    long need = heap + metaspace + code + classes + stacks + overhead;
    assertTrue(enclave >= need, "enclave " + enclave + " < heap + JVM + Gramine " + need);
    assertTrue(bytes(flag("-Xms").orElseThrow()) <= heap);
  }

  @Test
  void trustedFilesCoverTheJdkTheJarsAndTheDeployment() {
    List<String> trusted = strings("sgx.trusted_files");
    String app = vars.get("app_dir");
    for (String must :
        List.of(
            "file:" + vars.get("java_home") + "/",
            "file:" + app + "/attest402-facilitator.jar",
            "file:" + app + "/lib/",
            "file:" + app + "/deployment.json",
            "file:" + LIBOS,
            "file:" + RUNTIME + "/",
            "file:" + vars.get("arch_libdir") + "/")) {
      assertTrue(trusted.contains(must), "trusted_files lacks " + must);
    }
    List<TomlTable> mounts = mounts();
    for (String t : trusted) {
      String host = t.substring("file:".length());
      assertTrue(
          mounts.stream()
              .anyMatch(
                  m ->
                      m.getString("uri") != null
                          && host.startsWith(m.getString("uri").substring("file:".length()))),
          t + " is not under any mount");
    }
  }

  @Test
  void dataDirectoryIsSealedAndUntrustedInputsAreKeptApart() {
    String data = vars.get("data_dir");
    assertEquals(data, after("--data-dir"));
    TomlTable dataMount =
        mounts().stream()
            .filter(m -> data.equals(m.getString("path")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no mount for " + data));
    assertEquals("encrypted", dataMount.getString("type"));
    assertEquals("_sgx_mrenclave", dataMount.getString("key_name"));
    assertTrue(
        mounts().stream()
            .anyMatch(
                m -> "/tmp".equals(m.getString("path")) && "tmpfs".equals(m.getString("type"))),
        "/tmp must be an in-enclave tmpfs");
    List<String> allowed = strings("sgx.allowed_files");
    assertFalse(allowed.isEmpty());
    for (String a : allowed) {
      String p = a.substring("file:".length());
      for (String protectedDir :
          List.of(vars.get("app_dir"), vars.get("java_home"), data, vars.get("arch_libdir"))) {
        assertFalse(
            p.startsWith(protectedDir) || protectedDir.startsWith(p.replaceAll("/$", "")),
            a + " overlaps " + protectedDir);
      }
    }
    assertTrue(strings("sgx.trusted_files").stream().noneMatch(t -> t.contains(data)));
  }

  @Test
  void theJournalStoreAndItsPasswordFilePassThroughTheManifest() {
    assertEquals(vars.get("store"), after("--store"));
    String pw = vars.get("store_password_file");
    assertEquals(pw, after("--store-password-file"));
    String dir = vars.get("store_secret_dir");
    assertTrue(pw.startsWith(dir + "/"), pw + " lies in " + dir);
    assertTrue(
        mounts().stream().anyMatch(m -> dir.equals(m.getString("path"))),
        "the password's directory is mounted into the enclave");
    // a per-deployment secret: allowed (read unmeasured), never trusted, never in the sealed dir
    assertTrue(strings("sgx.allowed_files").contains("file:" + pw));
    assertTrue(strings("sgx.trusted_files").stream().noneMatch(t -> t.contains(dir)));
    assertFalse(pw.startsWith(vars.get("data_dir")));
    // the measured argv never holds a password
    String store = vars.get("store");
    assertTrue(
        store.equals("sqlite")
            || (store.startsWith("postgresql://")
                && !java.net.URI.create(store).getUserInfo().contains(":")),
        store);
  }

  @Test
  void containerFilesBuildOnGramineAndAPlainJre() throws Exception {
    String fac = Files.readString(root.resolve("deploy/Dockerfile.facilitator"));
    assertTrue(fac.contains("gramineproject/gramine"), "facilitator image builds on Gramine");
    assertTrue(fac.contains("make manifest") && fac.contains("make sign"));
    assertTrue(
        fac.contains("--mount=type=secret,id=enclave-key"), "signing key only as a build secret");
    assertTrue(fac.contains("ENTRYPOINT [\"gramine-sgx\", \"attest402-facilitator\"]"));
    assertTrue(
        fac.contains("enclave-facilitator/target/enclave/lib/ /app/lib/")
            && fac.contains(
                "enclave-facilitator/target/enclave/attest402-facilitator.jar /app/attest402-facilitator.jar"));
    assertFalse(
        fac.contains("cli/target"),
        "the enclave holds the facilitator artifact, not the launcher's lib/");
    assertTrue(fac.contains("make policy"));
    String prov = Files.readString(root.resolve("deploy/Dockerfile.provider"));
    assertTrue(prov.contains("-jre") && prov.contains("\"provider\""));
    assertFalse(prov.contains("gramine"));
    String readme = Files.readString(root.resolve("deploy/README.md"));
    for (String topic :
        List.of(
            "DCsv3",
            "PCCS",
            "aesmd",
            "configfs",
            "MRENCLAVE",
            "mrSigner",
            "rtmr",
            "Funding",
            "new key")) {
      assertTrue(readme.contains(topic), "deploy/README.md should cover " + topic);
    }
  }

  /**
   * deploy/gramine/sigstruct-to-policy.py turns gramine-sgx-sigstruct-view's JSON into the pinned
   * policy.
   */
  @Test
  void sigstructViewBecomesThePolicyClientsPin(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        python3(), "python3 is not installed (Gramine's tools need it)");
    String mr = "ab".repeat(32);
    String view =
        "{\"mr_enclave\": \""
            + mr
            + "\", \"mr_signer\": \""
            + "cd".repeat(32)
            + "\", \"isv_prod_id\": 402, \"isv_svn\": 3, \"debug_enclave\": false}";
    var policy =
        io.attest402.verifier.VerificationPolicy.fromJson(sigstructToPolicy(tmp, view, false, 0));
    assertEquals(mr, java.util.HexFormat.of().formatHex(policy.mrEnclave().orElseThrow()));
    var signer =
        io.attest402.verifier.VerificationPolicy.fromJson(sigstructToPolicy(tmp, view, true, 0));
    assertEquals(402, signer.isvProdId().orElseThrow());
    assertEquals(3, signer.minIsvSvn().orElseThrow());
    sigstructToPolicy(
        tmp, view.replace("\"debug_enclave\": false", "\"debug_enclave\": true"), false, 1);
  }

  static boolean python3() {
    try {
      return new ProcessBuilder("python3", "--version").start().waitFor() == 0;
    } catch (java.io.IOException | InterruptedException e) {
      return false;
    }
  }

  String sigstructToPolicy(Path tmp, String view, boolean signer, int exit) throws Exception {
    Path in = Files.writeString(tmp.resolve("view.json"), view);
    ProcessBuilder pb =
        new ProcessBuilder(
            "python3", root.resolve("deploy/gramine/sigstruct-to-policy.py").toString());
    if (signer) {
      pb.command().add("--signer");
    }
    Process p =
        pb.redirectInput(in.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(exit, p.exitValue(), out);
    return out;
  }
}
