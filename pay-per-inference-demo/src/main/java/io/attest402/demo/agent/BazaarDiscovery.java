package io.attest402.demo.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a paid resource in a facilitator's bazaar catalog ({@code GET
 * FACILITATOR/discovery/resources?type=http&network=N}, the shape {@code @x402/extensions}' {@code
 * withBazaar} reads): the resources that offer {@code exact} on the agent's network, those whose
 * path is {@code /summarize} first when the agent has a document to post. The catalog only says
 * where to look: the agent's trust checks and spend cap apply to the 402 the resource answers, as
 * for any other provider.
 */
public final class BazaarDiscovery {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  private BazaarDiscovery() {}

  /**
   * The catalog's resources payable with {@code exact} on {@code network}, in catalog order with
   * {@code /summarize} resources first when {@code wantsDocument}.
   *
   * @throws IOException when the facilitator does not answer, answers other than 200, or answers
   *     something that is not a catalog
   */
  public static List<URI> find(
      HttpClient http, URI facilitator, String network, boolean wantsDocument)
      throws IOException, InterruptedException {
    String base = facilitator.toString().replaceAll("/+$", "");
    URI url =
        URI.create(
            base
                + "/discovery/resources?type=http&limit=100&network="
                + URLEncoder.encode(network, StandardCharsets.UTF_8));
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(20)).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException(
          "GET " + url + " answered " + r.statusCode() + ": not a facilitator with a bazaar");
    }
    if (r.body().length > MAX_BODY_BYTES) {
      throw new IOException("GET " + url + ": catalog larger than " + MAX_BODY_BYTES + " bytes");
    }
    JsonNode items;
    try {
      items = JSON.readTree(r.body()).path("items");
    } catch (IOException e) {
      throw new IOException("GET " + url + " is not a bazaar catalog: " + e.getMessage(), e);
    }
    if (!items.isArray()) {
      throw new IOException("GET " + url + " is not a bazaar catalog: no items array");
    }
    List<URI> first = new ArrayList<>();
    List<URI> rest = new ArrayList<>();
    for (JsonNode item : items) {
      String resource = item.path("resource").asText("");
      if (!(resource.startsWith("http://") || resource.startsWith("https://"))) {
        continue;
      }
      boolean payable = false;
      for (JsonNode a : item.path("accepts")) {
        payable |=
            "exact".equals(a.path("scheme").asText()) && network.equals(a.path("network").asText());
      }
      if (!payable) {
        continue;
      }
      URI u;
      try {
        u = URI.create(resource);
      } catch (IllegalArgumentException bad) {
        continue;
      }
      boolean summarize = u.getPath() != null && u.getPath().endsWith("/summarize");
      (wantsDocument && summarize ? first : rest).add(u);
    }
    first.addAll(rest);
    return first;
  }
}
