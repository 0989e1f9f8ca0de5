package io.attest402.demo.summary;

import java.util.List;

/**
 * A summary: its text, the sentences it is made of, which method wrote it, and how long the input
 * was.
 */
public record Summary(String text, List<String> sentences, String method, int inputWords) {
  public Summary {
    sentences = List.copyOf(sentences);
  }
}
