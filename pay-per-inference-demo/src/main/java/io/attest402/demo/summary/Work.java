package io.attest402.demo.summary;

/**
 * An amount of summarizing work, in the unit a summarizer is priced by: {@code words} read (the
 * offline summarizer) or {@code tokens} processed (an LLM backend, prompt and completion together).
 */
public record Work(long units, String unit) {
  public static final String WORDS = "words";
  public static final String TOKENS = "tokens";

  public Work {
    if (units < 0) {
      throw new IllegalArgumentException("negative work " + units);
    }
    if (!WORDS.equals(unit) && !TOKENS.equals(unit)) {
      throw new IllegalArgumentException("work is counted in words or tokens, not " + unit);
    }
  }

  public static Work words(long n) {
    return new Work(n, WORDS);
  }

  public static Work tokens(long n) {
    return new Work(n, TOKENS);
  }

  @Override
  public String toString() {
    return units + " " + unit;
  }
}
