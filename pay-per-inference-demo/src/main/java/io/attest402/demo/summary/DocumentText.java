package io.attest402.demo.summary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;

/** Plain text out of the document formats the summary API accepts: text, Markdown, HTML and PDF. */
public final class DocumentText {
  /** Media types accepted, as a request's Content-Type names them. */
  public enum Format {
    TEXT,
    MARKDOWN,
    HTML,
    PDF;

    /**
     * The format for a Content-Type header (parameters ignored), or an error naming what is
     * accepted.
     */
    public static Format of(String contentType) {
      String type =
          contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
      return switch (type) {
        case "text/plain", "" -> TEXT;
        case "text/markdown", "text/x-markdown" -> MARKDOWN;
        case "text/html", "application/xhtml+xml" -> HTML;
        case "application/pdf" -> PDF;
        default ->
            throw new SummarizerException(
                "unsupported Content-Type '"
                    + type
                    + "': send text/plain, text/markdown, text/html or application/pdf");
      };
    }
  }

  private DocumentText() {}

  /**
   * Extracts the text; throws {@link SummarizerException} for bytes that are not what they claim to
   * be.
   */
  public static String extract(byte[] body, Format format) {
    return switch (format) {
      case TEXT -> utf8(body);
      // Through HTML, so that headings, paragraphs and list items stay separate blocks.
      case MARKDOWN ->
          html(HtmlRenderer.builder().build().render(Parser.builder().build().parse(utf8(body))));
      case HTML -> html(utf8(body));
      case PDF -> pdf(body);
    };
  }

  /** Words, as a reader would count them: runs of letters or digits. */
  public static int wordCount(String text) {
    int count = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      boolean wordChar = Character.isLetterOrDigit(cp);
      if (wordChar && !inWord) {
        count++;
      }
      inWord = wordChar || (inWord && (cp == '\'' || cp == '’' || cp == '-'));
      i += Character.charCount(cp);
    }
    return count;
  }

  private static String html(String html) {
    var doc = Jsoup.parse(html);
    doc.select("script, style, noscript, nav, header, footer, aside, form").remove();
    Element root = doc.selectFirst("article");
    if (root == null) {
      root = doc.body() == null ? doc : doc.body();
    }
    // Block elements become paragraph breaks so sentences and headings do not run together.
    StringBuilder out = new StringBuilder();
    for (Element block :
        root.select("h1, h2, h3, h4, h5, h6, p, li, blockquote, pre, td, dd, dt")) {
      if (!block.tagName().equals("li")
          && block.select("p, li").stream().anyMatch(e -> e != block)) {
        continue; // a container of other blocks: its children are visited themselves
      }
      String text = block.text().trim();
      if (!text.isEmpty()) {
        out.append(text).append("\n\n");
      }
    }
    return out.length() > 0 ? out.toString() : root.text();
  }

  private static String pdf(byte[] body) {
    try (PDDocument doc = Loader.loadPDF(body)) {
      if (doc.isEncrypted()) {
        throw new SummarizerException("the PDF is encrypted");
      }
      return new PDFTextStripper().getText(doc);
    } catch (IOException e) {
      throw new SummarizerException("not a readable PDF: " + e.getMessage(), e);
    }
  }

  private static String utf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SummarizerException("the document is not valid UTF-8 text");
    }
  }
}
