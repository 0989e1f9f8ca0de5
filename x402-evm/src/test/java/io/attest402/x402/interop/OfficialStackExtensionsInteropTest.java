package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.testing.Paying;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Our {@link PayingHttpClient}'s payments for the official extensions and flows, against the
 * official stack only: the official {@code @x402/express} server ({@code
 * interop/facilitator-paid-server.mjs}) settling through the official facilitator ({@code
 * interop/official-facilitator.mjs}). With {@code payment-identifier} required (the official
 * resource-server extension registered), our client adds an id the official server accepts; with
 * {@code extra.paymentFlow: "upfront"} the official server settles our payment before its handler
 * runs, and a handler failing afterwards leaves the payment spent.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfficialStackExtensionsInteropTest {
  static final BigInteger PRICE = BigInteger.valueOf(1_717);

  FacilitatorUnderTest.Running official;

  @BeforeAll
  void start(Chain chain) {
    Interop.installMulticall3(chain);
    official = Facilitators.OFFICIAL.start(chain, 9);
  }

  @AfterAll
  void stop() {
    if (official != null) {
      official.close();
    }
  }

  @Test
  void theOfficialServerRequiringAPaymentIdentifierAcceptsOursAndTheOfficialFacilitatorSettles(
      Chain chain) throws Exception {
    try (NodeScript server = server(chain, Map.of("PAYMENT_IDENTIFIER", "required"))) {
      URI weather = URI.create(server.ready().path("url").asText());
      BigInteger before = chain.usdcBalance(payTo(chain));
      PaymentResult.Paid<String> paid = Paying.paid(client(chain), weather, Duration.ofSeconds(90));
      PaymentIdentifier.Extracted id = PaymentIdentifier.extract(paid.payment());
      assertTrue(id.present(), "our client sent an id because the offer requires one");
      assertEquals(before.add(PRICE), chain.usdcBalance(payTo(chain)));
      assertTrue(chain.receipt(paid.settlement().transaction()).isStatusOK());
    }
  }

  @Test
  void theOfficialUpfrontServerSettlesOurPaymentBeforeItsHandlerRuns(Chain chain) throws Exception {
    try (NodeScript server = server(chain, Map.of("PAYMENT_FLOW", "upfront"))) {
      URI weather = URI.create(server.ready().path("url").asText());
      BigInteger before = chain.usdcBalance(payTo(chain));
      PaymentResult.Paid<String> paid = Paying.paid(client(chain), weather, Duration.ofSeconds(90));
      assertEquals("upfront", paid.requirements().extraString("paymentFlow"), "offered upfront");
      assertEquals(before.add(PRICE), chain.usdcBalance(payTo(chain)));

      // a handler failing after the upfront settlement: the payment is spent all the same
      PaymentResult<String> failing =
          client(chain)
              .send(
                  HttpRequest.newBuilder(weather.resolve("/failing"))
                      .timeout(Duration.ofSeconds(90))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(
          before.add(PRICE).add(PRICE), chain.usdcBalance(payTo(chain)), String.valueOf(failing));
    }
  }

  // ------------------------------------------------------------------------------------------

  private NodeScript server(Chain chain, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
    env.put("FACILITATOR_URL", official.url());
    env.put("PAY_TO", payTo(chain));
    env.put("ASSET", chain.deployment().contracts().usdc());
    env.put("AMOUNT", PRICE.toString());
    env.putAll(extra);
    return NodeScript.start("facilitator-paid-server.mjs", List.of(), env, Interop.START_TIMEOUT);
  }

  private static PayingHttpClient client(Chain chain) {
    return Paying.client(
        chain.account(DevAccounts.AGENT),
        PRICE,
        chain.deployment().network(),
        chain.deployment().contracts().usdc(),
        payTo(chain));
  }

  private static String payTo(Chain chain) {
    return chain.deployment().account("provider").address();
  }
}
