package io.attest402.demo.summary;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Offline extractive summarizer: sentences become TF-IDF vectors, a cosine-similarity graph ranks
 * them with PageRank (TextRank), a small lead bias favours the opening as news-style prose does,
 * and the best sentences are picked greedily while skipping near-duplicates (maximal marginal
 * relevance), then printed in document order. A sentence repeated word for word (boilerplate, a
 * footer on every page) is ranked once, at its first place: its {@link Summary#work() work} is the
 * words of the distinct sentences summarized, so it can be less than the document's word count. No
 * model, no network, deterministic.
 */
public final class TextRankSummarizer implements Summarizer {
  private static final double DAMPING = 0.85;
  private static final double REDUNDANCY = 0.55;
  private static final Set<String> STOPWORDS =
      Set.of(
          "a",
          "about",
          "above",
          "after",
          "again",
          "against",
          "all",
          "also",
          "am",
          "an",
          "and",
          "any",
          "are",
          "as",
          "at",
          "be",
          "because",
          "been",
          "before",
          "being",
          "below",
          "between",
          "both",
          "but",
          "by",
          "can",
          "could",
          "did",
          "do",
          "does",
          "doing",
          "down",
          "during",
          "each",
          "few",
          "for",
          "from",
          "further",
          "had",
          "has",
          "have",
          "having",
          "he",
          "her",
          "here",
          "hers",
          "herself",
          "him",
          "himself",
          "his",
          "how",
          "i",
          "if",
          "in",
          "into",
          "is",
          "it",
          "its",
          "itself",
          "just",
          "me",
          "more",
          "most",
          "my",
          "myself",
          "no",
          "nor",
          "not",
          "now",
          "of",
          "off",
          "on",
          "once",
          "only",
          "or",
          "other",
          "our",
          "ours",
          "ourselves",
          "out",
          "over",
          "own",
          "same",
          "she",
          "should",
          "so",
          "some",
          "such",
          "than",
          "that",
          "the",
          "their",
          "theirs",
          "them",
          "themselves",
          "then",
          "there",
          "these",
          "they",
          "this",
          "those",
          "through",
          "to",
          "too",
          "under",
          "until",
          "up",
          "very",
          "was",
          "we",
          "were",
          "what",
          "when",
          "where",
          "which",
          "while",
          "who",
          "whom",
          "why",
          "will",
          "with",
          "would",
          "you",
          "your",
          "yours",
          "yourself",
          "yourselves",
          "said",
          "says",
          "one",
          "two",
          "may",
          "might",
          "must",
          "many",
          "much",
          "new",
          "like");

  private final int maxSentences;

  /** Summaries of at most {@code maxSentences} sentences (fewer for short documents). */
  public TextRankSummarizer(int maxSentences) {
    if (maxSentences < 1) {
      throw new IllegalArgumentException("maxSentences must be positive");
    }
    this.maxSentences = maxSentences;
  }

  public TextRankSummarizer() {
    this(5);
  }

  @Override
  public Summary summarize(String text) {
    List<String> sentences =
        new ArrayList<>(new java.util.LinkedHashSet<>(SentenceSplitter.split(text)));
    int words = DocumentText.wordCount(text);
    if (sentences.isEmpty()) {
      throw new SummarizerException("the document has no text to summarize");
    }
    Work work = Work.words(sentences.stream().mapToLong(DocumentText::wordCount).sum());
    int want =
        Math.min(maxSentences, Math.max(1, (int) Math.round(Math.sqrt(sentences.size()) * 1.2)));
    if (sentences.size() <= want) {
      return new Summary(String.join(" ", sentences), sentences, "textrank", words, work);
    }
    List<Map<String, Double>> vectors = tfIdf(sentences);
    int n = sentences.size();
    double[][] sim = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        sim[i][j] = sim[j][i] = cosine(vectors.get(i), vectors.get(j));
      }
    }
    double[] rank = pageRank(sim);
    double[] score = new double[n];
    for (int i = 0; i < n; i++) {
      double lead =
          1.0 + 0.3 / (1 + i); // the opening sentences of an article usually state its point
      double length = sentences.get(i).length() < 40 ? 0.6 : 1.0; // fragments make poor summaries
      score[i] = isHeading(sentences.get(i)) ? 0 : rank[i] * lead * length;
    }
    List<Integer> order =
        IntStream.range(0, n)
            .boxed()
            .sorted(Comparator.comparingDouble((Integer i) -> -score[i]).thenComparingInt(i -> i))
            .toList();
    List<Integer> chosen = new ArrayList<>();
    for (int i : order) {
      if (chosen.size() == want) {
        break;
      }
      boolean redundant = chosen.stream().anyMatch(c -> sim[c][i] > REDUNDANCY);
      if (!redundant) {
        chosen.add(i);
      }
    }
    chosen.sort(Integer::compare);
    List<String> picked = chosen.stream().map(sentences::get).toList();
    return new Summary(String.join(" ", picked), picked, "textrank", words, work);
  }

  /**
   * A short line without closing punctuation: a title or heading, which ranks high but says little.
   */
  private static boolean isHeading(String s) {
    return !s.matches(".*[.!?:;\"'”’)]$") && DocumentText.wordCount(s) < 12;
  }

  private static double[] pageRank(double[][] sim) {
    int n = sim.length;
    double[] outWeight = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        outWeight[i] += sim[i][j];
      }
    }
    double[] rank = new double[n];
    java.util.Arrays.fill(rank, 1.0 / n);
    for (int iter = 0; iter < 100; iter++) {
      double[] next = new double[n];
      double delta = 0;
      for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++) {
          if (sim[j][i] > 0 && outWeight[j] > 0) {
            sum += sim[j][i] / outWeight[j] * rank[j];
          }
        }
        next[i] = (1 - DAMPING) / n + DAMPING * sum;
        delta += Math.abs(next[i] - rank[i]);
      }
      rank = next;
      if (delta < 1e-9) {
        break;
      }
    }
    return rank;
  }

  private static List<Map<String, Double>> tfIdf(List<String> sentences) {
    List<Map<String, Integer>> counts = new ArrayList<>();
    Map<String, Integer> docFreq = new HashMap<>();
    for (String s : sentences) {
      Map<String, Integer> tf = new HashMap<>();
      for (String t : terms(s)) {
        tf.merge(t, 1, Integer::sum);
      }
      tf.keySet().forEach(t -> docFreq.merge(t, 1, Integer::sum));
      counts.add(tf);
    }
    int n = sentences.size();
    List<Map<String, Double>> vectors = new ArrayList<>();
    for (Map<String, Integer> tf : counts) {
      Map<String, Double> v = new HashMap<>();
      tf.forEach(
          (t, c) -> v.put(t, (1 + Math.log(c)) * Math.log(1.0 + (double) n / docFreq.get(t))));
      vectors.add(v);
    }
    return vectors;
  }

  private static double cosine(Map<String, Double> a, Map<String, Double> b) {
    if (a.isEmpty() || b.isEmpty()) {
      return 0;
    }
    Map<String, Double> small = a.size() <= b.size() ? a : b;
    Map<String, Double> large = small == a ? b : a;
    double dot = 0;
    for (var e : small.entrySet()) {
      Double o = large.get(e.getKey());
      if (o != null) {
        dot += e.getValue() * o;
      }
    }
    return dot == 0 ? 0 : dot / (norm(a) * norm(b));
  }

  private static double norm(Map<String, Double> v) {
    double s = 0;
    for (double x : v.values()) {
      s += x * x;
    }
    return Math.sqrt(s);
  }

  static List<String> terms(String sentence) {
    List<String> out = new ArrayList<>();
    for (String w : sentence.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (w.length() > 1 && !STOPWORDS.contains(w)) {
        out.add(stem(w));
      }
    }
    return out;
  }

  /** A light suffix stripper: enough to make "payments", "paying" and "paid" mostly meet. */
  private static String stem(String w) {
    for (String suffix :
        new String[] {
          "ational", "ization", "ations", "ation", "ingly", "ments", "ment", "ness", "ings", "ing",
          "edly", "ies", "ied", "ers", "er", "ed", "es", "ly", "s"
        }) {
      if (w.length() > suffix.length() + 3 && w.endsWith(suffix)) {
        return w.substring(0, w.length() - suffix.length());
      }
    }
    return w;
  }
}
