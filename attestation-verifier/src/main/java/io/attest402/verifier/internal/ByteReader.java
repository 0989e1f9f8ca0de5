package io.attest402.verifier.internal;

import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerificationException.Kind;
import java.util.Arrays;

/**
 * Little-endian cursor over a byte array that reports the offset and field name of every failed
 * read.
 */
public final class ByteReader {
  private final byte[] data;
  private final int base;
  private final int end;
  private int pos;

  public ByteReader(byte[] data) {
    this(data, 0, data.length);
  }

  private ByteReader(byte[] data, int start, int end) {
    this.data = data;
    this.base = start;
    this.pos = start;
    this.end = end;
  }

  public int offset() {
    return pos;
  }

  public int remaining() {
    return end - pos;
  }

  /** A reader over the next {@code length} bytes; this reader skips past them. */
  public ByteReader slice(int length, String field) throws QuoteVerificationException {
    need(length, field);
    ByteReader r = new ByteReader(data, pos, pos + length);
    pos += length;
    return r;
  }

  public byte[] bytes(int length, String field) throws QuoteVerificationException {
    need(length, field);
    byte[] out = Arrays.copyOfRange(data, pos, pos + length);
    pos += length;
    return out;
  }

  public int u16(String field) throws QuoteVerificationException {
    need(2, field);
    int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
    pos += 2;
    return v;
  }

  public long u32(String field) throws QuoteVerificationException {
    need(4, field);
    long v =
        (data[pos] & 0xffL)
            | (data[pos + 1] & 0xffL) << 8
            | (data[pos + 2] & 0xffL) << 16
            | (data[pos + 3] & 0xffL) << 24;
    pos += 4;
    return v;
  }

  /** A u32 length that must fit in the remaining bytes. */
  public int length32(String field) throws QuoteVerificationException {
    int at = pos;
    long v = u32(field);
    if (v > remaining()) {
      throw fail(
          at, field, field + " = " + v + " exceeds the " + remaining() + " bytes that follow");
    }
    return (int) v;
  }

  public void expectEnd(String what) throws QuoteVerificationException {
    if (pos != end) {
      throw fail(pos, what, (end - pos) + " unexpected bytes after " + what);
    }
  }

  private void need(int length, String field) throws QuoteVerificationException {
    if (length < 0 || length > end - pos) {
      throw fail(
          pos,
          field,
          "truncated: " + field + " needs " + length + " bytes, " + (end - pos) + " left");
    }
  }

  public static QuoteVerificationException fail(int offset, String field, String message) {
    return new QuoteVerificationException(Kind.MALFORMED_QUOTE, message, offset, field, null);
  }

  public int base() {
    return base;
  }
}
