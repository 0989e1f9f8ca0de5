package io.attest402.enclave.tee;

import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.TeeType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HexFormat;

/** File access for the pseudo-files of Gramine and configfs-tsm, with errors that name the file. */
final class DeviceIo {
  private DeviceIo() {}

  static byte[] read(Path file, String what) throws TeeException {
    try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ)) {
      return in.readAllBytes();
    } catch (NoSuchFileException e) {
      throw new TeeException(what + ": " + file + " does not exist", e);
    } catch (IOException e) {
      throw new TeeException(what + ": cannot read " + file + ": " + e, e);
    }
  }

  /** Text content without trailing NULs and whitespace. */
  static String readText(Path file, String what) throws TeeException {
    String s = new String(read(file, what), StandardCharsets.US_ASCII);
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == '\0' || Character.isWhitespace(s.charAt(end - 1)))) {
      end--;
    }
    return s.substring(0, end);
  }

  /** Writes into an existing file (never creates one: the kernel or Gramine must provide it). */
  static void write(Path file, byte[] data, String what) throws TeeException {
    try (OutputStream out =
        Files.newOutputStream(
            file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      out.write(data);
    } catch (NoSuchFileException e) {
      throw new TeeException(what + ": " + file + " does not exist", e);
    } catch (IOException e) {
      throw new TeeException(what + ": cannot write " + file + ": " + e, e);
    }
  }

  static void checkReportData(byte[] reportData64) {
    if (reportData64 == null || reportData64.length != 64) {
      throw new IllegalArgumentException("report data must be exactly 64 bytes");
    }
  }

  /**
   * Parses a quote that came back from the TEE and checks that it is of the expected kind and
   * carries exactly the report data we asked for (a short read, a stale quote or a concurrent
   * writer all show up here).
   */
  static Quote checkQuote(byte[] raw, byte[] reportData64, TeeType tee, String source)
      throws TeeException {
    if (raw.length == 0) {
      throw new TeeException(source + " returned no quote (0 bytes)");
    }
    Quote q;
    try {
      q = Quote.parse(raw);
    } catch (QuoteVerificationException e) {
      throw new TeeException(
          source
              + " returned a quote that does not parse ("
              + raw.length
              + " bytes): "
              + e.getMessage(),
          e);
    }
    if (q.teeType() != tee) {
      throw new TeeException(source + " returned a " + q.teeType() + " quote, expected " + tee);
    }
    if (!Arrays.equals(q.reportData(), reportData64)) {
      throw new TeeException(
          source
              + " returned a quote over other report data than requested (requested "
              + HexFormat.of().formatHex(reportData64, 0, 8)
              + "..., quote has "
              + HexFormat.of().formatHex(q.reportData(), 0, 8)
              + "...): another user of the device, or a stale "
              + "quote");
    }
    return q;
  }
}
