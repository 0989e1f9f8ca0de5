package io.attest402.demo.summary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits prose into sentences. A sentence ends at {@code . ! ?} (optionally followed by closing
 * quotes or brackets) before whitespace and an upper-case letter, digit or opening quote, unless
 * the word before the period is a known abbreviation, an initial or a number. Blank lines always
 * end a sentence (headings, list items).
 */
final class SentenceSplitter {
  private static final Set<String> ABBREVIATIONS =
      Set.of(
          "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc",
          "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
          "oct", "nov", "dec", "no", "fig", "al", "approx", "dept", "est", "gen", "gov", "sen",
          "rep", "u.s", "u.k", "mt", "ft", "vol", "pp", "cf");
  private static final Pattern END =
      Pattern.compile("[.!?]+[\"')\\]’”]*(?=\\s+[\"'(\\[‘“]?[\\p{Lu}\\d])");
  private static final Pattern PARAGRAPH = Pattern.compile("\\n\\s*\\n");

  private SentenceSplitter() {}

  static List<String> split(String text) {
    List<String> sentences = new ArrayList<>();
    for (String paragraph : PARAGRAPH.split(text.replace("\r\n", "\n"))) {
      String p = paragraph.replaceAll("\\s+", " ").trim();
      if (p.isEmpty()) {
        continue;
      }
      int start = 0;
      Matcher m = END.matcher(p);
      while (m.find()) {
        if (m.group().startsWith(".")
            && !m.group().startsWith("..")
            && isAbbreviation(p, m.start())) {
          continue;
        }
        add(sentences, p.substring(start, m.end()));
        start = m.end();
      }
      add(sentences, p.substring(start));
    }
    return sentences;
  }

  private static boolean isAbbreviation(String text, int periodAt) {
    int i = periodAt;
    while (i > 0 && !Character.isWhitespace(text.charAt(i - 1))) {
      i--;
    }
    String word =
        text.substring(i, periodAt).toLowerCase(Locale.ROOT).replaceAll("^[\"'(\\[]+", "");
    return ABBREVIATIONS.contains(word)
        || (word.length() == 1 && Character.isLetter(word.charAt(0))) // an initial: "J. Smith"
        || word.matches("(\\p{L}\\.)+\\p{L}"); // "U.S", "e.g"
  }

  private static void add(List<String> out, String s) {
    String t = s.trim();
    if (!t.isEmpty()) {
      out.add(t);
    }
  }
}
