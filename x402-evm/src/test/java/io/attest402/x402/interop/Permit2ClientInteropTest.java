package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.contracts.generated.TestPermitToken;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Web3jChainAccess;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Our {@link PayingHttpClient} pays Permit2 offers ({@code extra.assetTransferMethod: "permit2"})
 * of the official {@code @x402/express} server settled by the official facilitator on anvil:
 * TestUSDC after the payer approved Permit2, and the EIP-2612-only TestPermitToken by a payer that
 * never approved, through {@code eip2612GasSponsoring} (our client signs the permit, reading the
 * token's nonce from the chain; the payer sends no transaction).
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Permit2ClientInteropTest {
  static final BigInteger PRICE = BigInteger.valueOf(4_321);
  static final int SETTLER = 4;

  FacilitatorUnderTest.Running official;

  @BeforeAll
  void start(Chain chain) {
    Interop.installMulticall3(chain);
    FacilitatorUnderTest f = Facilitators.all().get(0);
    official = f.start(chain, SETTLER);
  }

  @AfterAll
  void stop() {
    if (official != null) {
      official.close();
    }
  }

  @Test
  void ourClientPaysAPermit2OfferAfterApprovingPermit2(Chain chain) throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    Credentials payer = chain.account(DevAccounts.AGENT);
    assertTrue(
        TestUSDC.load(usdc, chain.web3j(), chain.txManager(payer), chain.gas())
            .approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
    Map<String, String> env = env(chain, usdc, "USD Coin", "2");
    pays(chain, env, payer, usdc, null);
  }

  @Test
  void ourClientPaysAnEip2612OnlyTokenWithoutAllowanceThroughEip2612GasSponsoring(Chain chain)
      throws Exception {
    String pusd = chain.deployment().contracts().permitToken();
    Credentials payer = DevAccounts.account(7);
    // only the deployment's role accounts hold TestPermitToken; the deployer mints
    assertTrue(
        TestPermitToken.load(
                pusd,
                chain.web3j(),
                chain.txManager(chain.account(DevAccounts.DEPLOYER)),
                chain.gas())
            .mint(payer.getAddress(), Deployer.DEV_USDC)
            .send()
            .isStatusOK());
    assertEquals(
        BigInteger.ZERO,
        TestPermitToken.load(pusd, chain.web3j(), chain.txManager(payer), chain.gas())
            .allowance(payer.getAddress(), Permit2.ADDRESS)
            .send());
    var t = Deployer.PERMIT_TOKEN;
    Map<String, String> env = env(chain, pusd, t.name(), t.version());
    env.put("GAS_SPONSORING", "eip2612");
    long nonceBefore = chain.nonce(payer.getAddress());
    pays(chain, env, payer, pusd, new Web3jChainAccess(chain.web3j()));
    assertEquals(nonceBefore, chain.nonce(payer.getAddress()), "the payer sent nothing");
  }

  private Map<String, String> env(Chain chain, String asset, String name, String version) {
    Map<String, String> env = new HashMap<>();
    env.put("FACILITATOR_URL", official.url());
    env.put("PAY_TO", chain.deployment().account("provider").address());
    env.put("ASSET", asset);
    env.put("ASSET_NAME", name);
    env.put("ASSET_VERSION", version);
    env.put("PRICE", PRICE.toString());
    env.put("NETWORK", chain.deployment().network());
    env.put("ASSET_TRANSFER_METHOD", "permit2");
    return env;
  }

  private void pays(
      Chain chain,
      Map<String, String> env,
      Credentials payer,
      String asset,
      Web3jChainAccess chainAccess)
      throws Exception {
    String payTo = env.get("PAY_TO");
    TestUSDC token = TestUSDC.load(asset, chain.web3j(), chain.txManager(payer), chain.gas());
    BigInteger before = token.balanceOf(payTo).send();
    try (NodeScript express =
        NodeScript.start("official-express-server.mjs", List.of(), env, Interop.START_TIMEOUT)) {
      URI url = URI.create(express.ready().path("url").asText());
      PayingHttpClient client =
          Paying.client(payer, PRICE, chain.deployment().network(), asset, payTo);
      if (chainAccess != null) {
        client = client.withChain(chainAccess);
      }
      PaymentResult.Paid<String> paid = Paying.paid(client, url, Duration.ofSeconds(60));
      TransactionReceipt r = chain.receipt(paid.settlement().transaction());
      assertTrue(r.isStatusOK());
      assertTrue(Permit2.EXACT_PROXY.equalsIgnoreCase(r.getTo()), r.getTo());
      assertEquals(before.add(PRICE), token.balanceOf(payTo).send());
    }
  }
}
