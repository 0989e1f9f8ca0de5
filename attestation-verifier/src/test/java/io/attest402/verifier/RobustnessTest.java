package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random corruption of every vector: nothing passes, nothing raises anything but the typed
 * error.
 */
class RobustnessTest {
  static final int FLIPS = 1200;
  static final int TRUNCATIONS = 300;
  static final int EXTENSIONS = 300;

  static Stream<Vectors.Vector> vectors() {
    return Vectors.all().stream();
  }

  static Collateral collateralFor(Vectors.Vector v) {
    return v.hasVerdict() ? v.collateral() : Vectors.byId("oasis_tdx_v4_nocrl").collateral();
  }

  static void mustFail(Vectors.Vector v, Collateral c, byte[] q, String what) {
    Verdict d = new QuoteVerifier().verify(q, c, v.at(), Vectors.reportingPolicy(v));
    assertFalse(d.ok(), () -> v.id() + " " + what + " passed: " + d);
    QuoteVerificationException f = d.failure().orElseThrow();
    assertNotNull(f.kind());
    assertFalse(
        f.getMessage().startsWith("verification failed unexpectedly"),
        () -> v.id() + " " + what + ": " + f.getMessage());
    try {
      Quote.parse(q);
    } catch (QuoteVerificationException expected) {
      assertTrue(
          expected.kind() == QuoteVerificationException.Kind.MALFORMED_QUOTE
              || expected.kind() == QuoteVerificationException.Kind.UNSUPPORTED_QUOTE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void flipsTruncationsAndExtensionsNeverPass(Vectors.Vector v) throws Exception {
    byte[] q = v.quote();
    Collateral c = collateralFor(v);
    int length = Quote.parse(q).length();
    SplittableRandom rnd = new SplittableRandom(v.id().hashCode());
    for (int i = 0; i < FLIPS; i++) {
      byte[] m = q.clone();
      int pos = rnd.nextInt(q.length);
      m[pos] ^= (byte) (1 + rnd.nextInt(255));
      mustFail(v, c, m, "flip at " + pos);
    }
    for (int i = 0; i < TRUNCATIONS; i++) {
      int len = rnd.nextInt(length);
      mustFail(v, c, Arrays.copyOf(q, len), "truncation to " + len);
    }
    for (int i = 0; i < EXTENSIONS; i++) {
      int extra = 1 + rnd.nextInt(64);
      byte[] m = Arrays.copyOf(q, q.length + extra);
      for (int k = q.length; k < m.length; k++) {
        m[k] = (byte) rnd.nextInt(256);
      }
      m[q.length + rnd.nextInt(extra)] |= 1;
      mustFail(v, c, m, "extension by " + extra);
    }
  }
}
