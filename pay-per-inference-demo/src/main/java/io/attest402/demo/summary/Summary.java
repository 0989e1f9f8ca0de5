package io.attest402.demo.summary;

import java.util.List;

/**
 * A summary: its text, the sentences it is made of, which method wrote it, how long the input was,
 * and the work it took ({@code work}: words summarized, or tokens the backend reported; null when
 * the backend reported none).
 */
public record Summary(
    String text, List<String> sentences, String method, int inputWords, Work work) {
  public Summary {
    sentences = List.copyOf(sentences);
  }

  /** A summary whose work is not known. */
  public Summary(String text, List<String> sentences, String method, int inputWords) {
    this(text, sentences, method, inputWords, null);
  }
}
