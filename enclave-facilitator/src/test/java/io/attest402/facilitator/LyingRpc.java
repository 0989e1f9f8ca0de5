package io.attest402.facilitator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;

/**
 * A JSON-RPC proxy on loopback in front of a real node that can lie: {@code lie(request,
 * honestAnswer)} returns the answer to send (the honest one, changed, or replaced). Batches are
 * answered element by element.
 */
final class LyingRpc implements AutoCloseable {
  private final HttpServer server;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String upstream;
  private volatile BiFunction<JsonNode, JsonNode, JsonNode> lie = (req, honest) -> honest;

  LyingRpc(String upstream) throws IOException {
    this.upstream = upstream;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            8,
            r -> {
              Thread t = new Thread(r, "lying-rpc");
              t.setDaemon(true);
              return t;
            }));
    server.createContext(
        "/",
        ex -> {
          try (InputStream in = ex.getRequestBody()) {
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String honest = forward(body);
            JsonNode req = X402Json.parse(body);
            JsonNode ans = X402Json.parse(honest);
            JsonNode out;
            if (req.isArray()) {
              ArrayNode a = Wire.NODES.arrayNode();
              for (int i = 0; i < req.size(); i++) {
                a.add(lie.apply(req.get(i), ans.get(i)));
              }
              out = a;
            } else {
              out = lie.apply(req, ans);
            }
            byte[] bytes = X402Json.write(out).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
              os.write(bytes);
            }
          } catch (RuntimeException | InterruptedException e) {
            ex.sendResponseHeaders(502, -1);
          } finally {
            ex.close();
          }
        });
    server.start();
  }

  private String forward(String body) throws IOException, InterruptedException {
    return http.send(
            HttpRequest.newBuilder(URI.create(upstream))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  int port() {
    return server.getAddress().getPort();
  }

  void lie(BiFunction<JsonNode, JsonNode, JsonNode> l) {
    this.lie = l;
  }

  /** {@code honest} with its result replaced by {@code result}. */
  static JsonNode withResult(JsonNode honest, JsonNode result) {
    ObjectNode o = ((ObjectNode) honest).deepCopy();
    o.remove("error");
    o.set("result", result);
    return o;
  }

  static String method(JsonNode req) {
    return req.path("method").asText();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
