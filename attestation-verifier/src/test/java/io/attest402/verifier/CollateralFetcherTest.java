package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PCS/PCCS fetcher against a loopback server serving the recorded collateral of dcapqvl_sgx_v3.
 */
class CollateralFetcherTest {
  HttpServer server;
  final AtomicInteger requests = new AtomicInteger();
  final Map<String, Boolean> missing = new ConcurrentHashMap<>();
  final Vectors.Vector v = Vectors.byId("dcapqvl_sgx_v3");
  final Collateral recorded = v.collateral();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    route(
        "/sgx/certification/v4/tcb",
        "{\"tcbInfo\":"
            + recorded.tcbInfo()
            + ",\"signature\":\""
            + Hex.encode(recorded.tcbInfoSignature())
            + "\"}",
        "TCB-Info-Issuer-Chain",
        recorded.tcbInfoIssuerChain());
    route(
        "/sgx/certification/v4/qe/identity",
        "{\"enclaveIdentity\":"
            + recorded.qeIdentity()
            + ",\"signature\":\""
            + Hex.encode(recorded.qeIdentitySignature())
            + "\"}",
        "SGX-Enclave-Identity-Issuer-Chain",
        recorded.qeIdentityIssuerChain());
    routeBytes(
        "/sgx/certification/v4/pckcrl",
        recorded.pckCrl(),
        "SGX-PCK-CRL-Issuer-Chain",
        recorded.pckCrlIssuerChain());
    // PCCS serves the root CA CRL as hex text
    routeBytes(
        "/sgx/certification/v4/rootcacrl",
        Hex.encode(recorded.rootCaCrl()).getBytes(StandardCharsets.US_ASCII),
        null,
        null);
    server.start();
  }

  void route(String path, String body, String header, String chain) {
    routeBytes(path, body.getBytes(StandardCharsets.UTF_8), header, chain);
  }

  void routeBytes(String path, byte[] body, String header, String chain) {
    server.createContext(
        path,
        ex -> {
          requests.incrementAndGet();
          if (missing.containsKey(path)) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
          }
          if (header != null) {
            ex.getResponseHeaders().add(header, URLEncoder.encode(chain, StandardCharsets.UTF_8));
          }
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  CollateralFetcher fetcher(Instant now) {
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    return CollateralFetcher.builder()
        .baseUrl(base)
        .clock(Clock.fixed(now, ZoneOffset.UTC))
        .build();
  }

  @Test
  void fetchedCollateralVerifiesLikeTheRecordedOneAndIsCached() throws Exception {
    CollateralFetcher f = fetcher(v.at());
    Collateral c = f.fetch(v.quote());
    assertEquals(recorded.tcbInfo(), c.tcbInfo());
    Verdict d = new QuoteVerifier().verify(v.quote(), c, v.at(), Vectors.reportingPolicy());
    assertTrue(d.ok(), d::toString);
    assertEquals("ConfigurationAndSWHardeningNeeded", d.status().get().text());
    int after = requests.get();
    assertEquals(4, after);
    f.fetch(v.quote());
    assertEquals(after, requests.get(), "second fetch must come from the cache");
    assertEquals(4, f.cachedPieces());
  }

  @Test
  void stalePiecesAreRefetchedAndRefused() throws Exception {
    Instant late = Instant.ofEpochSecond(v.window()[1] + 3600);
    QuoteVerificationException e =
        assertThrows(QuoteVerificationException.class, () -> fetcher(late).fetch(v.quote()));
    assertEquals(Kind.EXPIRED_OR_NOT_YET_VALID, e.kind());
    assertTrue(e.getMessage().contains("stale"), e.getMessage());
  }

  @Test
  void missingPiecesFailTyped() {
    missing.put("/sgx/certification/v4/qe/identity", true);
    QuoteVerificationException e =
        assertThrows(QuoteVerificationException.class, () -> fetcher(v.at()).fetch(v.quote()));
    assertEquals(Kind.INVALID_COLLATERAL, e.kind());
    assertTrue(e.getMessage().contains("404"), e.getMessage());
  }

  @Test
  void aPieceLargerThanTheBoundIsRefusedUnread() {
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    CollateralFetcher small =
        CollateralFetcher.builder()
            .baseUrl(base)
            .clock(Clock.fixed(v.at(), ZoneOffset.UTC))
            .maxBytes(recorded.pckCrl().length - 1)
            .build();
    QuoteVerificationException e =
        assertThrows(QuoteVerificationException.class, () -> small.fetch(v.quote()));
    assertEquals(Kind.INVALID_COLLATERAL, e.kind());
    assertTrue(e.getMessage().contains("answered more than"), e.getMessage());
    assertEquals(0, small.cachedPieces());
  }

  @Test
  void piecesThatDoNotVerifyAreRefusedAndNotCached() throws Exception {
    server.removeContext("/sgx/certification/v4/tcb");
    byte[] badSig = recorded.tcbInfoSignature();
    badSig[5] ^= 1;
    route(
        "/sgx/certification/v4/tcb",
        "{\"tcbInfo\":" + recorded.tcbInfo() + ",\"signature\":\"" + Hex.encode(badSig) + "\"}",
        "TCB-Info-Issuer-Chain",
        recorded.tcbInfoIssuerChain());
    CollateralFetcher f = fetcher(v.at());
    QuoteVerificationException e =
        assertThrows(QuoteVerificationException.class, () -> f.fetch(v.quote()));
    assertEquals(Kind.INVALID_COLLATERAL, e.kind());
    assertTrue(e.getMessage().contains("does not verify"), e.getMessage());
    assertEquals(0, f.cachedPieces());
    // a fetcher trusting another root refuses Intel's genuine pieces
    CollateralFetcher other =
        CollateralFetcher.builder()
            .baseUrl(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
            .clock(Clock.fixed(v.at(), ZoneOffset.UTC))
            .trustAnchor(io.attest402.verifier.simulation.SimulationCa.generate(v.at()).root())
            .build();
    QuoteVerificationException e2 =
        assertThrows(QuoteVerificationException.class, () -> other.fetch(v.quote()));
    assertTrue(e2.getMessage().contains("does not verify"), e2.getMessage());
  }

  @Test
  void theCacheLifetimeIsCappedBelowNextUpdate() throws Exception {
    java.util.concurrent.atomic.AtomicReference<Instant> now =
        new java.util.concurrent.atomic.AtomicReference<>(
            Instant.ofEpochSecond(v.window()[0] + 60));
    Clock clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    CollateralFetcher f =
        CollateralFetcher.builder()
            .baseUrl(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
            .clock(clock)
            .maxCacheAge(java.time.Duration.ofMinutes(30))
            .build();
    f.fetch(v.quote());
    int first = requests.get();
    now.set(now.get().plusSeconds(29 * 60));
    f.fetch(v.quote());
    assertEquals(first, requests.get(), "within maxCacheAge: cached");
    now.set(now.get().plusSeconds(2 * 60));
    f.fetch(v.quote());
    assertEquals(2 * first, requests.get(), "past maxCacheAge, before nextUpdate: fetched again");
  }
}
