package io.attest402.testkit;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x in tests: wait for a future (10 s at most), serve on a free loopback port, tear a test's
 * parts down.
 */
public final class VertxTesting {
  private VertxTesting() {}

  /** The result of {@code f}, waited for at most 10 seconds. */
  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** An HTTP server on 127.0.0.1 and a free port, started, with {@code handler}. */
  public static HttpServer listen(Vertx vertx, Handler<HttpServerRequest> handler)
      throws Exception {
    return await(vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1"));
  }

  /**
   * Closes, in order, every part that is not null (one a test class may not have got to start): a
   * {@link Vertx} or an {@link HttpServer} waited for as {@link #await} does, anything else as an
   * {@link AutoCloseable}. Every part is tried; the first failure is thrown, later ones suppressed
   * in it.
   *
   * @throws IllegalArgumentException for a part that is none of these (before closing any)
   */
  public static void closeAll(Object... parts) throws Exception {
    for (Object part : parts) {
      if (part != null
          && !(part instanceof Vertx)
          && !(part instanceof HttpServer)
          && !(part instanceof AutoCloseable)) {
        throw new IllegalArgumentException(
            "cannot close a "
                + part.getClass().getName()
                + ": not Vertx, HttpServer or AutoCloseable");
      }
    }
    Exception first = null;
    for (Object part : parts) {
      try {
        if (part instanceof Vertx v) {
          await(v.close());
        } else if (part instanceof HttpServer s) {
          await(s.close());
        } else if (part instanceof AutoCloseable c) {
          c.close();
        }
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
