package io.attest402.x402.server;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What a resource server remembers about the payments it was sent, so that one payment buys at most
 * one delivery: every authorization is claimed before the facilitator is asked about it, and the
 * response it bought is kept under the payment's {@code payment-identifier} (when it has one) for
 * the client's retry after a lost response. Implementations are blocking and thread-safe; {@link
 * X402PaymentHandler} calls them off the event loop.
 */
public interface DeliveryStore extends AutoCloseable {

  /** The answer to {@link #claim}. */
  sealed interface Claim {
    /**
     * The payment is new and now claimed by the caller: verify, serve, settle, then {@link
     * #complete}.
     */
    record Claimed() implements Claim {}

    /** The authorization was already claimed by another request: a replay. */
    record AuthorizationUsed() implements Claim {}

    /**
     * The same payment-identifier with the same payment was answered before: send {@code response}
     * again.
     */
    record Stored(StoredResponse response) implements Claim {}

    /**
     * The same payment-identifier with the same payment is still being served (or was cut off by a
     * crash).
     */
    record InProgress() implements Claim {}

    /**
     * The same payment-identifier with the same payment was served, but its response was too large
     * to keep.
     */
    record NotKept() implements Claim {}

    /** The payment-identifier was used with a different payment. */
    record IdConflict() implements Claim {}

    /** The store holds as many unexpired payments as it may: refuse new ones for now. */
    record Full() implements Claim {}
  }

  /** A response as it was sent: status, headers, body. */
  record StoredResponse(int status, Map<String, String> headers, byte[] body) {
    public StoredResponse {
      headers = Map.copyOf(headers);
      Objects.requireNonNull(body, "body");
    }
  }

  /** Claims {@code key}'s authorization (and payment-identifier), or says why not. */
  Claim claim(PaymentKey key, Instant now);

  /**
   * Forgets a claim whose payment was not settled (refused, unverifiable, or the work failed): the
   * payer may retry.
   */
  void release(PaymentKey key);

  /** Records the final response to a claimed payment (kept until the claim expires). */
  void complete(PaymentKey key, StoredResponse response);

  /** Claims currently held. */
  long size();

  @Override
  void close();
}
