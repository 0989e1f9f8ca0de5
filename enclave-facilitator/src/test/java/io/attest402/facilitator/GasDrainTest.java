package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.types.PaymentRequirements;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * Nobody can make the facilitator pay for gas it should not: a gas-burning ERC-1271 payer is
 * invalid (not a 503) and costs nothing, rate limits and the hourly gas budget answer 503 with
 * Retry-After before anything is claimed, and an operator's payTo allow-list and API keys close the
 * routes to strangers. Real anvil, real HTTP, real Solidity (src/test/solidity, compiled by the
 * build's solc step).
 */
@ExtendWith(ChainExtension.class)
class GasDrainTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(2_000);

  static FacilitatorOptions options(SettleLimits limits) {
    return FacilitatorOptions.defaults()
        .withReceiptWait(Duration.ofSeconds(5))
        .withPollInterval(Duration.ofMillis(50))
        .withLimits(limits);
  }

  static FacilitatorServer start(Chain chain, Path dir, SettleLimits limits) throws Exception {
    return TestKit.startFacilitator(
        chain, dir, options(limits), TestKit.networks(chain), k -> ReceiptIssuer.NONE);
  }

  /**
   * Deploys src/test/solidity/GasBurningWallet.sol burning {@code burn} gas per isValidSignature.
   */
  static String gasBurningWallet(Chain chain, long burn) throws Exception {
    JsonNode artifact;
    try (InputStream in =
        GasDrainTest.class.getResourceAsStream(
            "/io/attest402/facilitator/contracts/GasBurningWallet.json")) {
      if (in == null) {
        throw new IOException("GasBurningWallet not compiled (generate-test-resources)");
      }
      artifact =
          X402Json.parse(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    }
    String data =
        artifact.path("bytecode").asText()
            + FunctionEncoder.encodeConstructor(List.of(new Uint256(BigInteger.valueOf(burn))));
    var sent =
        chain
            .txManager(chain.account(DevAccounts.DEPLOYER))
            .sendTransaction(
                chain.gas().getGasPrice(),
                BigInteger.valueOf(1_000_000),
                null,
                data,
                BigInteger.ZERO);
    if (sent.hasError()) {
      throw new IOException("deploying GasBurningWallet: " + sent.getError().getMessage());
    }
    String hash = sent.getTransactionHash();
    TestKit.waitUntil(
        "the wallet deployed",
        Duration.ofSeconds(30),
        () -> {
          try {
            return chain
                .web3j()
                .ethGetTransactionReceipt(hash)
                .send()
                .getTransactionReceipt()
                .isPresent();
          } catch (IOException e) {
            return false;
          }
        });
    TransactionReceipt receipt =
        chain.web3j().ethGetTransactionReceipt(hash).send().getTransactionReceipt().orElseThrow();
    assertTrue(receipt.isStatusOK(), receipt.toString());
    String wallet = receipt.getContractAddress();
    TestKit.usdc(chain).mint(wallet, AMOUNT.multiply(BigInteger.TEN)).send();
    return wallet;
  }

  static long pendingNonce(Chain chain, String address) throws Exception {
    return chain
        .web3j()
        .ethGetTransactionCount(address, DefaultBlockParameterName.PENDING)
        .send()
        .getTransactionCount()
        .longValueExact();
  }

  @Test
  void aGasBurningSmartWalletPayerIsInvalidAndCostsNothing(Chain chain, @TempDir Path dir)
      throws Exception {
    String wallet = gasBurningWallet(chain, 4_800_000);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    PaymentRequirements req =
        TestKit.requirements(chain, chain.deployment().contracts().usdc(), payTo, AMOUNT);
    // any signature: the wallet accepts every one, after burning 4.8M gas
    String body =
        TestKit.body(
            req,
            TestKit.sign(
                Eip712Domain.of(req), TestKit.auth(wallet, payTo, AMOUNT), chain.account(9)));
    FacilitatorServer server = start(chain, dir, SettleLimits.defaults());
    try {
      String url = TestKit.url(server);
      long before = pendingNonce(chain, server.facilitator().address());
      TestKit.Answer v = TestKit.post(url + "/verify", body);
      assertEquals(200, v.status(), v.text());
      assertFalse(v.json().path("isValid").asBoolean(), v.text());
      assertEquals(
          "invalid_exact_evm_signature", v.json().path("invalidReason").asText(), v.text());
      TestKit.Answer s = TestKit.post(url + "/settle", body);
      assertEquals(200, s.status(), s.text());
      assertFalse(s.json().path("success").asBoolean(), s.text());
      assertEquals(before, pendingNonce(chain, server.facilitator().address()), "no gas spent");
      assertEquals(0, TestKit.authorizationUsedCount(chain, wallet, TestKit.nonceOf(body)));
    } finally {
      server.stop();
    }
    // the same wallet burning little gas is a valid payer: the cap, not the contract, refused it
    String cheap = gasBurningWallet(chain, 20_000);
    String ok =
        TestKit.body(
            req,
            TestKit.sign(
                Eip712Domain.of(req), TestKit.auth(cheap, payTo, AMOUNT), chain.account(9)));
    FacilitatorServer again = start(chain, dir.resolve("cheap"), SettleLimits.defaults());
    try {
      TestKit.Answer s = TestKit.post(TestKit.url(again) + "/settle", ok);
      assertTrue(s.json().path("success").asBoolean(), s.text());
    } finally {
      again.stop();
    }
  }

  @Test
  void pastThePayerRateOrTheGasBudgetSettleAnswers503WithRetryAfter(Chain chain, @TempDir Path dir)
      throws Exception {
    Credentials payer = chain.account(DevAccounts.AGENT);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    FacilitatorServer server =
        start(chain, dir.resolve("rate"), SettleLimits.defaults().withRates(2, 0, 0));
    try {
      String url = TestKit.url(server);
      for (int i = 0; i < 2; i++) {
        assertTrue(
            TestKit.post(url + "/settle", TestKit.payment(chain, payer, payTo, AMOUNT))
                .json()
                .path("success")
                .asBoolean());
      }
      String third = TestKit.payment(chain, payer, payTo, AMOUNT);
      var r =
          TestKit.HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/settle"))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(third))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(503, r.statusCode(), r.body());
      long retry = Long.parseLong(r.headers().firstValue("retry-after").orElseThrow());
      assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
      assertEquals(
          0, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(third)));
      assertEquals(
          404,
          TestKit.get(url + "/settlements/" + TestKit.nonceOf(third)).status(),
          "nothing journaled");
      // another payer is not limited by this one
      assertTrue(
          TestKit.post(
                  url + "/settle",
                  TestKit.payment(chain, chain.account(DevAccounts.VALIDATOR), payTo, AMOUNT))
              .json()
              .path("success")
              .asBoolean());
      assertTrue(TestKit.get(url + "/metrics").text().contains("rule=\"payer_rate\""));
    } finally {
      server.stop();
    }
    FacilitatorServer budget =
        start(chain, dir.resolve("budget"), SettleLimits.defaults().withRates(0, 0, 120_000));
    try {
      String url = TestKit.url(budget);
      assertTrue(
          TestKit.post(url + "/settle", TestKit.payment(chain, payer, payTo, AMOUNT))
              .json()
              .path("success")
              .asBoolean());
      TestKit.Answer spent =
          TestKit.post(url + "/settle", TestKit.payment(chain, payer, payTo, AMOUNT));
      assertEquals(503, spent.status(), spent.text());
      assertTrue(spent.json().path("errorMessage").asText().contains("gas budget"), spent.text());
      String metrics = TestKit.get(url + "/metrics").text();
      assertTrue(
          metrics.contains("rule=\"gas_budget\"")
              && metrics.contains("facilitator_gas_budget_left"),
          metrics);
      assertFalse(
          metrics
              .toLowerCase(java.util.Locale.ROOT)
              .contains(payer.getAddress().toLowerCase(java.util.Locale.ROOT).substring(2)),
          "no address in metrics");
    } finally {
      budget.stop();
    }
  }

  @Test
  void anAllowListAndApiKeysCloseTheRoutesToStrangers(Chain chain, @TempDir Path dir)
      throws Exception {
    Credentials payer = chain.account(DevAccounts.AGENT);
    String provider = chain.account(DevAccounts.PROVIDER).getAddress();
    ApiKeys keys =
        ApiKeys.parse(
            List.of(
                "# provider A",
                ApiKeys.sha256("settle-key") + " verify,settle",
                ApiKeys.sha256("verify-key") + " verify"));
    FacilitatorServer server =
        start(
            chain,
            dir,
            SettleLimits.defaults().withAllowedPayTo(Set.of(provider)).withApiKeys(keys));
    try {
      String url = TestKit.url(server);
      String body = TestKit.payment(chain, payer, provider, AMOUNT);
      assertEquals(401, TestKit.post(url + "/settle", body).status());
      assertEquals(401, post(url + "/settle", body, "wrong").status());
      assertEquals(
          401, post(url + "/settle", body, "verify-key").status(), "a verify key cannot settle");
      assertTrue(post(url + "/verify", body, "verify-key").json().path("isValid").asBoolean());
      assertEquals(
          0, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
      assertTrue(post(url + "/settle", body, "settle-key").json().path("success").asBoolean());
      String stranger = TestKit.payment(chain, payer, chain.account(7).getAddress(), AMOUNT);
      TestKit.Answer refused = post(url + "/settle", stranger, "settle-key");
      assertEquals(200, refused.status(), refused.text());
      assertEquals(
          "invalid_payment_requirements",
          refused.json().path("errorReason").asText(),
          refused.text());
      assertEquals(
          0, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(stranger)));
      assertTrue(TestKit.get(url + "/metrics").text().contains("rule=\"unauthorized\""));
    } finally {
      server.stop();
    }
  }

  static TestKit.Answer post(String url, String body, String apiKey) {
    return TestKit.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(60))
            .header("content-type", "application/json")
            .header("Authorization", "Bearer " + apiKey)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }
}
