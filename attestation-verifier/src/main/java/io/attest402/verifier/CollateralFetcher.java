package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.http.BoundedHttp;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.Json;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.Pem;
import io.attest402.verifier.internal.QeIdentity;
import io.attest402.verifier.internal.TcbInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fetches collateral from Intel PCS v4 or a PCCS (same API) over HTTP, with a cache that keeps each
 * piece until its own nextUpdate (TCB info, QE identity, CRLs) but never longer than {@code
 * maxCacheAge} (default one hour), so a revocation or TCB recovery published early is picked up.
 * Before a piece is cached its signature is verified: TCB info and QE identity by the TCB Signing
 * certificate of the issuer-chain header, which must be issued directly by a trust anchor (default:
 * the pinned Intel SGX Root CA); the PCK CRL by the CA of its issuer chain, issued directly by an
 * anchor; the root CA CRL by an anchor. Pieces that fail, pieces the server serves already past
 * their nextUpdate and missing pieces are refused ({@link Kind#INVALID_COLLATERAL}, {@link
 * Kind#EXPIRED_OR_NOT_YET_VALID}) and not cached. The verifier still checks everything again; this
 * keeps forged or stale pieces out of the cache. Thread-safe.
 */
public final class CollateralFetcher {
  /** Intel's Provisioning Certification Service. */
  public static final URI INTEL_PCS = URI.create("https://api.trustedservices.intel.com");

  /** Intel's root CA CRL (DER). */
  public static final URI INTEL_ROOT_CRL =
      URI.create("https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");

  private record Piece(byte[] body, String issuerChain, Instant nextUpdate, Instant expires) {}

  /** Largest collateral piece read by default. */
  public static final int DEFAULT_MAX_BYTES = 1 << 20;

  private final URI base;
  private final URI rootCrlUrl;
  private final HttpClient http;
  private final Clock clock;
  private final Duration timeout;
  private final int maxBytes;
  private final Duration maxCacheAge;
  private final List<X509Certificate> anchors;
  private final Map<String, Piece> cache = new ConcurrentHashMap<>();

  private CollateralFetcher(Builder b) {
    this.base = Objects.requireNonNull(b.base, "baseUrl");
    this.rootCrlUrl =
        b.rootCrlUrl != null
            ? b.rootCrlUrl
            : INTEL_PCS.equals(b.base)
                ? INTEL_ROOT_CRL
                : resolve("/sgx/certification/v4/rootcacrl");
    this.http = b.http != null ? b.http : BoundedHttp.client(b.timeout);
    this.clock = b.clock;
    this.timeout = b.timeout;
    this.maxBytes = b.maxBytes;
    this.maxCacheAge = b.maxCacheAge;
    this.anchors =
        b.anchors.isEmpty() ? List.of(QuoteVerifier.intelRootCa()) : List.copyOf(b.anchors);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Collateral for a quote: TEE type from its header, FMSPC and PCK CA type from its PCK
   * certificate.
   */
  public Collateral fetch(byte[] quoteBytes) throws QuoteVerificationException {
    Quote q = Quote.parse(quoteBytes);
    List<X509Certificate> chain;
    try {
      chain = Pem.parseChain(q.certificationData());
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.MALFORMED_QUOTE,
          "PCK certificate chain is invalid: " + e.getMessage(),
          q.certificationDataOffset(),
          "certification_data",
          e);
    }
    if (chain.size() < 2) {
      throw new QuoteVerificationException(Kind.MALFORMED_QUOTE, "PCK chain lacks its CA");
    }
    byte[] fmspc;
    try {
      fmspc = PckExtension.of(chain.get(0)).fmspc();
    } catch (RuntimeException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_CERTIFICATE_CHAIN, "PCK SGX extension invalid", e);
    }
    String ca = QuoteVerifier.cn(chain.get(1)).contains("Platform") ? "platform" : "processor";
    return fetch(q.teeType(), Hex.encode(fmspc), ca);
  }

  /**
   * Collateral for {@code tee}, platform {@code fmspcHex}, PCK CA {@code "processor"} or {@code
   * "platform"}.
   */
  public Collateral fetch(TeeType tee, String fmspcHex, String pckCa)
      throws QuoteVerificationException {
    if (!fmspcHex.matches("[0-9a-fA-F]{12}")) {
      throw new IllegalArgumentException("FMSPC must be 12 hex digits");
    }
    if (!pckCa.equals("processor") && !pckCa.equals("platform")) {
      throw new IllegalArgumentException("PCK CA must be processor or platform");
    }
    String teePath = tee == TeeType.TDX ? "tdx" : "sgx";
    Piece tcb =
        get(
            resolve(
                "/" + teePath + "/certification/v4/tcb?fmspc=" + fmspcHex.toUpperCase(Locale.ROOT)),
            "TCB-Info-Issuer-Chain",
            "tcbInfo");
    Piece qe =
        get(
            resolve("/" + teePath + "/certification/v4/qe/identity"),
            "SGX-Enclave-Identity-Issuer-Chain",
            "enclaveIdentity");
    Piece pckCrl =
        get(
            resolve("/sgx/certification/v4/pckcrl?ca=" + pckCa + "&encoding=der"),
            "SGX-PCK-CRL-Issuer-Chain",
            "crl");
    Piece rootCrl = get(rootCrlUrl, null, "crl");
    String tcbJson = new String(tcb.body(), StandardCharsets.UTF_8);
    String qeJson = new String(qe.body(), StandardCharsets.UTF_8);
    try {
      return Collateral.builder()
          .tcbInfo(Json.rawField(tcbJson, "tcbInfo"))
          .tcbInfoSignature(Hex.decode(Json.rawField(tcbJson, "signature").replace("\"", "")))
          .tcbInfoIssuerChain(tcb.issuerChain())
          .qeIdentity(Json.rawField(qeJson, "enclaveIdentity"))
          .qeIdentitySignature(Hex.decode(Json.rawField(qeJson, "signature").replace("\"", "")))
          .qeIdentityIssuerChain(qe.issuerChain())
          .pckCrl(pckCrl.body())
          .pckCrlIssuerChain(pckCrl.issuerChain())
          .rootCaCrl(rootCrl.body())
          .build();
    } catch (IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "unexpected PCS response: " + e.getMessage(), e);
    }
  }

  /** Number of cached pieces (for diagnostics and tests). */
  public int cachedPieces() {
    return cache.size();
  }

  private URI resolve(String pathAndQuery) {
    String b = base.toString();
    return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + pathAndQuery);
  }

  private Piece get(URI uri, String chainHeader, String kind) throws QuoteVerificationException {
    Instant now = clock.instant();
    String key = uri.toString();
    Piece cached = cache.get(key);
    if (cached != null && now.isBefore(cached.expires())) {
      return cached;
    }
    cache.remove(key);
    HttpResponse<InputStream> resp;
    try {
      resp =
          http.send(
              HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "cannot fetch " + uri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "interrupted fetching " + uri, e);
    }
    if (resp.statusCode() != 200) {
      BoundedHttp.discard(resp);
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL,
          "collateral missing: " + uri + " answered HTTP " + resp.statusCode());
    }
    byte[] body;
    try {
      body = BoundedHttp.body(resp, maxBytes);
    } catch (IOException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "cannot read " + uri + ": " + e.getMessage(), e);
    }
    String chain = null;
    if (chainHeader != null) {
      chain =
          resp.headers()
              .firstValue(chainHeader)
              .map(v -> URLDecoder.decode(v, StandardCharsets.UTF_8))
              .orElseThrow(
                  () ->
                      new QuoteVerificationException(
                          Kind.INVALID_COLLATERAL,
                          uri + " answered without the " + chainHeader + " header"));
    }
    Instant nextUpdate;
    try {
      if (kind.equals("crl")) {
        body = maybeHex(body);
        X509CRL crl =
            (X509CRL)
                CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(body));
        if (crl.getNextUpdate() == null) {
          throw new IllegalArgumentException("CRL without nextUpdate");
        }
        nextUpdate = crl.getNextUpdate().toInstant();
      } else {
        String raw = Json.rawField(new String(body, StandardCharsets.UTF_8), kind);
        nextUpdate =
            kind.equals("tcbInfo")
                ? TcbInfo.parse(raw).nextUpdate()
                : QeIdentity.parse(raw).nextUpdate();
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL,
          uri + " served an unreadable " + kind + ": " + e.getMessage(),
          e);
    }
    if (now.isAfter(nextUpdate)) {
      throw new QuoteVerificationException(
          Kind.EXPIRED_OR_NOT_YET_VALID,
          uri
              + " served a stale "
              + kind
              + " (nextUpdate "
              + nextUpdate
              + " is before "
              + now
              + ")");
    }
    verifySignature(uri, kind, body, chain);
    Instant cap = now.plus(maxCacheAge);
    Piece p = new Piece(body, chain, nextUpdate, nextUpdate.isBefore(cap) ? nextUpdate : cap);
    cache.put(key, p);
    return p;
  }

  /**
   * The served piece's signature, by a certificate issued directly by a trust anchor (or by an
   * anchor).
   */
  private void verifySignature(URI uri, String kind, byte[] body, String chainPem)
      throws QuoteVerificationException {
    try {
      if (chainPem == null) {
        X509CRL crl =
            (X509CRL)
                CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(body));
        for (X509Certificate a : anchors) {
          if (a.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
            crl.verify(a.getPublicKey());
            return;
          }
        }
        throw new GeneralSecurityException("the root CA CRL is not issued by a trust anchor");
      }
      List<X509Certificate> chain = Pem.parseChain(chainPem.getBytes(StandardCharsets.US_ASCII));
      X509Certificate signer = chain.get(0);
      X509Certificate anchor = null;
      for (X509Certificate a : anchors) {
        if (a.getSubjectX500Principal().equals(signer.getIssuerX500Principal())) {
          anchor = a;
        }
      }
      if (anchor == null
          || chain.size() > 2
          || chain.size() == 2
              && !java.util.Arrays.equals(chain.get(1).getEncoded(), anchor.getEncoded())) {
        throw new GeneralSecurityException(
            "the issuer chain is not a certificate issued directly by a trust "
                + "anchor (optionally followed by it)");
      }
      signer.verify(anchor.getPublicKey());
      if (kind.equals("crl")) {
        X509CRL crl =
            (X509CRL)
                CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(body));
        if (!crl.getIssuerX500Principal().equals(signer.getSubjectX500Principal())) {
          throw new GeneralSecurityException("the CRL is not issued by the issuer chain's CA");
        }
        crl.verify(signer.getPublicKey());
        return;
      }
      String json = new String(body, StandardCharsets.UTF_8);
      byte[] signed = Json.rawField(json, kind).getBytes(StandardCharsets.UTF_8);
      byte[] sig = Hex.decode(Json.rawField(json, "signature").replace("\"", ""));
      if (!io.attest402.verifier.internal.Ecdsa.verify(signer.getPublicKey(), signed, sig)) {
        throw new GeneralSecurityException(
            "the " + kind + " signature does not verify with '" + QuoteVerifier.cn(signer) + "'");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL,
          uri + " served a " + kind + " that does not verify: " + e.getMessage() + " (not cached)",
          e);
    }
  }

  /** PCCS serves some CRLs as hex text; Intel serves DER. */
  private static byte[] maybeHex(byte[] body) {
    String s = new String(body, StandardCharsets.ISO_8859_1).strip();
    if (!s.isEmpty() && s.length() % 2 == 0 && s.matches("[0-9a-fA-F]+")) {
      return Hex.decode(s);
    }
    return body;
  }

  public static final class Builder {
    private URI base = INTEL_PCS;
    private URI rootCrlUrl;
    private HttpClient http;
    private Clock clock = Clock.systemUTC();
    private Duration timeout = Duration.ofSeconds(20);
    private int maxBytes = DEFAULT_MAX_BYTES;
    private Duration maxCacheAge = Duration.ofHours(1);
    private final List<X509Certificate> anchors = new java.util.ArrayList<>();

    private Builder() {}

    /** PCS or PCCS base URL (the part before {@code /sgx/certification/v4}); default Intel PCS. */
    public Builder baseUrl(URI v) {
      base = v;
      return this;
    }

    /**
     * Root CA CRL URL; default Intel's for Intel PCS, {@code <base>/sgx/certification/v4/rootcacrl}
     * otherwise.
     */
    public Builder rootCrlUrl(URI v) {
      rootCrlUrl = v;
      return this;
    }

    public Builder httpClient(HttpClient v) {
      http = v;
      return this;
    }

    /** Clock deciding cache freshness. */
    public Builder clock(Clock v) {
      clock = Objects.requireNonNull(v);
      return this;
    }

    public Builder timeout(Duration v) {
      timeout = v;
      return this;
    }

    /** Largest piece a server may answer (default 1 MiB; Intel's are a few KiB). */
    public Builder maxBytes(int v) {
      if (v <= 0) {
        throw new IllegalArgumentException("maxBytes must be positive");
      }
      maxBytes = v;
      return this;
    }

    /** Longest time a piece stays cached, even when its nextUpdate is later (default one hour). */
    public Builder maxCacheAge(Duration v) {
      if (v.isNegative() || v.isZero()) {
        throw new IllegalArgumentException("maxCacheAge must be positive");
      }
      maxCacheAge = v;
      return this;
    }

    /**
     * A root whose directly issued signers may sign the served pieces (repeatable); default the
     * pinned Intel SGX Root CA. A loopback PCS serving simulated collateral passes the simulation
     * root here.
     */
    public Builder trustAnchor(X509Certificate root) {
      anchors.add(Objects.requireNonNull(root));
      return this;
    }

    public CollateralFetcher build() {
      return new CollateralFetcher(this);
    }
  }
}
