package io.attest402.erc8004;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** A loopback HTTP server for tests: path (with query) to a response produced on each request. */
final class TestHttp implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, Function<String, byte[]>> routes = new ConcurrentHashMap<>();
  private final Map<String, Long> delays = new ConcurrentHashMap<>();
  final Map<String, Integer> hits = new ConcurrentHashMap<>();

  TestHttp() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          String query = ex.getRequestURI().getRawQuery();
          hits.merge(path, 1, Integer::sum);
          Long delay = delays.get(path);
          if (delay != null) {
            try {
              Thread.sleep(delay);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          Function<String, byte[]> route = routes.get(path);
          byte[] body = route == null ? null : route.apply(query);
          if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
          }
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
  }

  void serve(String path, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    routes.put(path, q -> b);
  }

  void serve(String path, byte[] body) {
    routes.put(path, q -> body);
  }

  void serve(String path, Function<String, byte[]> handler) {
    routes.put(path, handler);
  }

  void delay(String path, long millis) {
    delays.put(path, millis);
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
