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
 * the completion to {@value #MAX_COMPLETION_TOKENS} tokens ({@code max_tokens}), response size
 * capped. Its work is the {@code usage.total_tokens} the backend reports (prompt and completion;
 * the sum of {@code prompt_tokens} and {@code completion_tokens} when only they are given), none
 * when it reports no usage; the most it can take is estimated from the words sent ({@link
 * #maximumWork}).
 */
public final class ChatCompletionsSummarizer implements Summarizer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_INPUT_WORDS = 6_000;
  private static final int MAX_RESPONSE_BYTES = 256 * 1024;

  /** The completion's {@code max_tokens}. */
  public static final int MAX_COMPLETION_TOKENS = 512;

  /**
   * Prompt tokens estimated per word sent (English averages about 1.3 with the common BPE
   * tokenizers; the estimate errs high, since a charge above it is cut to it).
   */
  static final double PROMPT_TOKENS_PER_WORD = 1.5;

  /** Tokens of the system prompt and the chat template around the two messages. */
  static final int PROMPT_OVERHEAD_TOKENS = 64;

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
    ObjectNode body =
        JSON.createObjectNode()
            .put("model", model)
            .put("temperature", 0.2)
            .put("max_tokens", MAX_COMPLETION_TOKENS);
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
      JsonNode reply = JSON.readTree(resp.body());
      JsonNode content = reply.path("choices").path(0).path("message").path("content");
      if (!content.isTextual() || content.asText().isBlank()) {
        throw new SummarizerException("summary backend returned no summary");
      }
      String summary = content.asText().trim();
      return new Summary(
          summary,
          SentenceSplitter.split(summary),
          "chat-completions:" + model,
          words,
          usage(reply.path("usage")));
    } catch (IOException e) {
      throw new SummarizerException("summary backend returned malformed JSON", e);
    }
  }

  /**
   * The tokens the prompt (the document cut to the word budget, estimated) and the longest
   * completion can take.
   */
  @Override
  public Work maximumWork(String text, int words) {
    long sent = Math.min(words, MAX_INPUT_WORDS);
    return Work.tokens(
        (long) Math.ceil(sent * PROMPT_TOKENS_PER_WORD)
            + PROMPT_OVERHEAD_TOKENS
            + MAX_COMPLETION_TOKENS);
  }

  /** The reported token usage, or null when there is none (or it is not a count). */
  static Work usage(JsonNode usage) {
    JsonNode total = usage.path("total_tokens");
    if (count(total)) {
      return Work.tokens(total.longValue());
    }
    JsonNode prompt = usage.path("prompt_tokens");
    JsonNode completion = usage.path("completion_tokens");
    if (count(prompt) && count(completion)) {
      return Work.tokens(prompt.longValue() + completion.longValue());
    }
    return null;
  }

  private static boolean count(JsonNode n) {
    return n.isIntegralNumber() && n.canConvertToLong() && n.longValue() >= 0;
  }

  private static String truncate(String text, int maxWords) {
    String[] parts = text.split("\\s+");
    return parts.length <= maxWords ? text : String.join(" ", List.of(parts).subList(0, maxWords));
  }
}
