package io.attest402.facilitator.chain;

import java.util.Locale;

/**
 * What a node said to {@code eth_sendRawTransaction}, classified by what the settlement engine must
 * do next.
 *
 * @param kind the class of the answer
 * @param message the node's message (empty when accepted)
 */
public record SendResult(Kind kind, String message) {

  /** Classes of answers. */
  public enum Kind {
    /** Accepted into the pool. */
    ACCEPTED,
    /** The node already has this exact transaction. */
    ALREADY_KNOWN,
    /** The account nonce is already used on chain. */
    NONCE_TOO_LOW,
    /** Another transaction with this nonce is in the pool with fees this one does not beat. */
    UNDERPRICED,
    /** The facilitator account cannot pay for gas. */
    INSUFFICIENT_FUNDS,
    /** Refused for another reason: the node will never take this transaction. */
    REJECTED,
    /** No answer (transport error or timeout): the node may or may not have it. */
    UNKNOWN
  }

  public boolean inPool() {
    return kind == Kind.ACCEPTED || kind == Kind.ALREADY_KNOWN;
  }

  /** Classifies a JSON-RPC error message from geth, anvil, reth, erigon or nethermind. */
  public static SendResult classify(String message) {
    String m = message == null ? "" : message.toLowerCase(Locale.ROOT);
    if (m.contains("already known")
        || m.contains("known transaction")
        || m.contains("already imported")
        || m.contains("alreadyknown")
        || m.contains("already exists")) {
      return new SendResult(Kind.ALREADY_KNOWN, message);
    }
    if (m.contains("nonce too low")
        || m.contains("noncetoolow")
        || m.contains("nonce is too low")
        || m.contains("oldnonce")) {
      return new SendResult(Kind.NONCE_TOO_LOW, message);
    }
    if (m.contains("underpriced") || m.contains("fee too low") || m.contains("replacement")) {
      return new SendResult(Kind.UNDERPRICED, message);
    }
    if (m.contains("insufficient funds")
        || m.contains("insufficient balance")
        || m.contains("lackoffunds")) {
      return new SendResult(Kind.INSUFFICIENT_FUNDS, message);
    }
    return new SendResult(Kind.REJECTED, message);
  }
}
