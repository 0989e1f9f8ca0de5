package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.Transaction;
import org.web3j.utils.Numeric;

/**
 * The RPC node is not trusted blindly: a loopback JSON-RPC proxy in front of a real anvil lies
 * about the chain id, the fees, or a receipt, and the facilitator refuses to start, caps what it
 * signs, or keeps the settlement unfinal (no receipt signed) until a quorum of nodes agrees. No
 * answer, health document or error names an RPC URL.
 */
@ExtendWith(ChainExtension.class)
class RpcTrustTest {
  static final BigInteger GWEI = BigInteger.TEN.pow(9);
  static final BigInteger AMOUNT = BigInteger.valueOf(4_200);

  static NetworksConfig via(Chain chain, String rpcUrl, String... witnesses) {
    var d = chain.deployment();
    AssetConfig usdc =
        new AssetConfig(
            d.contracts().usdc(), d.usdc().name(), d.usdc().version(), d.usdc().decimals());
    return new NetworksConfig(
        List.of(new NetworkConfig(d.network(), rpcUrl, List.of(usdc), null, List.of(witnesses))));
  }

  static FacilitatorOptions fast() {
    return FacilitatorOptions.defaults()
        .withReceiptWait(Duration.ofMillis(1500))
        .withPollInterval(Duration.ofMillis(50))
        .withRpcTimeout(Duration.ofSeconds(5));
  }

