package io.attest402.facilitator.anchor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.facilitator.RequestException;
import java.util.Optional;

/**
 * Whether this facilitator's journal is the one its key anchored on chain. Until the anchor has
 * been read it is {@code UNCHECKED}; a journal behind the anchor or differing from it makes it
 * {@code HALTED} for good (an operator must recover, see deploy/README.md). While not {@code
 * INTACT}, verify and settle answer 503 with the reason and no receipt is signed; and no receipt is
 * ever signed at a seq at or below one already anchored.
 */
public final class IntegrityGuard {
  /** States of the check. */
  public enum State {
    UNCHECKED,
    INTACT,
    HALTED,
    OFF
  }

  private volatile State state;
  private volatile String reason;
  private volatile long anchoredSeq = -1;

  private IntegrityGuard(State state, String reason) {
    this.state = state;
    this.reason = reason;
  }

  /** Before the on-chain anchor is read: refuses until {@link #intact} or {@link #halt}. */
  public static IntegrityGuard unchecked() {
    return new IntegrityGuard(
        State.UNCHECKED, "the receipt chain's on-chain anchor has not been read yet");
  }

  /**
   * No anchoring configured (the deployment has no SettlementLog): nothing is checked, nothing
   * refused.
   */
  public static IntegrityGuard off(String why) {
    return new IntegrityGuard(State.OFF, why);
  }

  public State state() {
    return state;
  }

  public String reason() {
    return reason;
  }

  /** The highest seq known to be anchored on chain for this key (-1: none). */
  public long anchoredSeq() {
    return anchoredSeq;
  }

  /** The journal agrees with the chain, whose newest anchor is at {@code seq} (-1: none yet). */
  public synchronized void intact(long seq) {
    if (state == State.HALTED) {
      return;
    }
    state = State.INTACT;
    reason = null;
    anchoredSeq = Math.max(anchoredSeq, seq);
  }

  /**
   * The anchor could not be read: stays refusing (if unchecked) with this reason, retried later.
   */
  public synchronized void stillUnchecked(String why) {
    if (state == State.UNCHECKED) {
      reason = why;
    }
  }

  /** The journal contradicts the chain: refuse for good. */
  public synchronized void halt(String why, long seq) {
    state = State.HALTED;
    reason = why;
    anchoredSeq = Math.max(anchoredSeq, seq);
  }

  /** Why verify, settle and receipt signing are refused now; empty when they may go ahead. */
  public Optional<String> refusal() {
    State s = state;
    return s == State.INTACT || s == State.OFF ? Optional.empty() : Optional.ofNullable(reason);
  }

  /**
   * Throws a 503 {@link RequestException} with {@code errorReason} and the precise message when
   * refusing.
   */
  public void requireIntact(String errorReason) {
    Optional<String> r = refusal();
    if (r.isPresent()) {
      throw new RequestException(503, errorReason, "facilitator halted: " + r.get());
    }
  }

  /**
   * Whether a receipt with {@code seq} may be signed: not while refusing, never at or below an
   * anchored seq.
   */
  public Optional<String> refuseReceipt(long seq) {
    Optional<String> r = refusal();
    if (r.isPresent()) {
      return r;
    }
    long a = anchoredSeq;
    if (state != State.OFF && seq <= a) {
      return Optional.of(
          "seq "
              + seq
              + " is at or below the anchored seq "
              + a
              + ": a receipt there exists already");
    }
    return Optional.empty();
  }

  /** Adds this state to a {@code /health} document. */
  public void describe(ObjectNode anchor) {
    anchor.put("integrity", state.name().toLowerCase(java.util.Locale.ROOT));
    if (anchoredSeq >= 0) {
      anchor.put("anchoredSeq", anchoredSeq);
    }
    if (reason != null) {
      anchor.put("reason", reason);
    }
  }
}
