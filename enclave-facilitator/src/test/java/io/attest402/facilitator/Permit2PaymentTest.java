package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.contracts.generated.TestPermitToken;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * {@code exact} with {@code assetTransferMethod: "permit2"} end to end: the official
 * {@code @x402/fetch} client pays our Vert.x {@link X402PaymentHandler} route through our
 * facilitator on anvil, settled through the x402 exact proxy and Permit2 at their canonical
 * addresses; with {@code eip2612GasSponsoring} declared, a payer of the EIP-2612-only
 * TestPermitToken who never approved Permit2 pays without sending a transaction itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Permit2PaymentTest {
  static final BigInteger PRICE = BigInteger.valueOf(2_500);

  Chain chain;
  FacilitatorServer facilitator;
  Vertx vertx;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    chain = Chain.start();
    TestKit.installMulticall3(chain);
    var t = Deployer.PERMIT_TOKEN;
    facilitator =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(
                chain,
                new AssetConfig(
                    chain.deployment().contracts().permitToken(),
                    t.name(),
                    t.version(),
                    t.decimals())),
            SignedReceiptIssuer::of);
    vertx = Vertx.vertx();
  }

  @AfterAll
  void tearDown() throws Exception {
    if (vertx != null) {
      VertxTesting.await(vertx.close());
    }
    if (facilitator != null) {
      facilitator.stop();
    }
    if (chain != null) {
      chain.close();
    }
  }

  @Test
  void officialFetchClientPaysByPermit2AfterApprovingPermit2() throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    int payer = 4;
    fund(usdc, payer);
    TestPermitToken token = token(usdc, payer);
    assertTrue(
        token
            .approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
    JsonNode out = pay(usdc, "USD Coin", "2", payer, false);
    assertPaid(out, usdc, payer);
  }

  @Test
  void eip2612GasSponsoringLetsAPayerWithoutAllowancePayAnEip2612OnlyToken() throws Exception {
    String pusd = chain.deployment().contracts().permitToken();
    int payer = 6;
    fund(pusd, payer);
    assertEquals(
        BigInteger.ZERO,
        token(pusd, payer)
            .allowance(DevAccounts.account(payer).getAddress(), Permit2.ADDRESS)
            .send());
    BigInteger ethBefore = eth(payer);
    JsonNode out = pay(pusd, "Permit Dollar", "1", payer, true);
    assertPaid(out, pusd, payer);
    assertEquals(ethBefore, eth(payer), "the payer sent no transaction of its own");
  }

  @Test
  void withoutAllowanceOrSponsoringThePaymentIsRefusedAsPreconditionFailed() throws Exception {
    String pusd = chain.deployment().contracts().permitToken();
    int payer = 7;
    fund(pusd, payer);
    JsonNode out = pay(pusd, "Permit Dollar", "1", payer, false);
    // the facilitator's permit2_allowance_required: 412 Precondition Failed, as the official
    // server answers it, and nothing moved
    assertEquals(412, out.path("status").asInt(), out.toString());
    assertEquals(
        Deployer.DEV_USDC,
        token(pusd, payer).balanceOf(DevAccounts.account(payer).getAddress()).send());
  }

  // ------------------------------------------------------------------------------------------

  private JsonNode pay(String asset, String name, String version, int payer, boolean sponsor)
      throws Exception {
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    ObjectNode extra = Wire.newObject();
    extra.put("assetTransferMethod", "permit2");
    PaymentOption option =
        new PaymentOption(
            chain.deployment().network(),
            asset,
            name,
            version,
            ctx -> payTo,
            ctx -> PRICE,
            120,
            extra);
    X402PaymentHandler.Builder b =
        X402PaymentHandler.builder(HttpFacilitatorClient.of(TestKit.url(facilitator)))
            .accept(option)
            .route((ctx, p) -> Future.succeededFuture(PaidResponse.json("{\"ok\":true}")));
    if (sponsor) {
      b.extensions(Map.of(Eip2612GasSponsoring.KEY, Eip2612GasSponsoring.declaration()));
    }
    Router router = Router.router(vertx);
    router.get("/paid").handler(b.build());
    HttpServer server = VertxTesting.listen(vertx, router);
    try {
      Map<String, String> env = TestKit.chainEnv(chain);
      env.put("PRIVATE_KEY", TestKit.key(payer));
      env.put("ASSET", asset);
      env.put("MAX_AMOUNT", PRICE.toString());
      env.put("NETWORK", chain.deployment().network());
      String url = "http://127.0.0.1:" + server.actualPort() + "/paid";
      try (NodeScript s =
          NodeScript.start(
              "official-fetch-client.mjs", List.of(url), env, TestKit.SCRIPT_TIMEOUT)) {
        return s.ready();
      }
    } finally {
      VertxTesting.await(server.close());
    }
  }

  private void assertPaid(JsonNode out, String asset, int payer) throws Exception {
    assertTrue(out.path("ok").asBoolean(), out.toString());
    assertEquals(200, out.path("status").asInt(), out.toString());
    JsonNode pr = out.path("paymentResponse");
    assertTrue(pr.path("success").asBoolean(), out.toString());
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    String from = DevAccounts.account(payer).getAddress();
    assertEquals(Deployer.DEV_USDC.subtract(PRICE), token(asset, payer).balanceOf(from).send());
    String tx = pr.path("transaction").asText();
    var receipt =
        chain.web3j().ethGetTransactionReceipt(tx).send().getTransactionReceipt().orElseThrow();
    assertTrue(receipt.isStatusOK());
    assertTrue(Permit2.EXACT_PROXY.equalsIgnoreCase(receipt.getTo()), receipt.getTo());
    JsonNode status = TestKit.get(TestKit.url(facilitator) + "/settlements/" + tx).json();
    assertEquals("settled", status.path("status").asText(), status.toString());
    assertFalse(payTo.equalsIgnoreCase(from));
  }

  private void fund(String asset, int account) throws Exception {
    Credentials who = DevAccounts.account(account);
    TestPermitToken t =
        TestPermitToken.load(
            asset,
            chain.web3j(),
            chain.txManager(chain.account(DevAccounts.DEPLOYER)),
            chain.gas());
    // TestUSDC and TestPermitToken share mint(address,uint256); only the deployer mints
    assertTrue(t.mint(who.getAddress(), Deployer.DEV_USDC).send().isStatusOK());
  }

  private TestPermitToken token(String asset, int account) {
    return TestPermitToken.load(
        asset, chain.web3j(), chain.txManager(DevAccounts.account(account)), chain.gas());
  }

  private BigInteger eth(int account) throws Exception {
    return chain
        .web3j()
        .ethGetBalance(
            DevAccounts.account(account).getAddress(),
            org.web3j.protocol.core.DefaultBlockParameterName.LATEST)
        .send()
        .getBalance();
  }
}
