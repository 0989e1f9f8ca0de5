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
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;

/**
 * {@code upto} end to end on anvil: the official {@code @x402/fetch} client (with the official upto
 * client scheme) pays our Vert.x {@link X402PaymentHandler} route through our facilitator and is
 * charged what the route used, settled through the upto proxy at its canonical address; and the
 * attacks a resource server or a third party could try against the facilitator directly, each
 * refused with nothing moved.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UptoPaymentTest {
  static final BigInteger MAXIMUM = BigInteger.valueOf(5_000);
  static final BigInteger MIN_AMOUNT = BigInteger.valueOf(100);

  Chain chain;
  FacilitatorServer facilitator;
  Vertx vertx;
  String usdc;
  String payTo;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    chain = Chain.start();
    TestKit.installMulticall3(chain);
    var d = chain.deployment();
    usdc = d.contracts().usdc();
    // TestUSDC with a minimum of 100 base units, so that a charge below it can be tried
    NetworksConfig networks =
        new NetworksConfig(
            List.of(
                new NetworkConfig(
                    d.network(),
                    d.rpcUrl(),
                    List.of(
                        new AssetConfig(
                            usdc,
                            d.usdc().name(),
                            d.usdc().version(),
                            d.usdc().decimals(),
                            MIN_AMOUNT)))));
    facilitator =
        TestKit.startFacilitator(
            chain, dir, FacilitatorOptions.defaults(), networks, SignedReceiptIssuer::of);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    vertx = Vertx.vertx();
  }

  @AfterAll
  void tearDown() throws Exception {
    VertxTesting.closeAll(vertx, facilitator, chain);
  }

  @Test
  void supportedListsUptoWithTheFacilitatorAddressToBindTo() {
    JsonNode kinds = TestKit.get(TestKit.url(facilitator) + "/supported").json().path("kinds");
    JsonNode upto = null;
    for (JsonNode k : kinds) {
      if ("upto".equals(k.path("scheme").asText())) {
        upto = k;
      }
    }
    assertTrue(upto != null, kinds.toString());
    assertEquals(
        facilitator.facilitator().address().toLowerCase(java.util.Locale.ROOT),
        upto.path("extra").path("facilitatorAddress").asText().toLowerCase(java.util.Locale.ROOT));
  }

  @Test
  void officialFetchClientPaysUptoAndIsChargedWhatTheRouteUsed() throws Exception {
    int payer = 4;
    approvePermit2(payer);
    BigInteger charged = BigInteger.valueOf(1_234);
    String from = DevAccounts.account(payer).getAddress();
    BigInteger before = balance(from);
    JsonNode out = payThroughVertx(payer, charged);
    assertTrue(out.path("ok").asBoolean(), out.toString());
    assertEquals(200, out.path("status").asInt(), out.toString());
    JsonNode pr = out.path("paymentResponse");
    assertTrue(pr.path("success").asBoolean(), out.toString());
    assertEquals(charged.toString(), pr.path("amount").asText(), out.toString());
    // the payer signed the maximum, and was charged only what the route used
    JsonNode signed =
        X402Json.parse(
            java.util.Base64.getDecoder().decode(out.path("paymentSignatureHeader").asText()));
    assertEquals("upto", signed.path("accepted").path("scheme").asText(), signed.toString());
    assertEquals(
        MAXIMUM.toString(),
        signed
            .path("payload")
            .path("permit2Authorization")
            .path("permitted")
            .path("amount")
            .asText());
    assertEquals(before.subtract(charged), balance(from));
    String tx = pr.path("transaction").asText();
    var receipt =
        chain.web3j().ethGetTransactionReceipt(tx).send().getTransactionReceipt().orElseThrow();
    assertTrue(receipt.isStatusOK());
    assertTrue(Permit2.UPTO_PROXY.equalsIgnoreCase(receipt.getTo()), receipt.getTo());
    JsonNode status = TestKit.get(TestKit.url(facilitator) + "/settlements/" + tx).json();
    assertEquals("settled", status.path("status").asText(), status.toString());
  }

  @Test
  void ourPayingClientPaysTheOfficialExpressServerThroughOurFacilitator() throws Exception {
    int payer = 2;
    approvePermit2(payer);
    Credentials agent = DevAccounts.account(payer);
    BigInteger charge = BigInteger.valueOf(2_222);
    Map<String, String> env = new java.util.HashMap<>();
    env.put("FACILITATOR_URL", TestKit.url(facilitator));
    env.put("PAY_TO", payTo);
    env.put("ASSET", usdc);
    env.put("ASSET_NAME", chain.deployment().usdc().name());
    env.put("ASSET_VERSION", chain.deployment().usdc().version());
    env.put("PRICE", MAXIMUM.toString());
    env.put("CHARGE", charge.toString());
    env.put("SCHEME", "upto");
    env.put("NETWORK", chain.deployment().network());
    try (NodeScript express =
        NodeScript.start("official-express-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      java.net.URI url = java.net.URI.create(express.ready().path("url").asText());
      io.attest402.x402.client.PayingHttpClient client =
          new io.attest402.x402.client.PayingHttpClient(
              java.net.http.HttpClient.newHttpClient(),
              new io.attest402.x402.evm.Eip3009Signer(agent, java.time.Clock.systemUTC()),
              io.attest402.x402.client.SpendPolicy.builder()
                  .maxPerRequest(MAXIMUM)
                  .allowAssets(usdc)
                  .build(),
              io.attest402.x402.client.TrustHook.allowAll());
      BigInteger before = balance(agent.getAddress());
      var result =
          client.send(
              java.net.http.HttpRequest.newBuilder(url)
                  .timeout(java.time.Duration.ofSeconds(60))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      var paid =
          org.junit.jupiter.api.Assertions.assertInstanceOf(
              io.attest402.x402.client.PaymentResult.Paid.class, result, String.valueOf(result));
      assertEquals("upto", paid.requirements().scheme());
      // the official server took the facilitator address from our /supported upto kind
      assertTrue(
          facilitator
              .facilitator()
              .address()
              .equalsIgnoreCase(paid.requirements().extraString("facilitatorAddress")),
          String.valueOf(paid.requirements()));
      assertEquals(charge, paid.settlement().amount(), String.valueOf(paid.settlement()));
      assertEquals(before.subtract(charge), balance(agent.getAddress()));
    }
  }

  @Test
  void aChargeAboveTheSignedMaximumIsRefusedAndNothingMoves() throws Exception {
    int payer = 5;
    approvePermit2(payer);
    Upto u = sign(payer, facilitator.facilitator().address(), payTo);
    BigInteger before = balance(u.from());
    JsonNode v = post("/verify", u, MAXIMUM, payTo);
    assertTrue(v.path("isValid").asBoolean(), v.toString());
    JsonNode s = post("/settle", u, MAXIMUM.add(BigInteger.ONE), payTo);
    assertFalse(s.path("success").asBoolean(), s.toString());
    // our own check, before anything is sent (the proxy would say upto_amount_exceeds_permitted)
    assertEquals(
        "invalid_upto_evm_payload_settlement_exceeds_amount", s.path("errorReason").asText());
    assertEquals("", s.path("transaction").asText());
    assertEquals(before, balance(u.from()));
  }

  @Test
  void aChargeBelowTheMinimumIsRefusedAndNothingMoves() throws Exception {
    int payer = 6;
    approvePermit2(payer);
    Upto u = sign(payer, facilitator.facilitator().address(), payTo);
    BigInteger before = balance(u.from());
    JsonNode s = post("/settle", u, MIN_AMOUNT.subtract(BigInteger.ONE), payTo);
    assertFalse(s.path("success").asBoolean(), s.toString());
    assertEquals("invalid_exact_evm_authorization_value", s.path("errorReason").asText());
    assertTrue(s.path("errorMessage").asText().contains("below the minimum"), s.toString());
    assertEquals(before, balance(u.from()));
  }

  @Test
  void oneSuccessPerPermit2NonceWhateverTheChargeOfTheReplay() throws Exception {
    int payer = 7;
    approvePermit2(payer);
    Upto u = sign(payer, facilitator.facilitator().address(), payTo);
    BigInteger before = balance(u.from());
    JsonNode first = post("/settle", u, BigInteger.valueOf(700), payTo);
    assertTrue(first.path("success").asBoolean(), first.toString());
    assertEquals("700", first.path("amount").asText(), first.toString());
    JsonNode again = post("/settle", u, BigInteger.valueOf(900), payTo);
    assertFalse(again.path("success").asBoolean(), again.toString());
    JsonNode same = post("/settle", u, BigInteger.valueOf(700), payTo);
    assertFalse(same.path("success").asBoolean(), same.toString());
    assertEquals("permit2_invalid_nonce", same.path("errorReason").asText());
    assertEquals(before.subtract(BigInteger.valueOf(700)), balance(u.from()));
  }

  @Test
  void settlingToAnotherPayToIsRefusedAndNothingMoves() throws Exception {
    int payer = 8;
    approvePermit2(payer);
    Upto u = sign(payer, facilitator.facilitator().address(), payTo);
    BigInteger before = balance(u.from());
    String thief = DevAccounts.account(9).getAddress();
    JsonNode s = post("/settle", u, BigInteger.valueOf(500), thief);
    assertFalse(s.path("success").asBoolean(), s.toString());
    assertEquals("invalid_permit2_recipient_mismatch", s.path("errorReason").asText());
    assertEquals(before, balance(u.from()));
  }

  @Test
  void anAuthorizationBoundToAnotherFacilitatorIsRefused() throws Exception {
    int payer = 3;
    approvePermit2(payer);
    String other = DevAccounts.account(2).getAddress();
    Upto u = sign(payer, other, payTo);
    BigInteger before = balance(u.from());
    JsonNode v = post("/verify", u, MAXIMUM, payTo);
    assertFalse(v.path("isValid").asBoolean(), v.toString());
    assertEquals("upto_facilitator_mismatch", v.path("invalidReason").asText());
    JsonNode s = post("/settle", u, BigInteger.valueOf(500), payTo);
    assertFalse(s.path("success").asBoolean(), s.toString());
    assertEquals("upto_facilitator_mismatch", s.path("errorReason").asText());
    assertEquals(before, balance(u.from()));
  }

  // ------------------------------------------------------------------------------------------

  record Upto(String from, Permit2Payload payload) {}

  private Upto sign(int payer, String facilitatorAddress, String to) {
    Credentials c = DevAccounts.account(payer);
    byte[] n = new byte[31];
    TestKit.RANDOM.nextBytes(n);
    Permit2Payload.Authorization a =
        new Permit2Payload.Authorization(
            c.getAddress(),
            usdc,
            MAXIMUM,
            Permit2.UPTO_PROXY,
            new BigInteger(1, n),
            BigInteger.valueOf(TestKit.now() + 300),
            to,
            BigInteger.ZERO,
            facilitatorAddress);
    byte[] digest =
        Permit2.digest(io.attest402.x402.evm.Networks.chainId(chain.deployment().network()), a);
    return new Upto(
        c.getAddress(), new Permit2Payload(Signatures.sign(digest, c.getEcKeyPair()), a));
  }

  private PaymentRequirements requirements(BigInteger amount, String to) {
    var d = chain.deployment();
    ObjectNode extra = Wire.newObject();
    extra.put("name", d.usdc().name());
    extra.put("version", d.usdc().version());
    extra.put("assetTransferMethod", "permit2");
    extra.put("facilitatorAddress", facilitator.facilitator().address());
    return new PaymentRequirements("upto", d.network(), amount, usdc, to, 300, extra);
  }

  /**
   * POST {@code path}: accepted is the offer at the maximum; the facilitator is asked at amount.
   */
  private JsonNode post(String path, Upto u, BigInteger amount, String to) {
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/summarize", "Summary", "application/json"),
            requirements(MAXIMUM, payTo),
            u.payload().toJson(),
            null);
    String body = X402Json.write(new FacilitatorRequest(p, requirements(amount, to)).toJson());
    TestKit.Answer a = TestKit.post(TestKit.url(facilitator) + path, body);
    assertEquals(200, a.status(), a.text());
    return a.json();
  }

  private JsonNode payThroughVertx(int payer, BigInteger charge) throws Exception {
    var d = chain.deployment();
    PaymentOption option =
        PaymentOption.upto(
            d.network(),
            usdc,
            d.usdc().name(),
            d.usdc().version(),
            ctx -> payTo,
            ctx -> MAXIMUM,
            120,
            facilitator.facilitator().address());
    X402PaymentHandler handler =
        X402PaymentHandler.builder(HttpFacilitatorClient.of(TestKit.url(facilitator)))
            .accept(option)
            .route(
                (ctx, p) ->
                    Future.succeededFuture(PaidResponse.json("{\"ok\":true}").charging(charge)))
            .build();
    Router router = Router.router(vertx);
    router.get("/paid").handler(handler);
    HttpServer server = VertxTesting.listen(vertx, router);
    try {
      Map<String, String> env = TestKit.chainEnv(chain);
      env.put("PRIVATE_KEY", TestKit.key(payer));
      env.put("ASSET", usdc);
      env.put("MAX_AMOUNT", MAXIMUM.toString());
      env.put("NETWORK", d.network());
      String url = "http://127.0.0.1:" + server.actualPort() + "/paid";
      try (NodeScript s =
          NodeScript.start(
              "official-fetch-client.mjs", List.of(url), env, TestKit.SCRIPT_TIMEOUT)) {
        return s.ready();
      }
    } finally {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private void approvePermit2(int payer) throws Exception {
    Credentials who = DevAccounts.account(payer);
    TestPermitToken t =
        TestPermitToken.load(
            usdc, chain.web3j(), chain.txManager(chain.account(DevAccounts.DEPLOYER)), chain.gas());
    assertTrue(t.mint(who.getAddress(), Deployer.DEV_USDC).send().isStatusOK());
    TestPermitToken mine =
        TestPermitToken.load(usdc, chain.web3j(), chain.txManager(who), chain.gas());
    assertTrue(
        mine.approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
  }

  private BigInteger balance(String who) throws Exception {
    return TestPermitToken.load(
            usdc, chain.web3j(), chain.txManager(DevAccounts.account(2)), chain.gas())
        .balanceOf(who)
        .send();
  }
}
