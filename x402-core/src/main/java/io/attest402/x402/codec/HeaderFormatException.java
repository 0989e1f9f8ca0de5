package io.attest402.x402.codec;

import io.attest402.x402.types.X402FormatException;

/**
 * An x402 header that cannot be decoded: which header, which stage failed ({@link Problem}) and
 * exactly what is wrong. {@link #getMessage()} is suitable for a 4xx response.
 */
public final class HeaderFormatException extends X402FormatException {
  private static final long serialVersionUID = 1L;

  /** The decoding stage that failed. */
  public enum Problem {
    EMPTY,
    TOO_LARGE,
    NOT_BASE64,
    NOT_UTF8,
    NOT_JSON,
    INVALID_CONTENT
  }

  private final String header;
  private final Problem kind;

  public HeaderFormatException(
      String header, Problem kind, String path, String problem, Throwable cause) {
    super(
        path,
        problem,
        header
            + " header "
            + (path == null || path.isEmpty() ? "" : "field " + path + " ")
            + problem);
    this.header = header;
    this.kind = kind;
    if (cause != null) {
      initCause(cause);
    }
  }

  public String header() {
    return header;
  }

  public Problem kind() {
    return kind;
  }
}
