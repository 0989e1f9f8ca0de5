package io.attest402.erc8004.index;

import io.attest402.erc8004.FeedbackEvent;
import java.util.List;

/** A NewFeedback with its revocation state and the responses appended to it. */
public record IndexedFeedback(FeedbackEvent event, boolean revoked, List<Response> responses) {

  /** A ResponseAppended. */
  public record Response(
      String responder, String responseURI, String responseHash, long blockNumber) {}
}
