package io.attest402.x402.facilitator;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.X402FormatException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * {@link FacilitatorClient} over {@code java.net.http}: per-request timeout (default 90 s, the
 * official client's), connect timeout, redirects followed, response bodies capped ({@link
 * Builder#maxResponseBytes}), optional headers per endpoint (for authenticated facilitators). The
 * base URL's trailing slashes are dropped, as the official client does. Every {@code /settle}
 * carries an {@value #IDEMPOTENCY_KEY} header: the caller's key for its retries ({@link
 * #settle(PaymentPayload, PaymentRequirements, String)}), or a fresh random one.
 */
public final class HttpFacilitatorClient implements FacilitatorClient {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(90);
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 1 << 20;

  /** The {@code /settle} request header that marks retries of one paid request. */
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 128;
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private final String base;
  private final HttpClient http;
  private final Duration timeout;
  private final int maxResponseBytes;
  private final Function<String, Map<String, String>> headers;

  private HttpFacilitatorClient(Builder b) {
    String url = b.baseUrl.toString();
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    this.base = url;
    this.http =
        b.http != null
            ? b.http
            : HttpClient.newBuilder()
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    this.timeout = b.timeout;
    this.maxResponseBytes = b.maxResponseBytes;
    this.headers = b.headers;
  }

  public static Builder builder(URI baseUrl) {
    return new Builder(baseUrl);
  }

  public static HttpFacilitatorClient of(String baseUrl) {
    return builder(URI.create(baseUrl)).build();
  }

  public String baseUrl() {
    return base;
  }

  /** Settings. */
  public static final class Builder {
    private final URI baseUrl;
    private HttpClient http;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    private Function<String, Map<String, String>> headers = path -> Map.of();

    private Builder(URI baseUrl) {
      this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl");
    }

    /** Use this client (its own connect timeout and redirect policy apply). */
    public Builder httpClient(HttpClient client) {
      this.http = client;
      return this;
    }

    /** Whole-request timeout (default 90 s). */
    public Builder timeout(Duration t) {
      this.timeout = t;
      return this;
    }

    public Builder connectTimeout(Duration t) {
      this.connectTimeout = t;
      return this;
    }

    public Builder maxResponseBytes(int max) {
      this.maxResponseBytes = max;
      return this;
    }

    /** Extra headers per endpoint ("verify", "settle", "supported"), e.g. authorization. */
    public Builder headers(Function<String, Map<String, String>> perEndpoint) {
      this.headers = perEndpoint;
      return this;
    }

    public HttpFacilitatorClient build() {
      return new HttpFacilitatorClient(this);
    }
  }

  @Override
  public CompletableFuture<VerifyResponse> verify(
      PaymentPayload payload, PaymentRequirements requirements) {
    return post(
        "verify",
        new FacilitatorRequest(payload, requirements),
        "isValid",
        VerifyResponse::fromJson,
        Map.of());
  }

  @Override
  public CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements) {
    return settle(payload, requirements, newIdempotencyKey());
  }

  @Override
  public CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements, String idempotencyKey) {
    if (!isValidIdempotencyKey(idempotencyKey)) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "Idempotency-Key must be 1-"
                  + MAX_IDEMPOTENCY_KEY_LENGTH
                  + " printable ASCII characters"));
    }
    return post(
        "settle",
        new FacilitatorRequest(payload, requirements),
        "success",
        SettleResponse::fromJson,
        Map.of(IDEMPOTENCY_KEY, idempotencyKey));
  }

  /** 128 random bits, base64url: one per paid request. */
  public static String newIdempotencyKey() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Opaque, 1 to 128 printable ASCII characters without spaces (so no proxy trims or folds it). */
  public static boolean isValidIdempotencyKey(String key) {
    return key != null
        && !key.isEmpty()
        && key.length() <= MAX_IDEMPOTENCY_KEY_LENGTH
        && key.chars().allMatch(c -> c > 0x20 && c < 0x7f);
  }

  @Override
  public CompletableFuture<SupportedResponse> supported() {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(base + "/supported"))
            .timeout(timeout)
            .GET()
            .header("Accept", "application/json");
    headers.apply("supported").forEach(rb::header);
    return send("supported", rb.build(), null, SupportedResponse::fromJson);
  }

  private <T> CompletableFuture<T> post(
      String endpoint,
      FacilitatorRequest body,
      String resultKey,
      Function<JsonNode, T> reader,
      Map<String, String> requestHeaders) {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(base + "/" + endpoint))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    X402Json.write(body.toJson()), StandardCharsets.UTF_8));
    headers.apply(endpoint).forEach(rb::header);
    requestHeaders.forEach(rb::header);
    return send(endpoint, rb.build(), resultKey, reader);
  }

  private <T> CompletableFuture<T> send(
      String endpoint, HttpRequest request, String resultKey, Function<JsonNode, T> reader) {
    CompletableFuture<T> out = new CompletableFuture<>();
    java.util.concurrent.atomic.AtomicReference<FacilitatorException> overflow =
        new java.util.concurrent.atomic.AtomicReference<>();
    http.sendAsync(request, info -> new CappedSubscriber(maxResponseBytes, overflow))
        .whenComplete(
            (resp, err) -> {
              if (err != null) {
                // a cancelled oversized body may surface as the client's own I/O error: report the
                // real cause
                out.completeExceptionally(
                    overflow.get() != null ? overflow.get() : translate(endpoint, err));
                return;
              }
              try {
                out.complete(
                    interpret(endpoint, resp.statusCode(), resp.body(), resultKey, reader));
              } catch (FacilitatorException e) {
                out.completeExceptionally(e);
              }
            });
    return out;
  }

  private static <T> T interpret(
      String endpoint, int status, byte[] body, String resultKey, Function<JsonNode, T> reader) {
    String text = new String(body, StandardCharsets.UTF_8);
    boolean ok = status >= 200 && status < 300;
    JsonNode json = null;
    try {
      json = X402Json.parse(text);
    } catch (X402FormatException e) {
      if (ok) {
        throw new FacilitatorException(
            FacilitatorException.Kind.BAD_RESPONSE,
            status,
            "Facilitator " + endpoint + " returned invalid JSON: " + e.getMessage(),
            e);
      }
    }
    if (!ok && (json == null || resultKey == null || !json.isObject() || !json.has(resultKey))) {
      throw new FacilitatorException(
          FacilitatorException.Kind.HTTP_STATUS,
          status,
          "Facilitator " + endpoint + " failed (" + status + "): " + abbreviate(text),
          null);
    }
    try {
      return reader.apply(json);
    } catch (X402FormatException e) {
      throw new FacilitatorException(
          FacilitatorException.Kind.BAD_RESPONSE,
          status,
          "Facilitator "
              + endpoint
              + " returned an invalid "
              + endpoint
              + " response: "
              + e.getMessage(),
          e);
    }
  }

  private FacilitatorException translate(String endpoint, Throwable err) {
    Throwable t =
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof FacilitatorException fe) {
        return fe;
      }
    }
    if (t instanceof HttpTimeoutException && !(t instanceof HttpConnectTimeoutException)) {
      return new FacilitatorException(
          FacilitatorException.Kind.TIMEOUT,
          0,
          "Facilitator " + endpoint + " request timed out after " + timeout.toMillis() + "ms",
          t);
    }
    return new FacilitatorException(
        FacilitatorException.Kind.TRANSPORT,
        0,
        "Facilitator " + endpoint + " request failed: " + t,
        t);
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }

  /**
   * A body handler that refuses bodies over {@code max} bytes instead of buffering them (fails with
   * a BAD_RESPONSE {@link FacilitatorException}).
   */
  public static HttpResponse.BodyHandler<byte[]> capped(int max) {
    return info -> new CappedSubscriber(max, new java.util.concurrent.atomic.AtomicReference<>());
  }

  private static final class CappedSubscriber implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final java.util.concurrent.atomic.AtomicReference<FacilitatorException> overflow;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
    private Flow.Subscription subscription;

    CappedSubscriber(
        int max, java.util.concurrent.atomic.AtomicReference<FacilitatorException> overflow) {
      this.max = max;
      this.overflow = overflow;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer b : items) {
        if (buf.size() + b.remaining() > max) {
          FacilitatorException tooBig =
              new FacilitatorException(
                  FacilitatorException.Kind.BAD_RESPONSE,
                  0,
                  "Facilitator response exceeds " + max + " bytes",
                  null);
          overflow.set(tooBig);
          result.completeExceptionally(tooBig);
          subscription.cancel();
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        buf.writeBytes(chunk);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(buf.toByteArray());
    }
  }
}
