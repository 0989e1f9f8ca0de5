package io.attest402.testkit;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;

/** Vert.x in tests: wait for a future (10 s at most), serve on a free loopback port. */
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
}
