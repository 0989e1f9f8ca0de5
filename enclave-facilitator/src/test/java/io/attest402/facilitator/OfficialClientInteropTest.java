package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.x402.receipt.ReceiptChainVerifier;
import io.attest402.x402.receipt.ReceiptVerifier;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official stack end to end through our facilitator: an @x402/express resource server (which
 * calls our /supported, /verify and /settle) and the @x402/fetch client paying its 402 with an
 * EIP-3009 authorization.
 */
@ExtendWith(ChainExtension.class)
class OfficialClientInteropTest {

  @Test
  void officialServerAndClientCompleteAPaymentThroughOurFacilitator(Chain chain, @TempDir Path dir)
      throws Exception {
    FacilitatorServer facilitator =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    String agent = chain.account(DevAccounts.AGENT).getAddress();
    BigInteger before = TestKit.usdc(chain).balanceOf(payTo).send();
    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_URL", TestKit.url(facilitator));
    env.put("PAY_TO", payTo);
    env.put("ASSET", chain.deployment().contracts().usdc());
    env.put("AMOUNT", "1234");
    try (NodeScript server =
        NodeScript.start("facilitator-paid-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      String resource = server.ready().path("url").asText();
      TestKit.Answer unpaid = TestKit.get(resource);
      assertEquals(402, unpaid.status(), unpaid.text());

      Map<String, String> clientEnv =
          Map.of("URL", resource, "PRIVATE_KEY", TestKit.key(DevAccounts.AGENT));
      try (NodeScript client =
          NodeScript.start("facilitator-pay.mjs", List.of(), clientEnv, TestKit.SCRIPT_TIMEOUT)) {
        JsonNode out = client.ready();
        assertEquals(200, out.path("status").asInt(), out.toString());
        assertEquals(
            "sunny", out.path("body").path("report").path("weather").asText(), out.toString());
        JsonNode pr = out.path("paymentResponse");
        assertTrue(pr.path("success").asBoolean(), out.toString());
        assertEquals(chain.deployment().network(), pr.path("network").asText());
        assertTrue(pr.path("payer").asText().equalsIgnoreCase(agent), out.toString());
        String tx = pr.path("transaction").asText();
        JsonNode status = TestKit.get(TestKit.url(facilitator) + "/settlements/" + tx).json();
        assertEquals("settled", status.path("status").asText(), status.toString());
        assertEquals(
            before.add(BigInteger.valueOf(1234)), TestKit.usdc(chain).balanceOf(payTo).send());
        // the facilitator's signed receipt reached the buyer through the official server, and the
        // chain audits
        String jws = pr.path("extensions").path(ReceiptIssuer.EXTENSION_KEY).path("jws").asText();
        assertTrue(jws.split("\\.").length == 3, out.toString());
        var receipt = ReceiptVerifier.verify(jws, facilitator.facilitator().address());
        assertEquals(tx, receipt.txHash());
        JsonNode chainOfReceipts =
            TestKit.get(TestKit.url(facilitator) + "/receipts?from=0").json().path("receipts");
        List<String> all = new java.util.ArrayList<>();
        chainOfReceipts.forEach(r -> all.add(r.path("receipt").path("jws").asText()));
        ReceiptChainVerifier.Result audit =
            ReceiptChainVerifier.verify(all, facilitator.facilitator().address());
        assertTrue(audit.ok(), audit.summary());
      }
    } finally {
      facilitator.stop();
    }
  }

  /**
   * Issue 3's interop test 2 with our facilitator behind the official server: our paying client
   * pays.
   */
  @Test
  void ourPayingClientPaysTheOfficialServerThroughOurFacilitator(Chain chain, @TempDir Path dir)
      throws Exception {
    FacilitatorServer facilitator =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    BigInteger before = TestKit.usdc(chain).balanceOf(payTo).send();
    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_URL", TestKit.url(facilitator));
    env.put("PAY_TO", payTo);
    env.put("ASSET", chain.deployment().contracts().usdc());
    env.put("AMOUNT", "4321");
    try (NodeScript server =
        NodeScript.start("facilitator-paid-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      var client =
          new io.attest402.x402.client.PayingHttpClient(
              java.net.http.HttpClient.newHttpClient(),
              new io.attest402.x402.evm.Eip3009Signer(
                  chain.account(DevAccounts.AGENT), java.time.Clock.systemUTC()),
              io.attest402.x402.client.SpendPolicy.builder().maxPerRequest(10_000).build(),
              io.attest402.x402.client.TrustHook.allowAll());
      var result =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(server.ready().path("url").asText()))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertTrue(result instanceof io.attest402.x402.client.PaymentResult.Paid, result.toString());
      var paid = (io.attest402.x402.client.PaymentResult.Paid<String>) result;
      assertEquals(200, paid.httpResponse().statusCode());
      assertTrue(paid.settlement().success());
      assertEquals(
          before.add(BigInteger.valueOf(4321)), TestKit.usdc(chain).balanceOf(payTo).send());
      String jws =
          paid.settlement()
              .other()
              .get("extensions")
              .path(ReceiptIssuer.EXTENSION_KEY)
              .path("jws")
              .asText();
      assertEquals(
          paid.settlement().transaction(),
          ReceiptVerifier.verify(jws, facilitator.facilitator().address()).txHash());
    } finally {
      facilitator.stop();
    }
  }
}
