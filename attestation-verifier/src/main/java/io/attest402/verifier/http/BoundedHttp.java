package io.attest402.verifier.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * GETs of servers nobody vouches for (a PCS/PCCS serving collateral, a registration file's URL):
 * the one default client they use, and a response body read to at most a bound, so a server cannot
 * make the reader hold more than that.
 */
public final class BoundedHttp {
  private BoundedHttp() {}

  /** A client following redirects (the body's reader checks where it ended up) with a timeout. */
  public static HttpClient client(Duration connectTimeout) {
    return HttpClient.newBuilder()
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  /**
   * The response's body, closed after; {@link TooLargeException} when it holds more than {@code
   * maxBytes}.
   */
  public static byte[] body(HttpResponse<InputStream> response, int maxBytes) throws IOException {
    try (InputStream in = response.body()) {
      byte[] body = in.readNBytes(maxBytes + 1);
      if (body.length > maxBytes) {
        throw new TooLargeException(response.uri() + " answered more than " + maxBytes + " bytes");
      }
      return body;
    }
  }

  /** Closes a response's body without reading it (a refused status or redirect). */
  public static void discard(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException ignored) {
      // nothing was read, nothing is lost
    }
  }

  /** A body over the bound. */
  public static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }
}
