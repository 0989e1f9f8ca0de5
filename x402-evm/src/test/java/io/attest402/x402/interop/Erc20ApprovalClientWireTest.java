package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * Our client's {@code erc20ApprovalGasSponsoring} echo is the official client's, byte for byte: for
 * the same 402 (a Permit2 offer of the plain TestPlainToken declaring the extension), the same
 * payer and the same chain state, our {@link PayingHttpClient} (reading anvil through {@link
 * Web3jChainAccess}) and the official {@code @x402/evm} 2.27 client ({@code
 * interop/official-payload.mjs} with an RPC URL) send the same extension: the declaration as the
 * server wrote it plus the same info, down to the signed approval (deterministic signatures over
 * the same nonce, gas, fees, chain, target and calldata).
 */
@ExtendWith(ChainExtension.class)
class Erc20ApprovalClientWireTest {

  @Test
  void ourSignedApprovalIsTheOfficialClientsToTheByte(Chain chain) throws Exception {
    Credentials payer = Credentials.create(Keys.createEcKeyPair());
    var t = Deployer.PLAIN_TOKEN;
    PaymentRequirements offer =
        PaymentRequirements.exactEvm(
            chain.deployment().network(),
            BigInteger.valueOf(1_000),
            chain.deployment().contracts().plainToken(),
            chain.deployment().account("provider").address(),
            60,
            t.name(),
            t.version());
    ObjectNode extra = offer.extra().deepCopy();
    extra.put("assetTransferMethod", "permit2");
    offer = offer.withExtra(extra);
    ObjectNode declared = Wire.newObject();
    declared.set(Erc20ApprovalGasSponsoring.KEY, Erc20ApprovalGasSponsoring.declaration());
    PaymentRequired pr =
        new PaymentRequired(
            "payment required",
            new ResourceInfo("http://127.0.0.1/paid", "paid", "application/json", Map.of()),
            List.of(offer),
            declared);

    JsonNode ours = ourEcho(chain, payer, pr);
    JsonNode official = officialEcho(chain, payer, pr);
    JsonNode info = official.path("info");
    assertTrue(info.path("signedTransaction").asText().startsWith("0x02"), official.toString());
    for (String field : List.of("from", "asset", "spender", "amount", "version")) {
      assertNotNull(info.get(field), field + ": " + official);
    }
    assertEquals(official, ours);
  }

  /** What our client sends for {@code pr}: a loopback server answers 402 and keeps the payment. */
  private static JsonNode ourEcho(Chain chain, Credentials payer, PaymentRequired pr)
      throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/paid",
        ex -> {
          ex.getResponseHeaders()
              .add(HeaderCodec.PAYMENT_REQUIRED, HeaderCodec.DEFAULT.encodePaymentRequired(pr));
          ex.sendResponseHeaders(402, -1);
          ex.close();
        });
    server.start();
    try {
      PayingHttpClient client =
          new PayingHttpClient(
                  HttpClient.newHttpClient(),
                  new Eip3009Signer(payer, Clock.systemUTC()),
                  SpendPolicy.builder().maxPerRequest(10_000).build(),
                  TrustHook.allowAll())
              .withChain(new Web3jChainAccess(chain.web3j()));
      PaymentResult<String> r =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/paid"))
                  .build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      @SuppressWarnings("unchecked")
      PaymentResult.Failed<String> refused =
          assertInstanceOf(PaymentResult.Failed.class, r, String.valueOf(r));
      return refused.payment().extensions().path(Erc20ApprovalGasSponsoring.KEY);
    } finally {
      server.stop(0);
    }
  }

  /** What the official client path makes of {@code pr} for the same payer. */
  private static JsonNode officialEcho(Chain chain, Credentials payer, PaymentRequired pr) {
    Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
    env.put(
        "PRIVATE_KEY",
        Numeric.toHexStringWithPrefixZeroPadded(payer.getEcKeyPair().getPrivateKey(), 64));
    env.put("PAYMENT_REQUIRED", X402Json.write(pr.toJson()));
    try (NodeScript s =
        NodeScript.start("official-payload.mjs", List.of(), env, Interop.START_TIMEOUT)) {
      JsonNode out = s.ready();
      assertTrue(out.has("paymentPayload"), out.toString());
      return out.path("paymentPayload").path("extensions").path(Erc20ApprovalGasSponsoring.KEY);
    }
  }
}
