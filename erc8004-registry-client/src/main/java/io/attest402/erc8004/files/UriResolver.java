package io.attest402.erc8004.files;

import io.attest402.verifier.http.BoundedHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Fetches what an agentURI, feedbackURI or requestURI points to, with limits: {@code https://};
 * {@code http://} only to loopback and only when allowed (tests, dev); {@code data:} (base64 or
 * percent-encoded); {@code ipfs://} through a configurable HTTP gateway. Every answer is capped at
 * {@code maxBytes} and every fetch at {@code timeout}. Immutable and thread-safe.
 */
public final class UriResolver {
  public static final int DEFAULT_MAX_BYTES = 256 * 1024;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
  public static final String DEFAULT_IPFS_GATEWAY = "https://ipfs.io/ipfs/";

  private final HttpClient http;
  private final String ipfsGateway;
  private final int maxBytes;
  private final Duration timeout;
  private final boolean allowHttpLoopback;

  private UriResolver(Builder b) {
    this.timeout = b.timeout;
    this.http = b.http != null ? b.http : BoundedHttp.client(b.timeout);
    this.ipfsGateway = b.ipfsGateway.endsWith("/") ? b.ipfsGateway : b.ipfsGateway + "/";
    this.maxBytes = b.maxBytes;
    this.allowHttpLoopback = b.allowHttpLoopback;
  }

  /** Defaults: https, data:, ipfs:// via ipfs.io, 256 KiB, 10 s; no plain http. */
  public static UriResolver defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxBytes() {
    return maxBytes;
  }

  /** The bytes {@code uri} points to; {@link ResolutionException} with the reason otherwise. */
  public byte[] resolve(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new ResolutionException("empty URI");
    }
    String u = uri.trim();
    String scheme = u.contains(":") ? u.substring(0, u.indexOf(':')).toLowerCase(Locale.ROOT) : "";
    switch (scheme) {
      case "data":
        try {
          return DataUris.decode(u, maxBytes);
        } catch (IllegalArgumentException e) {
          throw new ResolutionException(e.getMessage(), e);
        }
      case "ipfs":
        return fetch(URI.create(ipfsGateway + ipfsPath(u)));
      case "https":
        return fetch(parse(u));
      case "http":
        {
          URI parsed = parse(u);
          checkHttpAllowed(parsed);
          return fetch(parsed);
        }
      default:
        throw new ResolutionException(
            "unsupported URI scheme '" + scheme + "' in " + abbreviate(u));
    }
  }

  /** True when this resolver would fetch {@code url} over plain http (loopback, allowed). */
  public boolean httpAllowed(URI url) {
    try {
      checkHttpAllowed(url);
      return true;
    } catch (ResolutionException e) {
      return false;
    }
  }

  private void checkHttpAllowed(URI parsed) {
    if (!allowHttpLoopback) {
      throw new ResolutionException(
          "plain http is not allowed (only https, data:, ipfs://): " + parsed);
    }
    if (!isLoopback(parsed.getHost())) {
      throw new ResolutionException(
          "plain http is allowed only to loopback, not to " + parsed.getHost());
    }
  }

  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name other than localhost: do not resolve DNS to decide
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String ipfsPath(String u) {
    String rest = u.substring("ipfs://".length());
    if (rest.startsWith("ipfs/")) {
      rest = rest.substring(5);
    }
    if (rest.isEmpty() || !rest.matches("[A-Za-z0-9._~/%-]+")) {
      throw new ResolutionException("malformed ipfs URI: " + abbreviate(u));
    }
    return rest;
  }

  private static URI parse(String u) {
    try {
      URI parsed = URI.create(u);
      if (parsed.getHost() == null) {
        throw new ResolutionException("URL without host: " + abbreviate(u));
      }
      return parsed;
    } catch (IllegalArgumentException e) {
      throw new ResolutionException("malformed URL: " + abbreviate(u), e);
    }
  }

  private byte[] fetch(URI url) {
    HttpRequest req =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Accept", "application/json, */*")
            .GET()
            .build();
    HttpResponse<InputStream> resp;
    try {
      resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (java.net.http.HttpTimeoutException e) {
      throw new ResolutionException(
          "timed out after " + timeout.toMillis() + " ms fetching " + url, e);
    } catch (IOException e) {
      throw new ResolutionException("cannot fetch " + url + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ResolutionException("interrupted fetching " + url, e);
    }
    if ("http".equalsIgnoreCase(resp.uri().getScheme()) && !httpAllowed(resp.uri())) {
      BoundedHttp.discard(resp);
      throw new ResolutionException("redirected to a forbidden URL: " + resp.uri());
    }
    if (resp.statusCode() / 100 != 2) {
      BoundedHttp.discard(resp);
      throw new ResolutionException("HTTP " + resp.statusCode() + " from " + url);
    }
    try {
      return BoundedHttp.body(resp, maxBytes);
    } catch (BoundedHttp.TooLargeException e) {
      throw new ResolutionException(url + " answered more than " + maxBytes + " bytes", e);
    } catch (IOException e) {
      throw new ResolutionException("cannot read " + url + ": " + e, e);
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }

  public static final class Builder {
    private HttpClient http;
    private String ipfsGateway = DEFAULT_IPFS_GATEWAY;
    private int maxBytes = DEFAULT_MAX_BYTES;
    private Duration timeout = DEFAULT_TIMEOUT;
    private boolean allowHttpLoopback;

    /** Gateway prefix for ipfs:// (e.g. {@code http://127.0.0.1:8080/ipfs/} for a local node). */
    public Builder ipfsGateway(String prefix) {
      this.ipfsGateway = Objects.requireNonNull(prefix);
      return this;
    }

    public Builder maxBytes(int n) {
      if (n <= 0) {
        throw new IllegalArgumentException("maxBytes must be positive");
      }
      this.maxBytes = n;
      return this;
    }

    public Builder timeout(Duration d) {
      this.timeout = Objects.requireNonNull(d);
      return this;
    }

    /** Allow {@code http://} to loopback addresses (tests, local dev chains). */
    public Builder allowHttpLoopback(boolean allow) {
      this.allowHttpLoopback = allow;
      return this;
    }

    public Builder httpClient(HttpClient client) {
      this.http = client;
      return this;
    }

    public UriResolver build() {
      return new UriResolver(this);
    }
  }
}
