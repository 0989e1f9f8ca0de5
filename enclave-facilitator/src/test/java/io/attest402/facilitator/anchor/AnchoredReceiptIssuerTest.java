package io.attest402.facilitator.anchor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.attest402.facilitator.RequestException;
import io.attest402.facilitator.settle.JournaledOutcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.receipt.SettlementFacts;
import java.math.BigInteger;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The guard's rules for signing and answering, with a counting issuer in place of the enclave
 * signer.
 */
class AnchoredReceiptIssuerTest {
  private final AtomicInteger signed = new AtomicInteger();
  private final ReceiptIssuer counting =
      (f, prev) -> {
        signed.incrementAndGet();
        return Optional.of(JsonNodeFactory.instance.objectNode().put("seq", f.sequence()));
      };

  private static JournaledOutcome facts(long seq) {
    return new JournaledOutcome(
        seq,
        seq,
        SettlementFacts.settled(
                "eip155:31337",
                "0x" + "1".repeat(64),
                "0xpayer",
                "0xpayto",
                "0xasset",
                BigInteger.TEN,
                "0x" + "2".repeat(64),
                1L,
                0L)
            .withSender("0xfac"));
  }

  @Test
  void signsNothingUntilTheAnchorIsReadAndNothingOnceHalted() {
    IntegrityGuard g = IntegrityGuard.unchecked();
    AnchoredReceiptIssuer issuer = new AnchoredReceiptIssuer(counting, g);
    assertThrows(
        AnchoredReceiptIssuer.ReceiptRefusedException.class, () -> issuer.issue(facts(0), null));
    RequestException e =
        assertThrows(RequestException.class, () -> g.requireIntact("unexpected_settle_error"));
    assertEquals(503, e.status());
    g.intact(-1);
    issuer.issue(facts(0), null);
    assertEquals(1, signed.get());
    g.halt("the journal is behind", 7);
    assertThrows(
        AnchoredReceiptIssuer.ReceiptRefusedException.class, () -> issuer.issue(facts(1), null));
    g.intact(9); // a halt is for good
    assertEquals(IntegrityGuard.State.HALTED, g.state());
    assertTrue(g.refusal().orElseThrow().contains("behind"));
    assertEquals(1, signed.get());
  }

  @Test
  void neverSignsAtOrBelowAnAnchoredSeq() {
    IntegrityGuard g = IntegrityGuard.unchecked();
    g.intact(21);
    AnchoredReceiptIssuer issuer = new AnchoredReceiptIssuer(counting, g);
    var e =
        assertThrows(
            AnchoredReceiptIssuer.ReceiptRefusedException.class,
            () -> issuer.issue(facts(21), null));
    assertTrue(e.getMessage().contains("anchored seq 21"), e.getMessage());
    assertThrows(
        AnchoredReceiptIssuer.ReceiptRefusedException.class, () -> issuer.issue(facts(3), null));
    issuer.issue(facts(22), null);
    assertEquals(1, signed.get());
  }

  @Test
  void offSignsAndAnswersWithoutChecks() {
    IntegrityGuard g = IntegrityGuard.off("no SettlementLog");
    new AnchoredReceiptIssuer(counting, g).issue(facts(0), null);
    g.requireIntact("unexpected_verify_error");
    assertEquals(1, signed.get());
  }
}
