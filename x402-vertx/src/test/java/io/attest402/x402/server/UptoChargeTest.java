package io.attest402.x402.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the handler turns a route's charge into the settle request's amount. */
class UptoChargeTest {
  static final PaymentRequirements UPTO =
      new PaymentRequirements(
          "upto",
          "eip155:84532",
          BigInteger.valueOf(10_000),
          "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
          "0x209693Bc6afc0C5328bA36FaF03C514EF312287C",
          60,
          Wire.newObject());

  @Test
  void chargingSetsTheAmountAndTheHeaderNeverLeavesTheServer() {
    UptoCharge.Resolved r =
        UptoCharge.resolve(UPTO, PaidResponse.json("{}").charging(BigInteger.valueOf(1_234)));
    assertEquals(BigInteger.valueOf(1_234), r.requirements().amount());
    assertFalse(
        r.response().headers().keySet().stream()
            .anyMatch(k -> k.equalsIgnoreCase(PaidResponse.SETTLEMENT_OVERRIDES)));
  }

  @Test
  void noChargeMeansTheMaximum() {
    assertEquals(
        UPTO.amount(), UptoCharge.resolve(UPTO, PaidResponse.json("{}")).requirements().amount());
  }

  @Test
  void percentagesAreOfTheMaximumAsTheOfficialServerResolvesThem() {
    assertEquals(BigInteger.valueOf(5_000), UptoCharge.amountOf("50%", UPTO.amount()));
    assertEquals(BigInteger.valueOf(1_250), UptoCharge.amountOf("12.5%", UPTO.amount()));
    assertEquals(BigInteger.valueOf(1_234), UptoCharge.amountOf("12.34%", UPTO.amount()));
  }

  @Test
  void aMalformedChargeIsRefusedBeforeAnySettlement() {
    for (String bad : new String[] {"-1", "1e3", "$0.05", "abc", ""}) {
      PaidResponse res =
          new PaidResponse(
              200,
              Map.of(PaidResponse.SETTLEMENT_OVERRIDES, "{\"amount\":\"" + bad + "\"}"),
              io.vertx.core.buffer.Buffer.buffer("{}"));
      assertThrows(IllegalArgumentException.class, () -> UptoCharge.resolve(UPTO, res), bad);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> PaidResponse.json("{}").charging(BigInteger.valueOf(-1)));
  }

  @Test
  void anExactOfferIgnoresTheHeaderAndKeepsItsPrice() {
    PaymentRequirements exact =
        new PaymentRequirements(
            "exact",
            UPTO.network(),
            UPTO.amount(),
            UPTO.asset(),
            UPTO.payTo(),
            60,
            Wire.newObject());
    UptoCharge.Resolved r =
        UptoCharge.resolve(exact, PaidResponse.json("{}").charging(BigInteger.ONE));
    assertEquals(UPTO.amount(), r.requirements().amount());
    assertFalse(r.response().headers().containsKey(PaidResponse.SETTLEMENT_OVERRIDES));
  }
}
