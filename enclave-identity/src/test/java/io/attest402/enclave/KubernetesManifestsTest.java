package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders deploy/kubernetes (each overlay: its resources, the base's, the store ConfigMap its
 * generator makes, the image override) and checks the invariants a replicated deployment needs:
 * facilitator pods on SGX nodes with the EPC the Gramine manifest reserves, probes on {@code
 * /health} at the port the manifest listens on, a Service and a PodDisruptionBudget that select
 * those pods, the database password only as a mounted Secret passed as {@code
 * --store-password-file}, and a store URL without a password. Where {@code kubectl} is installed
 * the same checks also run on {@code kubectl kustomize}'s output, which must hold the same objects.
 */
class KubernetesManifestsTest {
  static final String FACILITATOR = "attest402-facilitator";
  static final String APP_LABEL = "app.kubernetes.io/name";

  static Path k8s() {
    return DeployManifestTest.repoRoot().resolve("deploy").resolve("kubernetes");
  }

  static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  // -------------------------------------------------------------------------------- a small
  // kustomize

  /**
   * The objects {@code kustomization.yaml} in {@code dir} yields (the subset of kustomize used).
   */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> render(Path dir) throws IOException {
    Path kf = dir.resolve("kustomization.yaml");
    assertTrue(Files.isRegularFile(kf), "no kustomization.yaml in " + dir);
    Map<String, Object> k = yaml().load(Files.readString(kf));
    assertEquals("Kustomization", k.get("kind"), kf.toString());
    List<Map<String, Object>> out = new ArrayList<>();
    for (String r : (List<String>) k.getOrDefault("resources", List.of())) {
      Path p = dir.resolve(r).normalize();
      assertTrue(Files.exists(p), kf + " names a missing resource " + r);
      if (Files.isDirectory(p)) {
        out.addAll(render(p));
      } else {
        for (Object doc : yaml().loadAll(Files.readString(p))) {
          assertNotNull(doc, "empty document in " + p);
          out.add((Map<String, Object>) doc);
        }
      }
    }
    for (Map<String, Object> g :
        (List<Map<String, Object>>) k.getOrDefault("configMapGenerator", List.of())) {
      Map<String, Object> data = new java.util.LinkedHashMap<>();
      for (String lit : (List<String>) g.get("literals")) {
        int eq = lit.indexOf('=');
        data.put(lit.substring(0, eq), lit.substring(eq + 1));
      }
      out.add(
          Map.of(
              "apiVersion",
              "v1",
              "kind",
              "ConfigMap",
              "metadata",
              Map.of("name", g.get("name")),
              "data",
              data));
    }
    for (Map<String, Object> img :
        (List<Map<String, Object>>) k.getOrDefault("images", List.of())) {
      String image = img.get("newName") + ":" + img.get("newTag");
      for (Map<String, Object> o : out) {
        for (Map<String, Object> c : containers(o)) {
          if (img.get("name").equals(c.get("image"))) {
            c.put("image", image);
          }
        }
      }
    }
    return out;
  }

