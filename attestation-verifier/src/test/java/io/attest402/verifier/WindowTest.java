package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.QuoteVerificationException.Kind;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WindowTest {
  static Stream<Vectors.Vector> windowed() {
    return Vectors.all().stream().filter(v -> v.window() != null);
  }

  static Verdict at(Vectors.Vector v, long t) {
    return new QuoteVerifier()
        .verify(v.quote(), v.collateral(), Instant.ofEpochSecond(t), Vectors.reportingPolicy(v));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("windowed")
  void verdictChangesExactlyAtTheWindowEdges(Vectors.Vector v) {
    long start = v.window()[0];
    long end = v.window()[1];
    assertTrue(at(v, start).ok(), () -> "start " + at(v, start));
    assertTrue(at(v, end).ok(), () -> "end " + at(v, end));
    Verdict before = at(v, start - 1);
    Verdict after = at(v, end + 1);
    assertEquals(Kind.EXPIRED_OR_NOT_YET_VALID, before.failure().get().kind(), before::toString);
    assertEquals(Kind.EXPIRED_OR_NOT_YET_VALID, after.failure().get().kind(), after::toString);
  }

  @Test
  void oasisNegativeTimes() {
    Vectors.Vector v = Vectors.byId("oasis_sgx_v3_nocrl");
    String[][] cases = {
      {"1891163522", "PCK certificate chain"},
      {"1670238720", "PCK certificate chain"},
      {"1671194735", "issue date"},
      {"1673786737", "expired"}
    };
    for (String[] c : cases) {
      Verdict d = at(v, Long.parseLong(c[0]));
      assertEquals(Kind.EXPIRED_OR_NOT_YET_VALID, d.failure().get().kind(), d::toString);
      assertTrue(d.failure().get().getMessage().contains(c[1]), d.failure().get().getMessage());
    }
  }
}
