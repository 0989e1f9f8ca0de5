package io.attest402.facilitator.settle;

/**
 * How long the reconciler waits before its next pass: right after a broadcast, while a transaction
 * sent moments ago has no receipt yet, it looks again after 1, 2, 4, 8… ms (doubling up to the poll
 * interval) instead of a whole poll interval. On an automining node a receipt exists within a
 * millisecond or two of the send, so the settle answer follows the block, not the poll period; on a
 * chain with slower blocks the follow-ups stop at the poll interval after a handful of cheap
 * receipt lookups. Thread-safe: {@link #broadcast} is called by the settle path.
 */
final class ReceiptFollowUp {
  /** A transaction sent this recently without a receipt is followed up tightly. */
  static final long FRESH_MS = 2_000;

  private static final long FIRST_MICROS = 1_000;

  private volatile int round;
  private volatile boolean freshUnmined;

  /** A transaction was just broadcast: follow up from the shortest delay again. */
  void broadcast() {
    round = 0;
    freshUnmined = true;
  }

  /** A pass begins: what it finds decides the next wait. */
  void passStarts() {
    freshUnmined = false;
  }

  /** The pass saw a transaction without a receipt, sent {@code ageMs} ago by this process. */
  void unmined(long ageMs) {
    if (ageMs >= 0 && ageMs < FRESH_MS) {
      freshUnmined = true;
    }
  }

  /** The wait before the next pass, in microseconds, at most {@code pollMicros}. */
  long nextWaitMicros(long pollMicros) {
    if (!freshUnmined) {
      round = 0;
      return pollMicros;
    }
    int r = round;
    round = Math.min(r + 1, 30);
    long wait = FIRST_MICROS << Math.min(r, 20);
    return Math.max(0, Math.min(pollMicros, wait));
  }
}
