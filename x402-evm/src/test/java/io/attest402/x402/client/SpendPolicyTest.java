package io.attest402.x402.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Caps in token units and on maxTimeoutSeconds (unit test of one class). */
class SpendPolicyTest {
  static final String USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  static final String WETH = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
  static final String PAY_TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

  static PaymentRequirements offer(String asset, long amount, int timeout) {
    return PaymentRequirements.exactEvm(
        "eip155:31337", BigInteger.valueOf(amount), asset, PAY_TO, timeout, "USD Coin", "2");
  }

  @Test
  void tokenUnitsConvertExactlyBothWays() {
    assertEquals(BigInteger.valueOf(10_000), TokenAmount.toBaseUnits("0.01", 6));
    assertEquals(BigInteger.valueOf(5_000_000), TokenAmount.toBaseUnits("5", 6));
    assertEquals(BigInteger.valueOf(1_300), TokenAmount.toBaseUnits("0.001300", 6));
    assertEquals(new BigInteger("1000000000000000000"), TokenAmount.toBaseUnits("1", 18));
    assertEquals("0.0013", TokenAmount.format(BigInteger.valueOf(1_300), 6));
    assertEquals("20", TokenAmount.format(BigInteger.valueOf(20_000_000), 6));
    assertEquals("0", TokenAmount.format(BigInteger.ZERO, 6));
    IllegalArgumentException tooPrecise =
        assertThrows(IllegalArgumentException.class, () -> TokenAmount.toBaseUnits("0.0000001", 6));
    assertEquals("amount 0.0000001 has 7 decimal places; the token has 6", tooPrecise.getMessage());
    for (String bad : List.of("-1", "1e3", "0,01", "", ".5", "1.")) {
      assertTrue(
          assertThrows(IllegalArgumentException.class, () -> TokenAmount.toBaseUnits(bad, 6))
              .getMessage()
              .contains("non-negative decimal number"),
          bad);
    }
    assertThrows(IllegalArgumentException.class, () -> TokenAmount.toBaseUnits("1", 78));
  }

  @Test
  void capsInTokenUnitsApplyPerAssetWithReadableReasons() {
    SpendPolicy p =
        SpendPolicy.builder()
            .token(USDC, "USDC", 6)
            .maxPerRequest("0.01 USDC")
            .maxPerSession("0.025 USDC")
            .build();
    assertEquals(List.of(), p.check(offer(USDC, 10_000, 60), 2));
    assertEquals(
        List.of("amount 10001 (0.010001 USDC) exceeds the per-request cap 10000 (0.01 USDC)"),
        p.check(offer(USDC.toLowerCase(), 10_001, 60), 2));
    assertTrue(p.reserve(offer(USDC, 10_000, 60), 2));
    assertTrue(p.reserve(offer(USDC, 10_000, 60), 2));
    assertEquals(
        List.of(
            "amount 10000 (0.01 USDC) would bring this session's spending on "
                + USDC
                + " to 30000 (0.03 USDC), over the cap 25000 (0.025 USDC)"),
        p.check(offer(USDC, 10_000, 60), 2));
    // an asset without a cap of its own is refused once caps are stated per token
    assertEquals(
        List.of("no spending cap is stated for asset " + WETH), p.check(offer(WETH, 1, 60), 2));
  }

  @Test
  void badTokenCapsFailAtBuildWithThePreciseProblem() {
    assertEquals(
        "per-request cap \"0.0000001 USDC\": amount 0.0000001 has 7 decimal places; USDC has 6",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    SpendPolicy.builder()
                        .token(USDC, "USDC", 6)
                        .maxPerRequest("0.0000001 USDC")
                        .build())
            .getMessage());
    assertEquals(
        "per-session cap \"1 DAI\": unknown token DAI (declared: USDC)",
        assertThrows(
                IllegalArgumentException.class,
                () -> SpendPolicy.builder().token(USDC, "USDC", 6).maxPerSession("1 DAI").build())
            .getMessage());
    assertEquals(
        "per-request cap \"0.01\" must be an amount and a token symbol, e.g. \"0.01 USDC\"",
        assertThrows(
                IllegalArgumentException.class,
                () -> SpendPolicy.builder().token(USDC, "USDC", 6).maxPerRequest("0.01").build())
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> SpendPolicy.builder().token(USDC, "USDC", 6).maxPerRequest("-1 USDC").build())
            .getMessage()
            .contains("non-negative decimal number"));
    assertThrows(
        IllegalArgumentException.class, () -> SpendPolicy.builder().token(USDC, "USDC", 99));
  }

  @Test
  void maxTimeoutSecondsIsCapped() {
    SpendPolicy p = SpendPolicy.builder().maxTimeoutSeconds(300).build();
    assertEquals(List.of(), p.check(offer(USDC, 1, 300), 2));
    assertEquals(
        List.of(
            "maxTimeoutSeconds 86400 exceeds the cap 300 (a signed authorization would stay spendable"
                + " that long)"),
        p.check(offer(USDC, 1, 86_400), 2));
    assertThrows(IllegalArgumentException.class, () -> SpendPolicy.builder().maxTimeoutSeconds(0));
  }

  @Test
  void allowedSchemesPickTheOfferToPayAndTheUptoMaximumMeetsTheCap() {
    com.fasterxml.jackson.databind.node.ObjectNode extra =
        io.attest402.x402.types.Wire.newObject()
            .put("name", "USD Coin")
            .put("version", "2")
            .put("assetTransferMethod", "permit2")
            .put("facilitatorAddress", PAY_TO);
    PaymentRequirements upto =
        new PaymentRequirements(
            "upto", "eip155:31337", BigInteger.valueOf(5_000), USDC, PAY_TO, 300, extra);
    SpendPolicy uptoOnly = SpendPolicy.builder().allowSchemes("upto").maxPerRequest(5_000).build();
    assertEquals(List.of("scheme exact is not allowed"), uptoOnly.check(offer(USDC, 1, 300), 2));
    assertEquals(List.of(), uptoOnly.check(upto, 2));
    // the cap is held against the maximum the payer would sign, not what it may be charged
    SpendPolicy low = SpendPolicy.builder().allowSchemes("upto").maxPerRequest(4_999).build();
    assertEquals(List.of("amount 5000 exceeds the per-request cap 4999"), low.check(upto, 2));
    SpendPolicy exactOnly = SpendPolicy.builder().allowSchemes("exact").build();
    assertEquals(List.of("scheme upto is not allowed"), exactOnly.check(upto, 2));
    assertEquals(List.of(), exactOnly.check(offer(USDC, 1, 300), 2));
  }
}
