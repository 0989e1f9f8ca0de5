package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.contracts.generated.TestPermitToken;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Paying;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Our {@link PayingHttpClient} pays the official {@code @x402/express} server ({@code
 * interop/official-express-server.mjs}) for every Permit2 method and for {@code bazaar}, settled
 * once by our facilitator and once by the official one ({@code interop/official-facilitator.mjs}
 * with the ERC-20 approval extension and the example bazaar catalog): Permit2 after an approval,
 * {@code eip2612GasSponsoring} for the EIP-2612-only TestPermitToken, {@code
 * erc20ApprovalGasSponsoring} for the plain TestPlainToken (our client signs the payer's own {@code
 * approve(Permit2, MaxUint256)}, which the facilitator broadcasts; ours also funds its gas, the
 * official one leaves that to its signer and funds nothing), and a route declaring the official
 * bazaar extension, which the facilitator catalogs from our payment.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OfficialServerBreadthInteropTest {
  static final BigInteger PRICE = BigInteger.valueOf(2_345);
  static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
  static final String OURS = "ours";
  static final String OFFICIAL = "official";

  Chain chain;
  FacilitatorServer ours;
  FacilitatorUnderTest.Running official;
  String payTo;

  @BeforeAll
  void start(Chain chain, @TempDir Path dir) throws Exception {
    this.chain = chain;
    TestKit.installMulticall3(chain);
    var p = Deployer.PERMIT_TOKEN;
    var q = Deployer.PLAIN_TOKEN;
    var c = chain.deployment().contracts();
    ours =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(
                chain,
                new AssetConfig(c.permitToken(), p.name(), p.version(), p.decimals()),
                new AssetConfig(c.plainToken(), q.name(), q.version(), q.decimals())),
            SignedReceiptIssuer::of);
    official =
        Facilitators.official(
                OFFICIAL, Map.of("ERC20_APPROVAL_GAS_SPONSORING", "true", "BAZAAR_CATALOG", "true"))
            .start(chain, 8);
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
  }

  @AfterAll
  void stop() {
    if (official != null) {
      official.close();
    }
    if (ours != null) {
      ours.stop();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {OURS, OFFICIAL})
  void permit2AfterThePayerApprovedPermit2(String facilitator) throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    Credentials payer = freshPayer(usdc);
    TestKit.fund(chain, payer.getAddress(), BigDecimal.ONE);
    assertTrue(token(usdc, payer).approve(Permit2.ADDRESS, MAX).send().isStatusOK());
    pays(facilitator, payer, usdc, "USD Coin", "2", Map.of(), false);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {OURS, OFFICIAL})
  void eip2612GasSponsoringForAnEip2612OnlyToken(String facilitator) throws Exception {
    String pusd = chain.deployment().contracts().permitToken();
    Credentials payer = freshPayer(pusd);
    var t = Deployer.PERMIT_TOKEN;
    PaymentResult.Paid<String> paid =
        pays(
            facilitator,
            payer,
            pusd,
            t.name(),
            t.version(),
            Map.of("GAS_SPONSORING", "eip2612"),
            true);
    assertTrue(
        paid.payment().extensions().path(Eip2612GasSponsoring.KEY).path("info").has("signature"),
        String.valueOf(paid.payment().extensions()));
    assertEquals(0, chain.nonce(payer.getAddress()), "the payer sent nothing");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {OURS, OFFICIAL})
  void erc20ApprovalGasSponsoringForAPlainTokenAndAPayerWithoutEth(String facilitator)
      throws Exception {
    String plain = chain.deployment().contracts().plainToken();
    Credentials payer = freshPayer(plain);
    if (OFFICIAL.equals(facilitator)) {
      // the official facilitator's signer (as in the official e2e facilitator) broadcasts the
      // approval as it is and funds none of its gas: that payer needs ETH, ours needs none
      TestKit.fund(chain, payer.getAddress(), BigDecimal.ONE);
    }
    var t = Deployer.PLAIN_TOKEN;
    PaymentResult.Paid<String> paid =
        pays(
            facilitator,
            payer,
            plain,
            t.name(),
            t.version(),
            Map.of("GAS_SPONSORING", "erc20"),
            true);
    JsonNode info = paid.payment().extensions().path(Erc20ApprovalGasSponsoring.KEY).path("info");
    assertEquals(MAX.toString(), info.path("amount").asText(), info.toString());
    assertTrue(info.path("signedTransaction").asText().startsWith("0x02"), info.toString());
    assertEquals(
        1,
        chain.nonce(payer.getAddress()),
        "the payer's one transaction: its approval, broadcast for it");
    assertEquals(MAX, token(plain, payer).allowance(payer.getAddress(), Permit2.ADDRESS).send());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {OURS, OFFICIAL})
  void aBazaarRouteOfTheOfficialServerIsCataloguedFromOurPayment(String facilitator)
      throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    Credentials payer = freshPayer(usdc);
    PaymentResult.Paid<String> paid =
        pays(facilitator, payer, usdc, "USD Coin", "2", Map.of("BAZAAR", "true"), false);
    String resource = paid.payment().resource().url();
    JsonNode item;
    if (OURS.equals(facilitator)) {
      JsonNode out = officialDiscovery(TestKit.url(ours));
      item = byResource(out.path("result").path("items"), resource);
      int i = indexOf(out.path("result").path("items"), item);
      assertTrue(out.path("valid").path(i).asBoolean(), "the SDK validates our listing: " + out);
      item = item.path("extensions").path("bazaar").path("info");
    } else {
      JsonNode list = TestKit.get(official.url() + "/discovery/resources").json();
      item = byResource(list.path("items"), resource).path("discoveryInfo");
    }
    assertEquals("GET", item.path("input").path("method").asText(), item.toString());
    assertEquals("Berlin", item.path("input").path("queryParams").path("city").asText());
    assertEquals("sunny", item.path("output").path("example").path("report").asText());
  }

  // ------------------------------------------------------------------------------------------

  private PaymentResult.Paid<String> pays(
      String facilitator,
      Credentials payer,
      String asset,
      String name,
      String version,
      Map<String, String> serverEnv,
      boolean withChain)
      throws Exception {
    Map<String, String> env = new HashMap<>(serverEnv);
    env.put("FACILITATOR_URL", OURS.equals(facilitator) ? TestKit.url(ours) : official.url());
    env.put("PAY_TO", payTo);
    env.put("ASSET", asset);
    env.put("ASSET_NAME", name);
    env.put("ASSET_VERSION", version);
    env.put("PRICE", PRICE.toString());
    env.put("NETWORK", chain.deployment().network());
    if (!serverEnv.containsKey("BAZAAR")) {
      env.put("ASSET_TRANSFER_METHOD", "permit2");
    }
    TestPermitToken token = token(asset, payer);
    BigInteger before = token.balanceOf(payTo).send();
    try (NodeScript express =
        NodeScript.start("official-express-server.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      PayingHttpClient client =
          Paying.client(TestKit.HTTP, payer, PRICE, chain.deployment().network(), asset, payTo);
      if (withChain) {
        client = client.withChain(new Web3jChainAccess(chain.web3j()));
      }
      PaymentResult.Paid<String> paid =
          Paying.paid(
              client, URI.create(express.ready().path("url").asText()), Duration.ofSeconds(90));
      TransactionReceipt r = chain.receipt(paid.settlement().transaction());
      assertTrue(r.isStatusOK());
      if (env.containsKey("ASSET_TRANSFER_METHOD")) {
        assertTrue(Permit2.EXACT_PROXY.equalsIgnoreCase(r.getTo()), r.getTo());
      }
      assertEquals(before.add(PRICE), token.balanceOf(payTo).send());
      assertEquals(Deployer.DEV_USDC.subtract(PRICE), token.balanceOf(payer.getAddress()).send());
      return paid;
    }
  }

  /** A fresh key without ETH holding {@link Deployer#DEV_USDC} of {@code asset}. */
  private Credentials freshPayer(String asset) throws Exception {
    Credentials c = Credentials.create(Keys.createEcKeyPair());
    // TestUSDC, TestPermitToken and TestPlainToken share mint(address,uint256); the deployer mints
    assertTrue(
        token(asset, chain.account(DevAccounts.DEPLOYER))
            .mint(c.getAddress(), Deployer.DEV_USDC)
            .send()
            .isStatusOK());
    return c;
  }

  private TestPermitToken token(String asset, Credentials who) {
    return TestPermitToken.load(asset, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private static JsonNode officialDiscovery(String facilitatorUrl) {
    try (NodeScript s =
        NodeScript.start(
            "official-discovery.mjs",
            List.of(),
            Map.of("FACILITATOR_URL", facilitatorUrl),
            TestKit.SCRIPT_TIMEOUT)) {
      JsonNode out = s.ready();
      assertTrue(out.path("ok").asBoolean(), out.toString());
      return out;
    }
  }

  private static JsonNode byResource(JsonNode items, String resource) {
    for (JsonNode item : items) {
      if (resource.equals(item.path("resource").asText())) {
        return item;
      }
    }
    throw new AssertionError(resource + " is not listed: " + items);
  }

  private static int indexOf(JsonNode items, JsonNode item) {
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i) == item) {
        return i;
      }
    }
    return -1;
  }
}
