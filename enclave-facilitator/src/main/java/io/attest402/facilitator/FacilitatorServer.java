package io.attest402.facilitator;

import io.attest402.facilitator.http.FacilitatorRoutes;
import io.attest402.facilitator.identity.ServedIdentity;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facilitator's HTTP server (Vert.x 5) with an explicit lifecycle: {@link #start()} binds and
 * returns the port; {@link #stop()} stops accepting connections, lets in-flight requests finish
 * (bounded), then closes the facilitator, which journals or finishes in-flight settlements.
 */
public final class FacilitatorServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FacilitatorServer.class);

  private final Facilitator facilitator;
  private final FacilitatorOptions options;
  private final String host;
  private final int port;
  private Vertx vertx;
  private WorkerExecutor workers;
  private HttpServer server;
  private FacilitatorRoutes routes;
  private boolean stopped;

  private final ServedIdentity identity;

  public FacilitatorServer(
      Facilitator facilitator, FacilitatorOptions options, String host, int port) {
    this(facilitator, options, host, port, null);
  }

  /**
   * @param identity the TEE identity served at /attestation (null: none, e.g. a plain key file)
   */
  public FacilitatorServer(
      Facilitator facilitator,
      FacilitatorOptions options,
      String host,
      int port,
      ServedIdentity identity) {
    this.facilitator = facilitator;
    this.options = options;
    this.host = host;
    this.port = port;
    this.identity = identity;
  }

  /** Starts the facilitator (journal recovery) and the HTTP server; returns the bound port. */
  public synchronized int start() {
    facilitator.start();
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors())));
    workers =
        vertx.createSharedWorkerExecutor(
            "facilitator-chain",
            options.workerThreads(),
            options.receiptWait().toMillis() + options.rpcTimeout().toMillis() * 8,
            TimeUnit.MILLISECONDS);
    Duration settleBound = options.receiptWait().plus(options.rpcTimeout().multipliedBy(6));
    routes =
        new FacilitatorRoutes(
            facilitator, workers, options.bodyLimitBytes(), settleBound, identity);
    HttpServerOptions so =
        new HttpServerOptions()
            .setHost(host)
            .setPort(port)
            .setIdleTimeout(120)
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setMaxInitialLineLength(8192)
            .setMaxHeaderSize(16384);
    try {
      server =
          vertx
              .createHttpServer(so)
              .requestHandler(routes.router(vertx))
              .listen()
              .toCompletionStage()
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      stopQuietly();
      Throwable c = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "cannot listen on " + host + ":" + port + ": " + c.getMessage(), c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopQuietly();
      throw new IllegalStateException("interrupted while starting", e);
    }
    log.info(
        "facilitator listening on {}:{} as {}", host, server.actualPort(), facilitator.address());
    return server.actualPort();
  }

  public synchronized int port() {
    return server == null ? -1 : server.actualPort();
  }

  public Facilitator facilitator() {
    return facilitator;
  }

  /**
   * Graceful shutdown: no new connections; requests in progress get up to the shutdown grace; then
   * the facilitator closes (settlements being prepared finish, in-flight ones stay journaled and
   * are reconciled at next start).
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
    if (server != null) {
      try {
        // Vert.x 5 graceful shutdown: stop accepting, let open requests complete within the grace
        server
            .shutdown(options.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)
            .toCompletionStage()
            .toCompletableFuture()
            .get(options.shutdownGrace().toMillis() + 2_000, TimeUnit.MILLISECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.warn("HTTP shutdown did not complete cleanly: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      while (routes != null && routes.inFlight() > 0 && System.nanoTime() < deadline) {
        sleep(20);
      }
    }
    long httpMs = (System.nanoTime() - (deadline - options.shutdownGrace().toNanos())) / 1_000_000;
    stopQuietly();
    log.info(
        "facilitator stopped (HTTP drained in {} ms, total {} ms)",
        httpMs,
        (System.nanoTime() - (deadline - options.shutdownGrace().toNanos())) / 1_000_000);
  }

  private void stopQuietly() {
    try {
      facilitator.close();
    } catch (RuntimeException e) {
      log.warn("facilitator close failed: {}", e.toString());
    }
    if (workers != null) {
      workers.close();
    }
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        log.warn("vert.x close: {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
