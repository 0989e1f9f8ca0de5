package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class QuoteRateLimiterTest {
  @Test
  void burstThenRefillAtTheConfiguredRate() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-15T12:00:00Z"));
    QuoteRateLimiter l = new QuoteRateLimiter(3, 0.5, clock); // one token every 2 s
    assertEquals(3, l.available());
    assertTrue(l.tryAcquire());
    assertTrue(l.tryAcquire());
    assertTrue(l.tryAcquire());
    assertFalse(l.tryAcquire());
    assertEquals(Duration.ofSeconds(2), l.retryAfter());
    clock.advance(Duration.ofMillis(1500));
    assertFalse(l.tryAcquire());
    assertEquals(Duration.ofMillis(500), l.retryAfter());
    clock.advance(Duration.ofMillis(500));
    assertEquals(Duration.ZERO, l.retryAfter());
    assertTrue(l.tryAcquire());
    assertFalse(l.tryAcquire());
    clock.advance(Duration.ofHours(1));
    assertEquals(3, l.available(), "never more than the capacity");
  }

  @Test
  void clockGoingBackwardsAddsNothing() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-15T12:00:00Z"));
    QuoteRateLimiter l = QuoteRateLimiter.perMinute(2, clock);
    assertTrue(l.tryAcquire());
    assertTrue(l.tryAcquire());
    clock.advance(Duration.ofMinutes(-10));
    assertFalse(l.tryAcquire());
    clock.advance(Duration.ofMinutes(10).plusSeconds(30));
    assertTrue(l.tryAcquire(), "30 s at 2/min is one token");
    assertFalse(l.tryAcquire());
  }

  @Test
  void rejectsNonsense() {
    MutableClock clock = new MutableClock(Instant.EPOCH);
    assertThrows(IllegalArgumentException.class, () -> new QuoteRateLimiter(0, 1, clock));
    assertThrows(IllegalArgumentException.class, () -> new QuoteRateLimiter(1, 0, clock));
    assertThrows(IllegalArgumentException.class, () -> new QuoteRateLimiter(1, Double.NaN, clock));
  }
}
