package io.attest402.demo.summary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Abstractive summaries from any OpenAI-compatible {@code /chat/completions} endpoint (OpenAI,
 * vLLM, llama.cpp server, Ollama, ...). Bounded: request timeout, input truncated to a word budget,
 * response size capped.
 */
public final class ChatCompletionsSummarizer implements Summarizer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_INPUT_WORDS = 6_000;
  private static final int MAX_RESPONSE_BYTES = 256 * 1024;

  private final HttpClient http;
  private final URI endpoint;
  private final String model;
  private final String apiKey;
  private final Duration timeout;

  /**
   * @param baseUrl e.g. {@code https://api.openai.com/v1} ({@code /chat/completions} is appended)
   * @param apiKey bearer token, or null for servers that need none
   */
  public ChatCompletionsSummarizer(String baseUrl, String model, String apiKey, Duration timeout) {
    this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/chat/completions");
    this.model = model;
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public Summary summarize(String text) {
    int words = DocumentText.wordCount(text);
    if (words == 0) {
      throw new SummarizerException("the document has no text to summarize");
    }
    String input = truncate(text, MAX_INPUT_WORDS);
    ObjectNode body = JSON.createObjectNode().put("model", model).put("temperature", 0.2);
    body.putArray("messages")
        .add(
            JSON.createObjectNode()
                .put("role", "system")
                .put(
                    "content",
                    "Summarize the user's document in 3 to 5 plain sentences. Reply with the summary only."))
        .add(JSON.createObjectNode().put("role", "user").put("content", input));
    HttpRequest.Builder req =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (apiKey != null && !apiKey.isBlank()) {
      req.header("Authorization", "Bearer " + apiKey);
    }
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new SummarizerException("summary backend unreachable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SummarizerException("interrupted while waiting for the summary backend", e);
    }
    if (resp.statusCode() != 200) {
      throw new SummarizerException("summary backend answered HTTP " + resp.statusCode());
    }
    if (resp.body().length > MAX_RESPONSE_BYTES) {
      throw new SummarizerException("summary backend response too large");
    }
    try {
      JsonNode content =
          JSON.readTree(resp.body()).path("choices").path(0).path("message").path("content");
      if (!content.isTextual() || content.asText().isBlank()) {
        throw new SummarizerException("summary backend returned no summary");
      }
      String summary = content.asText().trim();
      return new Summary(
          summary, SentenceSplitter.split(summary), "chat-completions:" + model, words);
    } catch (IOException e) {
      throw new SummarizerException("summary backend returned malformed JSON", e);
    }
  }

  private static String truncate(String text, int maxWords) {
    String[] parts = text.split("\\s+");
    return parts.length <= maxWords ? text : String.join(" ", List.of(parts).subList(0, maxWords));
  }
}
