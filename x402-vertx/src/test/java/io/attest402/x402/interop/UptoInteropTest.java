package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.testing.Paying;
import java.math.BigInteger;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

/**
 * Our paying client's {@code upto} payloads against the official stack only: the official
 * {@code @x402/express} server with the official upto server scheme, settling through the official
 * facilitator with {@code UptoEvmScheme}, offers a maximum and charges less with {@code
 * setSettlementOverrides}; our {@link PayingHttpClient} signs the offer, and is charged the smaller
 * amount, which {@code PAYMENT-RESPONSE} reports.
 */
@ExtendWith(ChainExtension.class)
@SuppressWarnings("unchecked")
class UptoInteropTest {
  static final BigInteger MAXIMUM = BigInteger.valueOf(9_000);
  static final BigInteger CHARGE = BigInteger.valueOf(2_750);

  @Test
  void officialServerAndFacilitatorAcceptOurUptoPayloadAndChargeLess(Chain chain) throws Exception {
    Interop.installMulticall3(chain);
    String payTo = chain.deployment().account("provider").address();
    String asset = chain.deployment().contracts().usdc();
    Credentials agent = chain.account(DevAccounts.AGENT);
    approvePermit2(chain, asset, agent);
    FacilitatorUnderTest.Running fac = Facilitators.OFFICIAL.start(chain, 9);
    try {
      Map<String, String> env = new HashMap<>();
      env.put("FACILITATOR_URL", fac.url());
      env.put("PAY_TO", payTo);
      env.put("ASSET", asset);
      env.put("PRICE", MAXIMUM.toString());
      env.put("CHARGE", CHARGE.toString());
      env.put("SCHEME", "upto");
      env.put("NETWORK", chain.deployment().network());
      try (NodeScript express =
          NodeScript.start("official-express-server.mjs", List.of(), env, Interop.START_TIMEOUT)) {
        URI url = URI.create(express.ready().path("url").asText());
        PayingHttpClient payer =
            Paying.client(agent, MAXIMUM, chain.deployment().network(), asset, payTo);
        BigInteger before = chain.usdcBalance(agent.getAddress());
        PaymentResult.Paid<String> paid = Paying.paid(payer, url, Duration.ofSeconds(60));
        assertEquals("upto", paid.requirements().scheme());
        assertEquals(MAXIMUM, paid.requirements().amount());
        assertEquals(CHARGE, paid.settlement().amount(), String.valueOf(paid.settlement()));
        assertEquals(before.subtract(CHARGE), chain.usdcBalance(agent.getAddress()));
        var receipt = chain.receipt(paid.settlement().transaction());
        assertTrue(receipt.isStatusOK());
        assertTrue(Permit2.UPTO_PROXY.equalsIgnoreCase(receipt.getTo()), receipt.getTo());
      }
    } finally {
      fac.close();
    }
  }

  private static void approvePermit2(Chain chain, String token, Credentials who) throws Exception {
    org.junit.jupiter.api.Assertions.assertTrue(
        io.attest402.contracts.generated.TestUSDC.load(
                token, chain.web3j(), chain.txManager(who), chain.gas())
            .approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
  }
}
