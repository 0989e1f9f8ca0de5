package io.attest402.demo.summary;

/** Turns a document's plain text into a short summary. */
public interface Summarizer {
  /**
   * @throws SummarizerException when the text cannot be summarized (empty, or the backend failed);
   *     its message is safe to show to the caller
   */
  Summary summarize(String text);
}
