package io.attest402.pcs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PCS on loopback: the Intel PCS v4 API for the attest402 simulation CA's collateral, so that the
 * facilitator (with {@code --tee simulated}), validators and agents fetch collateral over HTTP
 * exactly as they would from Intel PCS or a PCCS on hardware. Routes, as Intel serves them:
 *
 * <ul>
 *   <li>{@code GET /sgx/certification/v4/tcb?fmspc=X}, {@code GET
 *       /tdx/certification/v4/tcb?fmspc=X}: {@code {"tcbInfo":{...},"signature":"<hex r||s>"}},
 *       header {@code TCB-Info-Issuer-Chain};
 *   <li>{@code GET /sgx/certification/v4/qe/identity}, {@code GET
 *       /tdx/certification/v4/qe/identity}: {@code {"enclaveIdentity":{...},"signature":"..."}},
 *       header {@code SGX-Enclave-Identity-Issuer-Chain};
 *   <li>{@code GET /sgx/certification/v4/pckcrl?ca=platform&encoding=der}: the DER CRL (PEM without
 *       {@code encoding=der}), header {@code SGX-PCK-CRL-Issuer-Chain};
 *   <li>{@code GET /sgx/certification/v4/rootcacrl}: the root CA CRL, DER (the PCCS route; Intel
 *       serves it from its certificate host).
 * </ul>
 *
 * Issuer-chain headers carry URL-encoded PEM, as Intel's do. An FMSPC or CA the simulation does not
 * have answers 404. Thread-safe; {@link #close()} stops it.
 */
public final class SimulatedPcs implements AutoCloseable {
  /** Where the collateral comes from (tests substitute stale or tampered collateral). */
  @FunctionalInterface
  public interface Source {
    Collateral collateral(TeeType tee);
  }

  /** Collateral is issued this long before it is generated, to tolerate verifier clock skew. */
  public static final Duration BACKDATE = Duration.ofHours(1);

  private final HttpServer server;
  private final ExecutorService executor;
  private final Source source;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

  private SimulatedPcs(HttpServer server, ExecutorService executor, Source source) {
    this.server = server;
    this.executor = executor;
    this.source = source;
  }

  /**
   * A PCS for the simulated facilitator whose data directory is {@code dataDir}: its simulation CA,
   * created there first as the facilitator would create it, so the PCS can run before the
   * facilitator starts.
   */
  public static SimulatedPcs forDataDir(java.nio.file.Path dataDir, Clock clock)
      throws io.attest402.enclave.tee.TeeException {
    return start(io.attest402.enclave.tee.SimulatedBackend.loadOrCreateCa(dataDir, clock), clock);
  }

  /**
   * A PCS on 127.0.0.1 (free port) serving {@code ca}'s collateral, regenerated as it ages (see
   * {@link #fromCa}).
   */
  public static SimulatedPcs start(SimulationCa ca, Clock clock) {
    return start("127.0.0.1", 0, fromCa(ca, clock));
  }

  /** A PCS on {@code host:port} (0 = free port) serving what {@code source} gives. */
  public static SimulatedPcs start(String host, int port, Source source) {
    Objects.requireNonNull(source, "source");
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot listen on " + host + ":" + port, e);
    }
    ExecutorService ex =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "simulated-pcs");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(ex);
    SimulatedPcs pcs = new SimulatedPcs(server, ex, source);
    server.createContext("/", pcs::handle);
    server.start();
    return pcs;
  }

  /**
   * The simulator's collateral for {@code ca}: issued {@link #BACKDATE} before it is generated and
   * regenerated once half of its validity ({@link DcapSimulator#COLLATERAL_VALIDITY}) has passed,
   * or when the clock went backwards.
   */
  public static Source fromCa(SimulationCa ca, Clock clock) {
    DcapSimulator sim = new DcapSimulator(ca);
    Map<TeeType, Collateral> cache = new EnumMap<>(TeeType.class);
    Map<TeeType, Instant> issued = new EnumMap<>(TeeType.class);
    return tee -> {
      synchronized (cache) {
        Instant now = clock.instant();
        Instant at = issued.get(tee);
        if (at == null
            || now.isBefore(at)
            || now.isAfter(at.plus(DcapSimulator.COLLATERAL_VALIDITY.dividedBy(2)))) {
          at = now.minus(BACKDATE);
          issued.put(tee, at);
          cache.put(tee, sim.collateral(tee, at));
        }
        return cache.get(tee);
      }
    };
  }

  /** The base URL to pass as {@code --pccs}. */
  public URI url() {
    return URI.create(
        "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort());
  }

  /** Requests answered 200 so far per path (e.g. {@code /sgx/certification/v4/tcb}); for tests. */
  public int served(String path) {
    AtomicInteger n = hits.get(path);
    return n == null ? 0 : n.get();
  }

  /** Requests answered 200 so far, all paths. */
  public int served() {
    return hits.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      if (!"GET".equals(x.getRequestMethod())) {
        send(
            x,
            405,
            "application/json",
            json("method not allowed").getBytes(StandardCharsets.UTF_8),
            null,
            null);
        return;
      }
      String path = x.getRequestURI().getPath();
      Map<String, String> q = query(x.getRequestURI());
      String tee = path.startsWith("/tdx/") ? "tdx" : path.startsWith("/sgx/") ? "sgx" : null;
      TeeType type = "tdx".equals(tee) ? TeeType.TDX : TeeType.SGX;
      String rest = tee == null ? path : path.substring(4);
      switch (rest) {
        case "/certification/v4/tcb" -> {
          Collateral c = source.collateral(type);
          String fmspc = fmspcOf(c.tcbInfo());
          if (!fmspc.equalsIgnoreCase(q.getOrDefault("fmspc", ""))) {
            notFound(
                x, "no TCB info for fmspc " + q.get("fmspc") + " (this PCS knows " + fmspc + ")");
            return;
          }
          ok(
              x,
              path,
              "application/json",
              signed("tcbInfo", c.tcbInfo(), c.tcbInfoSignature()),
              "TCB-Info-Issuer-Chain",
              c.tcbInfoIssuerChain());
        }
        case "/certification/v4/qe/identity" -> {
          Collateral c = source.collateral(type);
          ok(
              x,
              path,
              "application/json",
              signed("enclaveIdentity", c.qeIdentity(), c.qeIdentitySignature()),
              "SGX-Enclave-Identity-Issuer-Chain",
              c.qeIdentityIssuerChain());
        }
        case "/certification/v4/pckcrl" -> {
          if (type != TeeType.SGX || !"platform".equals(q.get("ca"))) {
            notFound(
                x,
                "no PCK CRL for ca=" + q.get("ca") + " (the simulation's PCK CA is a platform CA)");
            return;
          }
          Collateral c = source.collateral(TeeType.SGX);
          byte[] der = c.pckCrl();
          boolean derWanted = "der".equals(q.get("encoding"));
          ok(
              x,
              path,
              derWanted ? "application/pkix-crl" : "application/x-pem-file",
              derWanted ? der : pem(der),
              "SGX-PCK-CRL-Issuer-Chain",
              c.pckCrlIssuerChain());
        }
        case "/certification/v4/rootcacrl" -> {
          if (type != TeeType.SGX) {
            notFound(x, "the root CA CRL is served under /sgx");
            return;
          }
          ok(
              x,
              path,
              "application/pkix-crl",
              source.collateral(TeeType.SGX).rootCaCrl(),
              null,
              null);
        }
        default -> notFound(x, "no route " + path);
      }
    } catch (RuntimeException e) {
      send(
          x,
          500,
          "application/json",
          json("collateral source failed: " + e).getBytes(StandardCharsets.UTF_8),
          null,
          null);
    }
  }

  private void ok(
      HttpExchange x, String path, String type, byte[] body, String header, String chain)
      throws IOException {
    hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    send(x, 200, type, body, header, chain);
  }

  private static void notFound(HttpExchange x, String why) throws IOException {
    send(x, 404, "application/json", json(why).getBytes(StandardCharsets.UTF_8), null, null);
  }

  private static void send(
      HttpExchange x, int status, String type, byte[] body, String header, String chain)
      throws IOException {
    x.getResponseHeaders().set("Content-Type", type);
    if (header != null) {
      x.getResponseHeaders().set(header, issuerChainHeader(chain));
    }
    x.sendResponseHeaders(status, body.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(body);
    }
  }

  /** PEM URL-encoded as Intel PCS sends it (percent-encoding, spaces as %20). */
  static String issuerChainHeader(String pem) {
    return URLEncoder.encode(pem, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The PCS body: the exact signed JSON text of the object, then its signature as hex. */
  private static byte[] signed(String field, String raw, byte[] signature) {
    return ("{\""
            + field
            + "\":"
            + raw
            + ",\"signature\":\""
            + HexFormat.of().formatHex(signature)
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] pem(byte[] der) {
    return ("-----BEGIN X509 CRL-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der)
            + "\n-----END X509 CRL-----\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static String json(String error) {
    return "{\"error\":\"" + error.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
      String v = i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static String fmspcOf(String tcbInfo) {
    try {
      return MAPPER.readTree(tcbInfo).path("fmspc").asText();
    } catch (IOException e) {
      throw new IllegalStateException("the collateral source's TCB info is not JSON", e);
    }
  }
}