  @Test
  void aNodeOfAnotherChainIsRefusedAtStartWithoutNamingItsUrl(Chain chain, @TempDir Path dir)
      throws Exception {
    try (LyingRpc rpc = new LyingRpc(chain.rpcUrl())) {
      rpc.lie(
          (req, honest) ->
              LyingRpc.method(req).equals("eth_chainId")
                  ? LyingRpc.withResult(honest, Wire.NODES.textNode("0x1"))
                  : honest);
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  TestKit.startFacilitator(
                      chain, dir, fast(), via(chain, rpc.url()), k -> ReceiptIssuer.NONE));
      assertTrue(e.getMessage().contains("reports chain id 1"), e.getMessage());
      assertFalse(e.getMessage().contains(Integer.toString(rpc.port())), e.getMessage());
    }
  }

  @Test
  void plainHttpToANonLoopbackNodeIsRefused(Chain chain, @TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TestKit.startFacilitator(
                    chain,
                    dir,
                    fast(),
                    via(chain, "http://192.0.2.7:8545/v2/SECRETKEY"),
                    k -> ReceiptIssuer.NONE));
    assertTrue(e.getMessage().contains("use https"), e.getMessage());
    assertFalse(e.getMessage().contains("SECRETKEY"), e.getMessage());
  }

  @Test
  void absurdTipsAreCappedAndABaseFeeAboveTheCapSendsNothing(Chain chain, @TempDir Path dir)
      throws Exception {
    Credentials payer = chain.account(DevAccounts.AGENT);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    try (LyingRpc rpc = new LyingRpc(chain.rpcUrl())) {
      AtomicReference<BigInteger> baseSeen = new AtomicReference<>();
      rpc.lie(
          (req, honest) -> {
            if (LyingRpc.method(req).equals("eth_maxPriorityFeePerGas")) {
              return LyingRpc.withResult(
                  honest,
                  Wire.NODES.textNode(
                      Numeric.toHexStringWithPrefix(GWEI.multiply(BigInteger.valueOf(60)))));
            }
            if (LyingRpc.method(req).equals("eth_getBlockByNumber")
                && honest.path("result").has("baseFeePerGas")) {
              baseSeen.set(
                  Numeric.decodeQuantity(honest.path("result").path("baseFeePerGas").asText()));
            }
            return honest;
          });
      FacilitatorServer server =
          TestKit.startFacilitator(
              chain, dir.resolve("tips"), fast(), via(chain, rpc.url()), k -> ReceiptIssuer.NONE);
      try {
        TestKit.Answer a =
            TestKit.post(
                TestKit.url(server) + "/settle", TestKit.payment(chain, payer, payTo, AMOUNT));
        assertTrue(a.json().path("success").asBoolean(), a.text());
        Transaction tx =
            chain
                .web3j()
                .ethGetTransactionByHash(a.json().path("transaction").asText())
                .send()
                .getTransaction()
                .orElseThrow();
        BigInteger tip = tx.getMaxPriorityFeePerGas();
        assertTrue(
            tip.compareTo(GWEI.multiply(BigInteger.TEN)) <= 0,
            "tip " + tip + " within the 10 gwei cap");
        assertTrue(
            tip.compareTo(baseSeen.get().multiply(BigInteger.TEN)) <= 0,
            "tip " + tip + " within 10 x the base fee " + baseSeen.get());
        String health = TestKit.get(TestKit.url(server) + "/health").text();
        assertFalse(
            health.contains(Integer.toString(rpc.port())), "no RPC URL in /health: " + health);
      } finally {
        server.stop();
      }

      rpc.lie(
          (req, honest) -> {
            if (LyingRpc.method(req).equals("eth_getBlockByNumber")
                && honest.path("result").has("baseFeePerGas")) {
              ObjectNode block = ((ObjectNode) honest.path("result")).deepCopy();
              block.put(
                  "baseFeePerGas",
                  Numeric.toHexStringWithPrefix(GWEI.multiply(BigInteger.valueOf(1_000))));
              return LyingRpc.withResult(honest, block);
            }
            return honest;
          });
      FacilitatorServer capped =
          TestKit.startFacilitator(
              chain, dir.resolve("base"), fast(), via(chain, rpc.url()), k -> ReceiptIssuer.NONE);
      try {
        long before = pendingNonce(chain, capped.facilitator().address());
        String body = TestKit.payment(chain, payer, payTo, AMOUNT);
        TestKit.Answer a = TestKit.post(TestKit.url(capped) + "/settle", body);
        assertEquals(503, a.status(), a.text());
        assertTrue(
            a.json().path("errorMessage").asText().contains("above the max fee per gas cap"),
            a.text());
        assertTrue(a.text().contains("nothing was broadcast"), a.text());
        assertEquals(
            before, pendingNonce(chain, capped.facilitator().address()), "nothing was sent");
        assertEquals(
            0, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
        assertTrue(
            TestKit.get(TestKit.url(capped) + "/metrics").text().contains("rule=\"fee_cap\""));
      } finally {
        capped.stop();
      }
    }
  }

  @Test
  void aReceiptFabricatedByThePrimaryNodeIsNotFinalAndNothingIsSigned(
      Chain chain, @TempDir Path dir) throws Exception {
    fabricatedReceiptIsNotFinal(chain, dir, 0, DevAccounts.VALIDATOR);
  }

  @Test
  void aReceiptFabricatedByAWitnessNodeIsNotFinalAndNothingIsSigned(Chain chain, @TempDir Path dir)
      throws Exception {
    fabricatedReceiptIsNotFinal(chain, dir, 2, DevAccounts.AGENT);
  }

  /**
   * A primary node that reports the mined receipt with the true block hash but another block
   * number: the journal and the signed receipt carry the block number the other two nodes agree on,
   * never the liar's.
   */
  @Test
  void aPrimaryNodeRewritingTheBlockNumberDoesNotGetItsVersionSigned(Chain chain, @TempDir Path dir)
      throws Exception {
    JsonNode settled =
        settleThroughALyingPrimary(
            chain,
            dir,
            DevAccounts.VALIDATOR,
            honest -> {
              ObjectNode r = ((ObjectNode) honest.path("result")).deepCopy();
              r.put("blockNumber", "0x7777");
              return LyingRpc.withResult(honest, r);
            });
    assertEquals("settled", settled.path("status").asText(), settled.toString());
  }

  /**
   * A primary node that withholds every receipt (its nonce count and {@code authorizationState} are
   * true): the mined settlement must not be taken for a dropped one ("used by a transaction this
   * facilitator did not send", a final failure with a signed receipt) on its word; the other two
   * nodes agree on the receipt and the settlement is final as settled.
   */
  @Test
  void aPrimaryNodeWithholdingTheReceiptCannotTurnTheSettlementIntoAFailure(
      Chain chain, @TempDir Path dir) throws Exception {
    JsonNode settled =
        settleThroughALyingPrimary(
            chain,
            dir,
            DevAccounts.AGENT,
            honest -> LyingRpc.withResult(honest, Wire.NODES.nullNode()));
    assertEquals("settled", settled.path("status").asText(), settled.toString());
  }

  /**
   * Settles one payment on an automining anvil through three nodes, the primary of which rewrites
   * every non-null receipt with {@code lie}; waits until it is final and checks the journal and the
   * signed receipt against the chain. Returns the settlement's status document.
   */
  private JsonNode settleThroughALyingPrimary(
      Chain chain, Path dir, int payerAccount, java.util.function.UnaryOperator<JsonNode> lie)
      throws Exception {
    Credentials payer = chain.account(payerAccount);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    try (LyingRpc liar = new LyingRpc(chain.rpcUrl());
        LyingRpc honest1 = new LyingRpc(chain.rpcUrl());
        LyingRpc honest2 = new LyingRpc(chain.rpcUrl())) {
      liar.lie(
          (req, honest) ->
              LyingRpc.method(req).equals("eth_getTransactionReceipt")
                      && !honest.path("result").isNull()
                  ? lie.apply(honest)
                  : honest);
      ReceiptIssuer recording =
          (facts, previous) -> {
            ObjectNode r = Wire.newObject();
            r.put("tx", facts.transaction());
            r.put("block", facts.blockNumber() == null ? -1 : facts.blockNumber());
            r.put("status", facts.success() ? "SETTLED" : "FAILED");
            return Optional.of(r);
          };
      FacilitatorServer server =
          TestKit.startFacilitator(
              chain,
              dir,
              fast(),
              via(chain, liar.url(), honest1.url(), honest2.url()),
              k -> recording);
      String url = TestKit.url(server);
      String body = TestKit.payment(chain, payer, payTo, AMOUNT);
      try {
        TestKit.post(url + "/settle", body, "liar");
        TestKit.waitUntil(
            "the settlement to be final",
            Duration.ofSeconds(30),
            () ->
                !TestKit.get(url + "/settlements/" + TestKit.nonceOf(body), "liar")
                    .json()
                    .path("status")
                    .asText()
                    .equals("pending"));
        JsonNode settled =
            TestKit.get(url + "/settlements/" + TestKit.nonceOf(body), "liar").json();
        TestKit.Answer retry = TestKit.post(url + "/settle", body, "liar");
        assertTrue(retry.json().path("success").asBoolean(), retry.text());
        var real =
            chain
                .web3j()
                .ethGetTransactionReceipt(retry.json().path("transaction").asText())
                .send()
                .getTransactionReceipt()
                .orElseThrow();
        assertEquals(
            real.getBlockNumber().longValueExact(),
            settled.path("blockNumber").asLong(),
            settled.toString());
        JsonNode receipts = TestKit.get(url + "/receipts?from=0").json().path("receipts");
        assertEquals(1, receipts.size(), receipts.toString());
        JsonNode signed = receipts.get(0).path("receipt");
        assertEquals("SETTLED", signed.path("status").asText(), signed.toString());
        assertEquals(real.getBlockNumber().longValueExact(), signed.path("block").asLong());
        assertEquals(
            real.getTransactionHash().toLowerCase(java.util.Locale.ROOT),
            signed.path("tx").asText().toLowerCase(java.util.Locale.ROOT));
        assertEquals(
            1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
        return settled;
      } finally {
        server.stop();
      }
    }
  }

  /**
   * One of three nodes ({@code liarIndex}: 0 the primary, 1 or 2 a witness) fabricates a successful
   * receipt with the expected Transfer log for the broadcast, unmined transaction: the settlement
   * stays pending and nothing is signed until the block is mined and the honest nodes agree.
   */
  private void fabricatedReceiptIsNotFinal(Chain chain, Path dir, int liarIndex, int payerAccount)
      throws Exception {
    Credentials payer = chain.account(payerAccount);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    String usdc = chain.deployment().contracts().usdc();
    String fakeBlockHash = TestKit.nonce();
    try (LyingRpc liar = new LyingRpc(chain.rpcUrl());
        LyingRpc honest1 = new LyingRpc(chain.rpcUrl());
        LyingRpc honest2 = new LyingRpc(chain.rpcUrl())) {
      liar.lie(
          (req, honest) -> {
            if (LyingRpc.method(req).equals("eth_getTransactionReceipt")
                && honest.path("result").isNull()) {
              return LyingRpc.withResult(
                  honest,
                  fakeReceipt(
                      req.path("params").get(0).asText(),
                      fakeBlockHash,
                      usdc,
                      payer.getAddress(),
                      payTo,
                      AMOUNT));
            }
            return honest;
          });
      ReceiptIssuer counting =
          (facts, previous) -> {
            ObjectNode r = Wire.newObject();
            r.put("tx", facts.transaction());
            return Optional.of(r);
          };
      List<String> urls = new java.util.ArrayList<>(List.of(honest1.url(), honest2.url()));
      urls.add(liarIndex, liar.url());
      FacilitatorServer server =
          TestKit.startFacilitator(
              chain, dir, fast(), via(chain, urls.get(0), urls.get(1), urls.get(2)), k -> counting);
      String url = TestKit.url(server);
      String body = TestKit.payment(chain, payer, payTo, AMOUNT);
      chain.setAutomine(false);
      try {
        TestKit.Answer first = TestKit.post(url + "/settle", body, "quorum");
        assertEquals("settlement_pending", first.json().path("errorReason").asText(), first.text());
        TestKit.waitUntil(
            "the reconciler to see the fabricated receipt",
            Duration.ofSeconds(20),
            () -> TestKit.get(url + "/metrics").text().contains("rule=\"receipt_no_quorum\""));
        JsonNode status = TestKit.get(url + "/settlements/" + TestKit.nonceOf(body)).json();
        assertEquals("pending", status.path("status").asText(), status.toString());
        assertEquals(
            0,
            TestKit.get(url + "/receipts?from=0").json().path("receipts").size(),
            "no receipt signed");
        chain.mine();
        TestKit.Answer done = TestKit.post(url + "/settle", body, "quorum");
        for (int i = 0; i < 10 && !done.json().path("success").asBoolean(); i++) {
          done = TestKit.post(url + "/settle", body, "quorum");
        }
        assertTrue(done.json().path("success").asBoolean(), done.text());
        JsonNode settled = TestKit.get(url + "/settlements/" + TestKit.nonceOf(body)).json();
        String realBlock =
            chain
                .web3j()
                .ethGetTransactionReceipt(done.json().path("transaction").asText())
                .send()
                .getTransactionReceipt()
                .orElseThrow()
                .getBlockHash();
        assertFalse(realBlock.equalsIgnoreCase(fakeBlockHash));
        assertEquals(
            chain
                .web3j()
                .ethGetTransactionReceipt(done.json().path("transaction").asText())
                .send()
                .getTransactionReceipt()
                .orElseThrow()
                .getBlockNumber()
                .longValueExact(),
            settled.path("blockNumber").asLong(),
            settled.toString());
        assertEquals(1, TestKit.get(url + "/receipts?from=0").json().path("receipts").size());
        assertEquals(
            1, TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(body)));
      } finally {
        chain.setAutomine(true);
        server.stop();
      }
    }
  }

  static long pendingNonce(Chain chain, String address) throws Exception {
    return chain
        .web3j()
        .ethGetTransactionCount(address, DefaultBlockParameterName.PENDING)
        .send()
        .getTransactionCount()
        .longValueExact();
  }

  /**
   * A successful receipt with the Transfer log the settlement expects, in a block that does not
   * exist.
   */
  static JsonNode fakeReceipt(
      String txHash, String blockHash, String token, String from, String to, BigInteger v) {
    ObjectNode r = Wire.newObject();
    r.put("transactionHash", txHash);
    r.put("transactionIndex", "0x0");
    r.put("blockHash", blockHash);
    r.put("blockNumber", "0x7777");
    r.put("from", from);
    r.put("to", token);
    r.put("cumulativeGasUsed", "0x10000");
    r.put("gasUsed", "0x10000");
    r.put("effectiveGasPrice", "0x3b9aca00");
    r.put("status", "0x1");
    r.put("type", "0x2");
    r.put("logsBloom", "0x" + "0".repeat(512));
    r.putNull("contractAddress");
    ArrayNode logs = r.putArray("logs");
    ObjectNode log = logs.addObject();
    log.put("address", token);
    ArrayNode topics = log.putArray("topics");
    topics.add("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
    topics.add(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(from), 64));
    topics.add(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(to), 64));
    log.put("data", Numeric.toHexStringWithPrefixZeroPadded(v, 64));
    log.put("blockHash", blockHash);
    log.put("blockNumber", "0x7777");
    log.put("transactionHash", txHash);
    log.put("transactionIndex", "0x0");
    log.put("logIndex", "0x0");
    log.put("removed", false);
    return r;
  }
}
