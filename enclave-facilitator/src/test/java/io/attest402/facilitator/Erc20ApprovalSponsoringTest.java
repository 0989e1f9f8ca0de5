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
import io.attest402.contracts.generated.TestPlainToken;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.testing.Paying;
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
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.utils.Numeric;

/**
 * {@code erc20ApprovalGasSponsoring} on anvil: the official {@code @x402/fetch} client, for a payer
 * holding only TestPlainToken (neither EIP-3009 nor EIP-2612) and no ETH, signs its {@code
 * approve(Permit2, max)} transaction; our facilitator funds its gas, broadcasts it and settles the
 * Permit2 payment. Then the attacks: an approval for another spender, for less than the payment,
 * for another chain, signed by someone else, at a nonce the payer is not at, with more gas or a
 * higher fee than the facilitator funds, each refused with nothing sent by anyone; a payer who is
 * already approved gets nothing sponsored however many approvals it sends; a spent gas budget stops
 * sponsoring before any wei moves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Erc20ApprovalSponsoringTest {
  static final BigInteger PRICE = BigInteger.valueOf(2_500);
  static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
  static final BigInteger GWEI = BigInteger.TEN.pow(9);

  Chain chain;
  FacilitatorServer facilitator;
  String url;
  String token;
  String payTo;
  Vertx vertx;
  Path dir;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    this.dir = dir;
    chain = Chain.start();
    TestKit.installMulticall3(chain);
    token = chain.deployment().contracts().plainToken();
    facilitator = start(dir.resolve("main"), FacilitatorOptions.defaults());
    url = TestKit.url(facilitator);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    vertx = Vertx.vertx();
  }

  private FacilitatorServer start(Path data, FacilitatorOptions options) throws Exception {
    var t = Deployer.PLAIN_TOKEN;
    return TestKit.startFacilitator(
        chain,
        data,
        options,
        TestKit.networks(chain, new AssetConfig(token, t.name(), t.version(), t.decimals())),
        k -> ReceiptIssuer.NONE);
  }

  @AfterAll
  void tearDown() throws Exception {
    VertxTesting.closeAll(vertx, facilitator, chain);
  }

  @Test
  void theFacilitatorAdvertisesTheExtension() {
    JsonNode s = TestKit.get(url + "/supported").json();
    assertTrue(
        s.path("extensions").toString().contains(Erc20ApprovalGasSponsoring.KEY), s.toString());
  }

  @Test
  void officialFetchClientPaysAPlainTokenWithoutEthThroughASponsoredApproval() throws Exception {
    Credentials payer = freshPayer();
    long facilitatorNonceBefore = nonce(facilitator.facilitator().address());
    JsonNode out = payWithOfficialClient(payer);
    assertTrue(out.path("ok").asBoolean(), out.toString());
    assertEquals(200, out.path("status").asInt(), out.toString());
    JsonNode sent = X402Json.parse(decodeBase64(out.path("paymentSignatureHeader").asText()));
    JsonNode info = sent.path("extensions").path(Erc20ApprovalGasSponsoring.KEY).path("info");
    assertEquals(MAX.toString(), info.path("amount").asText(), sent.toString());
    assertTrue(info.path("signedTransaction").asText().startsWith("0x02"), info.toString());
    JsonNode pr = out.path("paymentResponse");
    assertTrue(pr.path("success").asBoolean(), out.toString());
    assertEquals(
        Deployer.DEV_USDC.subtract(PRICE), plain(payer).balanceOf(payer.getAddress()).send());
    assertEquals(MAX, plain(payer).allowance(payer.getAddress(), Permit2.ADDRESS).send());
    assertEquals(1, nonce(payer.getAddress()), "the payer's one transaction: its approval");
    var receipt =
        chain
            .web3j()
            .ethGetTransactionReceipt(pr.path("transaction").asText())
            .send()
            .getTransactionReceipt()
            .orElseThrow();
    assertTrue(Permit2.EXACT_PROXY.equalsIgnoreCase(receipt.getTo()), receipt.getTo());
    assertEquals(
        facilitatorNonceBefore + 2,
        nonce(facilitator.facilitator().address()),
        "the facilitator sent the gas funding and the settlement");
  }

  @Test
  void ourOwnSignedApprovalIsSponsoredAndTheFundingIsBoundedByItsMaxCost() throws Exception {
    Credentials payer = freshPayer();
    BigInteger maxFee = GWEI.multiply(BigInteger.valueOf(5));
    BigInteger gas = BigInteger.valueOf(70_000);
    TestKit.Answer a =
        settle(payer, approval(payer, token, Permit2.ADDRESS, MAX, 0, gas, maxFee, chainId()));
    assertTrue(a.json().path("success").asBoolean(), a.text());
    assertEquals(MAX, plain(payer).allowance(payer.getAddress(), Permit2.ADDRESS).send());
    BigInteger left = eth(payer.getAddress());
    assertTrue(
        left.compareTo(gas.multiply(maxFee)) < 0 && left.signum() >= 0,
        "the payer keeps at most the unused part of what its approval could cost: " + left);
  }

  @Test
  void anApprovedPayerGetsNothingSponsoredHoweverManyApprovalsItSends() throws Exception {
    Credentials payer = freshPayer();
    TestKit.Answer first =
        settle(payer, approval(payer, token, Permit2.ADDRESS, MAX, 0, 70_000, 5, chainId()));
    assertTrue(first.json().path("success").asBoolean(), first.text());
    BigInteger eth = eth(payer.getAddress());
    long payerNonce = nonce(payer.getAddress());
    for (int i = 0; i < 3; i++) {
      long facNonce = nonce(facilitator.facilitator().address());
      TestKit.Answer again =
          settle(
              payer,
              approval(payer, token, Permit2.ADDRESS, MAX, payerNonce, 70_000, 5, chainId()));
      assertTrue(again.json().path("success").asBoolean(), again.text());
      assertEquals(facNonce + 1, nonce(facilitator.facilitator().address()), "only the settlement");
    }
    assertEquals(eth, eth(payer.getAddress()), "no more funding");
    assertEquals(payerNonce, nonce(payer.getAddress()), "no approval broadcast");
  }

  @Test
  void approvalsTheFacilitatorMustNotPayForAreRefusedWithNothingSent() throws Exception {
    Credentials payer = freshPayer();
    Credentials other = freshPayer();
    long id = chainId();
    String attacker = chain.account(DevAccounts.VALIDATOR).getAddress();
    BigInteger overCap = SettleLimits.defaults().maxFeePerGas().add(BigInteger.ONE);
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put(
        "erc20_approval_tx_wrong_spender", approval(payer, token, attacker, MAX, 0, 70_000, 5, id));
    cases.put(
        "erc20_approval_tx_amount_too_low",
        approval(payer, token, Permit2.ADDRESS, BigInteger.ONE, 0, 70_000, 5, id));
    cases.put(
        "erc20_approval_tx_wrong_target",
        approval(
            payer, chain.deployment().contracts().usdc(), Permit2.ADDRESS, MAX, 0, 70_000, 5, id));
    cases.put(
        "erc20_approval_tx_signer_mismatch",
        approval(other, token, Permit2.ADDRESS, MAX, 0, 70_000, 5, id));
    cases.put(
        "erc20_approval_tx_wrong_chain",
        approval(payer, token, Permit2.ADDRESS, MAX, 0, 70_000, 5, id + 1));
    cases.put(
        "erc20_approval_tx_gas_too_high",
        approval(payer, token, Permit2.ADDRESS, MAX, 0, 5_000_000, 5, id));
    cases.put(
        "erc20_approval_tx_nonce_mismatch",
        approval(payer, token, Permit2.ADDRESS, MAX, 7, 70_000, 5, id));
    cases.put(
        "erc20_approval_tx_fee_too_high",
        approval(payer, token, Permit2.ADDRESS, MAX, 0, BigInteger.valueOf(70_000), overCap, id));
    cases.put("erc20_approval_tx_parse_failed", "0x02deadbeef");
    long facNonce = nonce(facilitator.facilitator().address());
    for (var c : cases.entrySet()) {
      String body = body(payer, c.getValue());
      TestKit.Answer s = TestKit.post(url + "/settle", body);
      assertEquals(200, s.status(), s.text());
      assertFalse(s.json().path("success").asBoolean(), c.getKey() + ": " + s.text());
      assertEquals(c.getKey(), s.json().path("errorReason").asText(), s.text());
      assertEquals("", s.json().path("transaction").asText(), s.text());
      // the stricter checks need the chain and run at settle; the official ones answer /verify too
      if (!c.getKey().endsWith("nonce_mismatch") && !c.getKey().endsWith("fee_too_high")) {
        TestKit.Answer v = TestKit.post(url + "/verify", body);
        assertEquals(c.getKey(), v.json().path("invalidReason").asText(), v.text());
      }
    }
    assertEquals(
        facNonce, nonce(facilitator.facilitator().address()), "the facilitator sent nothing");
    assertEquals(BigInteger.ZERO, eth(payer.getAddress()), "no wei reached the payer");
    assertEquals(0, nonce(payer.getAddress()), "no approval was broadcast");
    assertEquals(
        BigInteger.ZERO, plain(payer).allowance(payer.getAddress(), Permit2.ADDRESS).send());
  }

  @Test
  void aSpentGasBudgetStopsSponsoringBeforeAnyWeiMoves() throws Exception {
    FacilitatorServer small =
        start(
            dir.resolve("budget"),
            FacilitatorOptions.defaults()
                .withLimits(SettleLimits.defaults().withRates(0, 0, 80_000)));
    try {
      Credentials payer = freshPayer();
      long facNonce = nonce(small.facilitator().address());
      TestKit.Answer a =
          TestKit.post(
              TestKit.url(small) + "/settle",
              body(payer, approval(payer, token, Permit2.ADDRESS, MAX, 0, 70_000, 5, chainId())));
      assertEquals(503, a.status(), a.text());
      assertTrue(a.json().path("errorMessage").asText().contains("gas budget"), a.text());
      assertEquals(facNonce, nonce(small.facilitator().address()));
      assertEquals(BigInteger.ZERO, eth(payer.getAddress()));
      assertEquals(0, nonce(payer.getAddress()));
    } finally {
      small.stop();
    }
  }

  // ------------------------------------------------------------------------------------------

  private JsonNode payWithOfficialClient(Credentials payer) throws Exception {
    ObjectNode extra = Wire.newObject();
    extra.put("assetTransferMethod", "permit2");
    var t = Deployer.PLAIN_TOKEN;
    PaymentOption option =
        new PaymentOption(
            chain.deployment().network(),
            token,
            t.name(),
            t.version(),
            ctx -> payTo,
            ctx -> PRICE,
            120,
            extra);
    X402PaymentHandler h =
        X402PaymentHandler.builder(HttpFacilitatorClient.of(url))
            .accept(option)
            .extensions(
                Map.of(Erc20ApprovalGasSponsoring.KEY, Erc20ApprovalGasSponsoring.declaration()))
            .route((ctx, p) -> Future.succeededFuture(PaidResponse.json("{\"ok\":true}")))
            .build();
    Router router = Router.router(vertx);
    router.get("/paid").handler(h);
    HttpServer server = VertxTesting.listen(vertx, router);
    try {
      Map<String, String> env = TestKit.chainEnv(chain);
      env.put(
          "PRIVATE_KEY",
          Numeric.toHexStringWithPrefixZeroPadded(payer.getEcKeyPair().getPrivateKey(), 64));
      env.put("ASSET", token);
      env.put("MAX_AMOUNT", PRICE.toString());
      env.put("NETWORK", chain.deployment().network());
      try (NodeScript s =
          NodeScript.start(
              "official-fetch-client.mjs",
              List.of("http://127.0.0.1:" + server.actualPort() + "/paid"),
              env,
              TestKit.SCRIPT_TIMEOUT)) {
        return s.ready();
      }
    } finally {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static String decodeBase64(String s) {
    return new String(
        java.util.Base64.getDecoder().decode(s), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A key with no ETH holding {@link Deployer#DEV_USDC} of TestPlainToken. */
  private Credentials freshPayer() throws Exception {
    Credentials c = Credentials.create(Keys.createEcKeyPair());
    TestPlainToken t =
        TestPlainToken.load(
            token,
            chain.web3j(),
            chain.txManager(chain.account(DevAccounts.DEPLOYER)),
            chain.gas());
    assertTrue(t.mint(c.getAddress(), Deployer.DEV_USDC).send().isStatusOK());
    return c;
  }

  private String approval(
      Credentials signer,
      String target,
      String spender,
      BigInteger amount,
      long nonce,
      long gas,
      long maxFeeGwei,
      long chainId) {
    return approval(
        signer,
        target,
        spender,
        amount,
        nonce,
        BigInteger.valueOf(gas),
        GWEI.multiply(BigInteger.valueOf(maxFeeGwei)),
        chainId);
  }

  /** A signed EIP-1559 {@code approve(spender, amount)} on {@code target}. */
  private static String approval(
      Credentials signer,
      String target,
      String spender,
      BigInteger amount,
      long nonce,
      BigInteger gas,
      BigInteger maxFee,
      long chainId) {
    String data =
        FunctionEncoder.encode(
            new Function("approve", List.of(new Address(spender), new Uint256(amount)), List.of()));
    RawTransaction tx =
        RawTransaction.createTransaction(
            chainId,
            BigInteger.valueOf(nonce),
            gas,
            target,
            BigInteger.ZERO,
            data,
            maxFee.min(GWEI),
            maxFee);
    return Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, signer));
  }

  private TestKit.Answer settle(Credentials payer, String signedApproval) {
    return TestKit.post(url + "/settle", body(payer, signedApproval));
  }

  /** A Permit2 payment of {@link #PRICE} TestPlainToken carrying {@code signedApproval}. */
  private String body(Credentials payer, String signedApproval) {
    var t = Deployer.PLAIN_TOKEN;
    PaymentRequirements req =
        PaymentRequirements.exactEvm(
            chain.deployment().network(), PRICE, token, payTo, 300, t.name(), t.version());
    ObjectNode extra = req.extra() == null ? Wire.newObject() : req.extra().deepCopy();
    extra.put("assetTransferMethod", "permit2");
    req = req.withExtra(extra);
    byte[] n = new byte[16];
    TestKit.RANDOM.nextBytes(n);
    Permit2Payload.Authorization a =
        new Permit2Payload.Authorization(
            payer.getAddress(),
            token,
            PRICE,
            Permit2.EXACT_PROXY,
            new BigInteger(1, n),
            BigInteger.valueOf(TestKit.now() + 300),
            payTo,
            BigInteger.ZERO,
            null);
    Sign.SignatureData s =
        Sign.signMessage(Permit2.digest(chain.chainId(), a), payer.getEcKeyPair(), false);
    byte[] sig = new byte[65];
    System.arraycopy(s.getR(), 0, sig, 0, 32);
    System.arraycopy(s.getS(), 0, sig, 32, 32);
    sig[64] = s.getV()[0];
    ObjectNode ext = Paying.erc20ApprovalExtension(payer, token, MAX, signedApproval, i -> {});
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/paid", null, null),
            req,
            new Permit2Payload(Numeric.toHexString(sig), a).toJson(),
            ext);
    return X402Json.write(new FacilitatorRequest(p, req).toJson());
  }

  private long chainId() {
    return chain.chainId();
  }

  private TestPlainToken plain(Credentials who) {
    return TestPlainToken.load(token, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private long nonce(String address) throws Exception {
    return chain
        .web3j()
        .ethGetTransactionCount(address, DefaultBlockParameterName.PENDING)
        .send()
        .getTransactionCount()
        .longValueExact();
  }

  private BigInteger eth(String address) throws Exception {
    return chain
        .web3j()
        .ethGetBalance(address, DefaultBlockParameterName.LATEST)
        .send()
        .getBalance();
  }
}
