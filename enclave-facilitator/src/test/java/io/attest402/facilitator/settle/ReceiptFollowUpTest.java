package io.attest402.facilitator.settle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The reconciler's wait: tight follow-ups (1, 2, 4… ms, never above the poll interval) only while a
 * transaction sent moments ago lacks a receipt; the whole poll interval otherwise.
 */
class ReceiptFollowUpTest {
  private static final long POLL = 250_000; // µs

  @Test
  void idleWaitsThePollInterval() {
    ReceiptFollowUp f = new ReceiptFollowUp();
    f.passStarts();
    assertEquals(POLL, f.nextWaitMicros(POLL));
    assertEquals(POLL, f.nextWaitMicros(POLL));
  }

  @Test
  void aFreshUnminedTransactionIsFollowedUpDoublingUpToThePollInterval() {
    ReceiptFollowUp f = new ReceiptFollowUp();
    f.broadcast();
    long[] expected = {1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, POLL, POLL};
    for (long e : expected) {
      f.passStarts();
      f.unmined(5);
      assertEquals(e, f.nextWaitMicros(POLL));
    }
    // a new broadcast starts over from the shortest delay
    f.broadcast();
    assertEquals(1_000, f.nextWaitMicros(POLL));
  }

  @Test
  void aPassThatFindsNothingFreshGoesBackToThePollInterval() {
    ReceiptFollowUp f = new ReceiptFollowUp();
    f.broadcast();
    assertEquals(1_000, f.nextWaitMicros(POLL)); // the pass the broadcast asked for
    f.passStarts(); // it found the receipt: nothing unmined
    assertEquals(POLL, f.nextWaitMicros(POLL));
    f.passStarts();
    f.unmined(ReceiptFollowUp.FRESH_MS + 1); // old and unmined: the reconciler's normal pace
    assertEquals(POLL, f.nextWaitMicros(POLL));
  }
}
