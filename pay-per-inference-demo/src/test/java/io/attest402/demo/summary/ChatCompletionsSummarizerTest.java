package io.attest402.demo.summary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible backend against a loopback server that speaks /chat/completions. */
class ChatCompletionsSummarizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer server;
  private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
  private final AtomicReference<String> lastAuth = new AtomicReference<>();
  private volatile int status = 200;
  private volatile String reply;
  private volatile long delayMillis;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/chat/completions",
        ex -> {
          lastRequest.set(JSON.readTree(ex.getRequestBody()));
          lastAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
          try {
            Thread.sleep(delayMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body = reply.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private ChatCompletionsSummarizer summarizer(String key, Duration timeout) {
    return new ChatCompletionsSummarizer(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/", "test-model", key, timeout);
  }

  @Test
  void sendsTheDocumentAndReturnsTheModelsSummary() {
    reply =
        "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\" Payments settle. Receipts are signed. \"}}]}";
    Summary s =
        summarizer("sk-test", Duration.ofSeconds(5))
            .summarize("Facilitators settle payments on chain.");
    assertEquals("Payments settle. Receipts are signed.", s.text());
    assertEquals(2, s.sentences().size());
    assertEquals("chat-completions:test-model", s.method());
    assertEquals(5, s.inputWords());
    JsonNode req = lastRequest.get();
    assertEquals("test-model", req.path("model").asText());
    assertEquals("system", req.path("messages").path(0).path("role").asText());
    assertEquals(
        "Facilitators settle payments on chain.",
        req.path("messages").path(1).path("content").asText());
    assertEquals("Bearer sk-test", lastAuth.get());
  }

  /**
   * What an upto payment is charged for: the tokens the backend reports (total, or prompt plus
   * completion), none when it reports no usage; the most it can take is estimated from the words
   * sent plus the completion's max_tokens, which the request carries.
   */
  @Test
  void workIsTheReportedTokenUsageAndItsMaximumTheEstimateOfThePromptPlusMaxTokens() {
    reply =
        "{\"choices\":[{\"message\":{\"content\":\"Short.\"}}],"
            + "\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":9,\"total_tokens\":49}}";
    ChatCompletionsSummarizer llm = summarizer(null, Duration.ofSeconds(5));
    assertEquals(Work.tokens(49), llm.summarize("Some text here.").work());
    assertEquals(
        ChatCompletionsSummarizer.MAX_COMPLETION_TOKENS,
        lastRequest.get().path("max_tokens").asInt());
    reply =
        "{\"choices\":[{\"message\":{\"content\":\"Short.\"}}],"
            + "\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":9}}";
    assertEquals(Work.tokens(49), llm.summarize("Some text here.").work());
    reply = "{\"choices\":[{\"message\":{\"content\":\"Short.\"}}]}";
    assertEquals(null, llm.summarize("Some text here.").work(), "no usage reported");
    reply =
        "{\"choices\":[{\"message\":{\"content\":\"Short.\"}}],"
            + "\"usage\":{\"total_tokens\":\"many\"}}";
    assertEquals(null, llm.summarize("Some text here.").work(), "usage that is no count");

    // 1,000 words: 1,500 prompt tokens estimated, 64 for the template, the completion's 512
    assertEquals(Work.tokens(1_500 + 64 + 512), llm.maximumWork("", 1_000));
    // the document is cut to 6,000 words, so is the estimate
    assertEquals(llm.maximumWork("", 6_000), llm.maximumWork("", 100_000));
  }

  @Test
  void noKeyMeansNoAuthorizationHeader() {
    reply = "{\"choices\":[{\"message\":{\"content\":\"Short.\"}}]}";
    summarizer(null, Duration.ofSeconds(5)).summarize("Some text here.");
    assertEquals(null, lastAuth.get());
  }

  @Test
  void backendFailuresBecomeClearSummarizerErrors() {
    status = 500;
    reply = "{}";
    SummarizerException http =
        assertThrows(
            SummarizerException.class,
            () -> summarizer(null, Duration.ofSeconds(5)).summarize("Text."));
    assertTrue(http.getMessage().contains("HTTP 500"), http.getMessage());

    status = 200;
    reply = "not json";
    assertThrows(
        SummarizerException.class,
        () -> summarizer(null, Duration.ofSeconds(5)).summarize("Text."));

    reply = "{\"choices\":[]}";
    SummarizerException empty =
        assertThrows(
            SummarizerException.class,
            () -> summarizer(null, Duration.ofSeconds(5)).summarize("Text."));
    assertTrue(empty.getMessage().contains("no summary"), empty.getMessage());

    delayMillis = 2_000;
    reply = "{\"choices\":[{\"message\":{\"content\":\"Late.\"}}]}";
    SummarizerException slow =
        assertThrows(
            SummarizerException.class,
            () -> summarizer(null, Duration.ofMillis(300)).summarize("Text."));
    assertTrue(
        slow.getMessage().contains("unreachable") || slow.getMessage().contains("timed out"),
        slow.getMessage());
  }

  @Test
  void emptyDocumentsAreRefusedWithoutACall() {
    reply = "{}";
    assertThrows(
        SummarizerException.class, () -> summarizer(null, Duration.ofSeconds(5)).summarize("  "));
    assertEquals(null, lastRequest.get());
  }
}
