package io.attest402.verifier.cli;

/** Test access to the CLI's quote file decoding. */
public final class QuoteVerifyCommandAccess {
  private QuoteVerifyCommandAccess() {}

  public static byte[] decode(byte[] content) {
    return QuoteVerifyCommand.decodeQuoteFile(content);
  }
}