  static Optional<List<Map<String, Object>>> kubectlKustomize(Path dir) throws Exception {
    Optional<Path> kubectl =
        Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
            .filter(s -> !s.isEmpty())
            .map(s -> Path.of(s, "kubectl"))
            .filter(Files::isExecutable)
            .findFirst();
    if (kubectl.isEmpty()) {
      return Optional.empty();
    }
    Process p =
        new ProcessBuilder(kubectl.get().toString(), "kustomize", dir.toString())
            .redirectErrorStream(true)
            .start();
    byte[] outBytes = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "kubectl kustomize did not finish");
    String text = new String(outBytes, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ":\n" + text);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Object doc : yaml().loadAll(text)) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) doc;
      out.add(m);
    }
    return Optional.of(out);
  }

  // -------------------------------------------------------------------------------- navigation

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o, String... path) {
    Object cur = o;
    for (String k : path) {
      assertTrue(cur instanceof Map, "no map at " + k);
      cur = ((Map<String, Object>) cur).get(k);
      assertNotNull(cur, "missing " + String.join(".", path));
    }
    return (Map<String, Object>) cur;
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> list(Map<String, Object> m, String key) {
    return (List<Map<String, Object>>) m.getOrDefault(key, List.of());
  }

  static List<Map<String, Object>> containers(Map<String, Object> o) {
    if (!"StatefulSet".equals(o.get("kind")) && !"Deployment".equals(o.get("kind"))) {
      return List.of();
    }
    return list(map(o, "spec", "template", "spec"), "containers");
  }

  static String name(Map<String, Object> o) {
    return (String) map(o, "metadata").get("name");
  }

  static Map<String, Object> find(List<Map<String, Object>> objs, String kind, String name) {
    return objs.stream()
        .filter(o -> kind.equals(o.get("kind")) && name.equals(name(o)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }

  static Optional<Map<String, Object>> maybe(
      List<Map<String, Object>> objs, String kind, String name) {
    return objs.stream()
        .filter(o -> kind.equals(o.get("kind")) && name.equals(name(o)))
        .findFirst();
  }

  /** Kubernetes quantity in bytes (Ki/Mi/Gi), for comparing with make's 8G. */
  static long bytes(String q) {
    assertNotNull(q, "quantity");
    String s = q.trim();
    long unit = 1;
    for (String[] u : new String[][] {{"Ki", "10"}, {"Mi", "20"}, {"Gi", "30"}, {"Ti", "40"}}) {
      if (s.endsWith(u[0])) {
        unit = 1L << Integer.parseInt(u[1]);
        s = s.substring(0, s.length() - 2);
      }
    }
    return Long.parseLong(s) * unit;
  }

  /** make's 8G / 512M as the enclave_size is written (binary units, as Gramine reads them). */
  static long makeBytes(String q) {
    char last = q.charAt(q.length() - 1);
    long n = Long.parseLong(q.substring(0, q.length() - 1));
    return switch (last) {
      case 'K' -> n << 10;
      case 'M' -> n << 20;
      case 'G' -> n << 30;
      default -> throw new AssertionError("unexpected enclave_size " + q);
    };
  }

  // -------------------------------------------------------------------------------- invariants

  static void checkDeployment(List<Map<String, Object>> objs, boolean selfHostedDb)
      throws IOException {
    Map<String, String> vars =
        DeployManifestTest.makeVars(
            Files.readString(
                DeployManifestTest.repoRoot().resolve("deploy/gramine/manifest-vars.mk")));
    Map<String, Object> sts = find(objs, "StatefulSet", FACILITATOR);
    Map<String, Object> spec = map(sts, "spec");
    assertTrue(((Number) spec.get("replicas")).intValue() >= 2, "replicas");
    Map<String, Object> selector = map(spec, "selector", "matchLabels");
    Map<String, Object> podLabels = map(spec, "template", "metadata", "labels");
    assertEquals(FACILITATOR, podLabels.get(APP_LABEL));
    selector.forEach((k, v) -> assertEquals(v, podLabels.get(k), "selector " + k));
    Map<String, Object> pod = map(spec, "template", "spec");
    assertEquals("true", map(pod, "nodeSelector").get("intel.feature.node.kubernetes.io/sgx"));
    // each replica keeps its own sealed data: a claim per pod
    List<Map<String, Object>> claims = list(spec, "volumeClaimTemplates");
    assertEquals(1, claims.size(), "one data claim per replica");

    List<Map<String, Object>> cs = containers(sts);
    assertEquals(1, cs.size());
    Map<String, Object> c = cs.get(0);
    assertTrue(
        ((String) c.get("image")).contains(FACILITATOR) && ((String) c.get("image")).contains(":"),
        "the Gramine image, overridden to a registry and tag: " + c.get("image"));
    Map<String, Object> requests = map(c, "resources", "requests");
    Map<String, Object> limits = map(c, "resources", "limits");
    long epc = makeBytes(vars.get("enclave_size"));
    assertEquals(epc, bytes((String) requests.get("sgx.intel.com/epc")), "EPC request");
    assertEquals(epc, bytes((String) limits.get("sgx.intel.com/epc")), "EPC limit");
    assertNotNull(requests.get("sgx.intel.com/enclave"));
    assertNotNull(requests.get("sgx.intel.com/provision"), "DCAP quotes need the provision device");

    List<Map<String, Object>> ports = list(c, "ports");
    Map<String, Object> http =
        ports.stream().filter(p -> "http".equals(p.get("name"))).findFirst().orElseThrow();
    assertEquals(
        Integer.parseInt(vars.get("port")), ((Number) http.get("containerPort")).intValue());
    for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
      Map<String, Object> get = map(c, probe, "httpGet");
      assertEquals("/health", get.get("path"), probe);
      assertEquals("http", get.get("port"), probe);
    }

    // the password: a Secret volume mounted read-only, its file passed as --store-password-file
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) c.get("args");
    int pf = args.indexOf("--store-password-file");
    assertTrue(pf >= 0 && pf + 1 < args.size(), "--store-password-file FILE");
    Path passwordFile = Path.of(args.get(pf + 1));
    Map<String, Object> secretVolume =
        list(pod, "volumes").stream()
            .filter(v -> v.get("secret") != null)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no Secret volume"));
    assertEquals("attest402-db", map(secretVolume, "secret").get("secretName"));
    Map<String, Object> mount =
        list(c, "volumeMounts").stream()
            .filter(m -> secretVolume.get("name").equals(m.get("name")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("Secret volume not mounted"));
    assertEquals(Boolean.TRUE, mount.get("readOnly"));
    assertTrue(
        passwordFile.startsWith(Path.of((String) mount.get("mountPath"))),
        passwordFile + " lies in the Secret mount");
    String item = passwordFile.getFileName().toString();
    assertTrue(
        list(map(secretVolume, "secret"), "items").stream()
            .anyMatch(i -> item.equals(i.get("path"))),
        "the Secret provides " + item);
    for (Map<String, Object> e : list(c, "env")) {
      assertFalse(
          String.valueOf(e.get("name")).toUpperCase(java.util.Locale.ROOT).contains("PASSWORD"),
          "no password in the environment: " + e.get("name"));
    }
    // no Secret object is committed: the operator creates it
    assertTrue(objs.stream().noneMatch(o -> "Secret".equals(o.get("kind"))), "no committed Secret");

    // --store: the URL from the overlay's ConfigMap, without a password
    int st = args.indexOf("--store");
    assertTrue(st >= 0 && st + 1 < args.size(), "--store URL");
    String ref = args.get(st + 1);
    assertTrue(ref.startsWith("$(") && ref.endsWith(")"), "store URL from an env var: " + ref);
    String var = ref.substring(2, ref.length() - 1);
    Map<String, Object> env =
        list(c, "env").stream().filter(e -> var.equals(e.get("name"))).findFirst().orElseThrow();
    Map<String, Object> cmRef = map(env, "valueFrom", "configMapKeyRef");
    Map<String, Object> cm = find(objs, "ConfigMap", (String) cmRef.get("name"));
    String url = (String) map(cm, "data").get(cmRef.get("key"));
    assertNotNull(url, "store URL");
    URI u = URI.create(url);
    assertEquals("postgresql", u.getScheme());
    assertFalse(u.getUserInfo().contains(":"), "no password in the store URL: " + url);
    assertTrue(u.getPort() > 0 && u.getPath().length() > 1, "host:port/db in " + url);

    // Gramine runs the argv measured in its manifest, not these args: the image's manifest must
    // carry the same password file (deploy/gramine/manifest-vars.mk), mounted and allowed there
    assertEquals(
        vars.get("store_password_file"),
        passwordFile.toString(),
        "the password file the Gramine manifest passes as --store-password-file");
    assertEquals(
        vars.get("store_secret_dir"),
        mount.get("mountPath"),
        "the Secret is mounted where the Gramine manifest mounts it into the enclave");

    // the Service and the PodDisruptionBudget select exactly the facilitator pods
    Map<String, Object> svc = find(objs, "Service", FACILITATOR);
    assertEquals(selector, map(svc, "spec", "selector"));
    assertEquals("http", list(map(svc, "spec"), "ports").get(0).get("targetPort"));
    Map<String, Object> pods = find(objs, "Service", (String) spec.get("serviceName"));
    assertEquals(
        "None", map(pods, "spec").get("clusterIP"), "the StatefulSet's Service is headless");
    assertEquals(selector, map(pods, "spec", "selector"));
    Map<String, Object> pdb = find(objs, "PodDisruptionBudget", FACILITATOR);
    assertEquals(selector, map(pdb, "spec", "selector", "matchLabels"));
    Object maxUnavailable = map(pdb, "spec").get("maxUnavailable");
    assertEquals(1, ((Number) maxUnavailable).intValue(), "one enclave at a time");

    Optional<Map<String, Object>> pg = maybe(objs, "StatefulSet", "attest402-postgres");
    assertEquals(selfHostedDb, pg.isPresent(), "PostgreSQL StatefulSet only when self-hosted");
    if (selfHostedDb) {
      Map<String, Object> pgSvc = find(objs, "Service", u.getHost());
      Map<String, Object> pgPodLabels = map(pg.get(), "spec", "template", "metadata", "labels");
      map(pgSvc, "spec", "selector")
          .forEach((k, v) -> assertEquals(v, pgPodLabels.get(k), "postgres Service selector"));
      assertEquals(
          u.getPort(), ((Number) list(map(pgSvc, "spec"), "ports").get(0).get("port")).intValue());
      Map<String, Object> pgc = containers(pg.get()).get(0);
      Map<String, Map<String, Object>> pgEnv =
          list(pgc, "env").stream().collect(Collectors.toMap(e -> (String) e.get("name"), e -> e));
      assertEquals(u.getUserInfo(), pgEnv.get("POSTGRES_USER").get("value"));
      assertEquals(u.getPath().substring(1), pgEnv.get("POSTGRES_DB").get("value"));
      assertFalse(pgEnv.containsKey("POSTGRES_PASSWORD"), "the password only as a file");
      assertEquals(
          passwordFile.toString(),
          pgEnv.get("POSTGRES_PASSWORD_FILE").get("value"),
          "the database reads the same Secret file");
      assertEquals(1, list(map(pg.get(), "spec"), "volumeClaimTemplates").size(), "PGDATA volume");
    } else {
      assertFalse(u.getHost().startsWith("attest402-"), "an external host: " + url);
    }
  }

  static Set<String> kindsAndNames(List<Map<String, Object>> objs) {
    return objs.stream()
        .map(o -> o.get("kind") + "/" + name(o))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"self-hosted-postgres", "external-postgres"})
  void overlayRendersADeploymentThatHoldsTheInvariants(String overlay) throws Exception {
    Path dir = k8s().resolve("overlays").resolve(overlay);
    boolean selfHosted = overlay.equals("self-hosted-postgres");
    List<Map<String, Object>> objs = render(dir);
    checkDeployment(objs, selfHosted);
    Optional<List<Map<String, Object>>> kubectl = kubectlKustomize(dir);
    if (kubectl.isPresent()) {
      assertEquals(kindsAndNames(objs), kindsAndNames(kubectl.get()), "kubectl kustomize agrees");
      checkDeployment(kubectl.get(), selfHosted);
    }
  }

  @Test
  void invariantChecksRefuseABrokenDeployment() throws Exception {
    // the checks can fail: a PDB that selects other pods, a password in the URL, a missing EPC
    List<Map<String, Object>> objs = render(k8s().resolve("overlays/self-hosted-postgres"));
    map(find(objs, "PodDisruptionBudget", FACILITATOR), "spec", "selector", "matchLabels")
        .put(APP_LABEL, "something-else");
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> checkDeployment(objs, true));

    List<Map<String, Object>> objs2 = render(k8s().resolve("overlays/external-postgres"));
    map(find(objs2, "ConfigMap", "attest402-store"), "data")
        .put("url", "postgresql://attest402:hunter2@db.example.internal:5432/attest402");
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> checkDeployment(objs2, false));

    List<Map<String, Object>> objs3 = render(k8s().resolve("overlays/external-postgres"));
    map(containers(find(objs3, "StatefulSet", FACILITATOR)).get(0), "resources", "requests")
        .remove("sgx.intel.com/epc");
    org.junit.jupiter.api.Assertions.assertThrows(
        AssertionError.class, () -> checkDeployment(objs3, false));
  }
}
