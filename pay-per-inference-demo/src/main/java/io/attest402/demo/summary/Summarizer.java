package io.attest402.demo.summary;

/** Turns a document's plain text into a short summary. */
public interface Summarizer {
  /**
   * @throws SummarizerException when the text cannot be summarized (empty, or the backend failed);
   *     its message is safe to show to the caller
   */
  Summary summarize(String text);

  /**
   * The most work summarizing {@code text} ({@code words} words) can take, in the unit its {@link
   * Summary#work()} is counted in: what an {@code upto} payment authorizes at most. Default: every
   * word read once.
   */
  default Work maximumWork(String text, int words) {
    return Work.words(words);
  }
}
