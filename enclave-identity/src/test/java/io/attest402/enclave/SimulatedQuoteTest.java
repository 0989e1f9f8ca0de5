package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.enclave.tee.Emulated;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The simulated backend's quotes run the verifier's one real path: accepted only with simulated
 * trust.
 */
class SimulatedQuoteTest {
  @TempDir Path data;

  @ParameterizedTest
  @EnumSource(value = TeeType.class)
  void acceptedOnlyWithSimulatedTrustAndEveryByteFlipFails(TeeType flavour) throws Exception {
    Clock clock = Clock.fixed(Emulated.NOW, ZoneOffset.UTC);
    SimulatedBackend b = SimulatedBackend.open(data, flavour, clock, new SecureRandom());
    byte[] rd = new byte[64];
    new SecureRandom().nextBytes(rd);
    byte[] quote = b.quote(rd);
    Instant at = Emulated.NOW.plusSeconds(5);
    Collateral c = Emulated.simulatedCollateral(b, at);
    VerificationPolicy sim =
        VerificationPolicy.builder()
            .trustSimulationRoot(b.simulationRootFingerprint())
            .allowAnyMeasurement(true)
            .reportData(rd)
            .build();

    Verdict strict = new QuoteVerifier().verify(quote, c, at, VerificationPolicy.defaults());
    assertFalse(strict.ok());
    assertEquals(QuoteVerificationException.Kind.SIMULATED_REJECTED, strict.failure().get().kind());
    Verdict ok = new QuoteVerifier().verify(quote, c, at, sim);
    assertTrue(ok.ok(), ok::toString);
    assertTrue(ok.simulated());
    assertEquals(flavour, ok.teeType().get());
    assertEquals(flavour == TeeType.SGX ? 3 : 4, ok.quote().get().version());

    // Every byte of header, body, signatures, attestation key, QE report and auth data; in the PEM
    // PCK chain
    // (the certification data, ~3 KB of base64 whose parsing dominates the cost) every 7th byte.
    int pem = Quote.parse(quote).certificationDataOffset();
    int flipped = 0;
    for (int i = 0; i < quote.length; i += i < pem ? 1 : 7) {
      byte[] t = quote.clone();
      t[i] ^= (byte) (1 << (i % 8));
      assertFalse(
          new QuoteVerifier().verify(t, c, at, sim).ok(), "byte " + i + " flipped still verifies");
      flipped++;
    }
    assertTrue(flipped > pem, "flipped " + flipped);
    // collateral is reissued before it expires; a restart keeps the CA, so old quotes still verify
    Instant later = Emulated.NOW.plus(Duration.ofDays(20));
    Collateral renewed = Emulated.simulatedCollateral(b, later);
    assertTrue(new QuoteVerifier().verify(quote, renewed, later, sim).ok());
    SimulatedBackend restarted = SimulatedBackend.open(data, flavour, clock, new SecureRandom());
    assertTrue(
        new QuoteVerifier()
            .verify(quote, Emulated.simulatedCollateral(restarted, at), at, sim)
            .ok());
  }
}
