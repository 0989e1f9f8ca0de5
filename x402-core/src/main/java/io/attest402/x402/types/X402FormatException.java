package io.attest402.x402.types;

/**
 * A wire value that is not valid x402: says where ({@link #path()}, a JSON path such as {@code
 * accepted.amount}) and what is wrong. Thrown by every decoder in this module instead of a generic
 * parse error.
 */
public class X402FormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String path;
  private final String problem;

  public X402FormatException(String path, String problem) {
    super(path == null || path.isEmpty() ? problem : path + ": " + problem);
    this.path = path == null ? "" : path;
    this.problem = problem;
  }

  /** For subclasses that compose their own message. */
  protected X402FormatException(String path, String problem, String message) {
    super(message);
    this.path = path == null ? "" : path;
    this.problem = problem;
  }

  public X402FormatException(String path, String problem, Throwable cause) {
    this(path, problem);
    initCause(cause);
  }

  /** Where the problem is: a dotted JSON path ({@code ""} for the document itself). */
  public String path() {
    return path;
  }

  /** What is wrong, without the path. */
  public String problem() {
    return problem;
  }
}
