package io.attest402.demo.summary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

class TextRankSummarizerTest {
  private static String article() throws Exception {
    try (InputStream in =
        TextRankSummarizerTest.class.getResourceAsStream("/io/attest402/demo/sample-article.md")) {
      return DocumentText.extract(in.readAllBytes(), DocumentText.Format.MARKDOWN);
    }
  }

  @Test
  void summarizesARealArticleWithItsCentralSentencesInDocumentOrder() throws Exception {
    String text = article();
    Summary s = new TextRankSummarizer(5).summarize(text);
    assertTrue(s.sentences().size() >= 3 && s.sentences().size() <= 5, s.sentences().toString());
    assertEquals("textrank", s.method());
    assertTrue(s.inputWords() > 600, "counted " + s.inputWords());
    // every sentence is verbatim from the document, in the document's order
    int last = -1;
    for (String sentence : s.sentences()) {
      int at = text.replaceAll("\\s+", " ").indexOf(sentence);
      assertTrue(at > last, "in order and verbatim: " + sentence);
      last = at;
    }
    // the summary is about what the article is about
    String lower = s.text().toLowerCase();
    assertTrue(lower.contains("402") || lower.contains("payment"), s.text());
    assertTrue(s.text().length() < text.length() / 3, "a summary is much shorter than the article");
    // deterministic
    assertEquals(s, new TextRankSummarizer(5).summarize(text));
  }

  @Test
  void splitsSentencesButNotAbbreviationsInitialsOrNumbers() {
    List<String> s =
        SentenceSplitter.split(
            "Dr. Smith paid 3.50 USDC to J. Doe at 10 a.m. on Monday. Was it final? Yes! It settled in 2 s.\n\n"
                + "A heading\n\nThe next paragraph starts here.");
    assertEquals(
        List.of(
            "Dr. Smith paid 3.50 USDC to J. Doe at 10 a.m. on Monday.",
            "Was it final?",
            "Yes!",
            "It settled in 2 s.",
            "A heading",
            "The next paragraph starts here."),
        s);
  }

  @Test
  void shortDocumentsAreReturnedWholeAndEmptyOnesAreRefused() {
    assertEquals(
        "Only one sentence here.",
        new TextRankSummarizer().summarize("Only one sentence here.").text());
    SummarizerException e =
        assertThrows(SummarizerException.class, () -> new TextRankSummarizer().summarize(" \n "));
    assertTrue(e.getMessage().contains("no text"));
  }

  /**
   * The work an upto payment is charged for: every word of a document without repeats, and a
   * sentence repeated word for word (a footer) only once, summarized once.
   */
  @Test
  void workIsTheWordsOfTheDistinctSentencesSummarized() throws Exception {
    String article;
    try (InputStream in = getClass().getResourceAsStream("/io/attest402/demo/sample-article.md")) {
      article = DocumentText.extract(in.readAllBytes(), DocumentText.Format.of("text/markdown"));
    }
    Summary plain = new TextRankSummarizer().summarize(article);
    assertEquals(Work.words(DocumentText.wordCount(article)), plain.work());

    String footer = "This report is confidential and meant only for its recipient.";
    String withFooters = article + ("\n\n" + footer).repeat(200);
    Summary repeated = new TextRankSummarizer().summarize(withFooters);
    assertEquals(DocumentText.wordCount(article) + 200 * 10, repeated.inputWords());
    assertEquals(
        Work.words(DocumentText.wordCount(article) + DocumentText.wordCount(footer)),
        repeated.work(),
        "the footer is summarized once");
    assertTrue(
        repeated.sentences().stream().filter(footer::equals).count() <= 1,
        "never picked twice: " + repeated.sentences());
    assertEquals(
        Work.words(DocumentText.wordCount(footer)),
        new TextRankSummarizer().summarize((footer + " ").repeat(50)).work());
  }

  @Test
  void extractsHtmlMarkdownAndPdf() throws Exception {
    String html =
        "<html><head><style>p{}</style><script>var x=1;</script></head><body><nav>Menu</nav>"
            + "<article><h1>Title</h1><p>First paragraph. Second sentence.</p><p>Third one.</p></article></body></html>";
    String fromHtml =
        DocumentText.extract(html.getBytes(StandardCharsets.UTF_8), DocumentText.Format.HTML);
    assertEquals(
        List.of("Title", "First paragraph.", "Second sentence.", "Third one."),
        SentenceSplitter.split(fromHtml));
    String md =
        DocumentText.extract(
            "# Head\n\nSome *bold* text and a [link](http://x).".getBytes(StandardCharsets.UTF_8),
            DocumentText.Format.MARKDOWN);
    assertTrue(md.contains("Some bold text and a link"), md);

    ByteArrayOutputStream pdf = new ByteArrayOutputStream();
    try (PDDocument doc = new PDDocument()) {
      PDPage page = new PDPage();
      doc.addPage(page);
      try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
        cs.beginText();
        cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
        cs.newLineAtOffset(72, 700);
        cs.showText("Payments settle on chain. Facilitators sign receipts.");
        cs.endText();
      }
      doc.save(pdf);
    }
    String fromPdf = DocumentText.extract(pdf.toByteArray(), DocumentText.Format.PDF);
    assertTrue(fromPdf.contains("Facilitators sign receipts."), fromPdf);
    assertThrows(
        SummarizerException.class,
        () ->
            DocumentText.extract(
                "not a pdf".getBytes(StandardCharsets.UTF_8), DocumentText.Format.PDF));
  }

  @Test
  void rejectsUnsupportedTypesAndInvalidUtf8() {
    assertEquals(DocumentText.Format.HTML, DocumentText.Format.of("text/html; charset=utf-8"));
    SummarizerException e =
        assertThrows(SummarizerException.class, () -> DocumentText.Format.of("image/png"));
    assertTrue(e.getMessage().contains("image/png"));
    assertThrows(
        SummarizerException.class,
        () ->
            DocumentText.extract(new byte[] {(byte) 0xC3, (byte) 0x28}, DocumentText.Format.TEXT));
  }

  @Test
  void countsWords() {
    assertEquals(6, DocumentText.wordCount("It's a well-known fact: 402 exists."));
  }
}
