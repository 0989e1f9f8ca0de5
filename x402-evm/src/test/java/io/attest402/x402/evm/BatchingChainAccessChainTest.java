package io.attest402.x402.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.VerifyResponse;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

/**
 * Verify batching against a real anvil, counted at the RPC: a loopback proxy in front of anvil
 * counts the {@code eth_call}s each verifier sends. Many concurrent verifies through {@link
 * BatchingChainAccess} give exactly the answers the unbatched verifier gives one by one (valid,
 * insufficient balance, nonce used, wrong amount, bad signature, a payer funded by another payment
 * of the same batch) with fewer {@code eth_call}s.
 */
@ExtendWith(ChainExtension.class)
class BatchingChainAccessChainTest {
  static final BigInteger PRICE = BigInteger.valueOf(25_000);
  static final BigInteger CALL_GAS = BigInteger.valueOf(200_000);
  static final ObjectMapper JSON = new ObjectMapper();

  static HttpServer proxy;
  static final AtomicInteger ethCalls = new AtomicInteger();
  static Web3j counted;

  @BeforeAll
  static void setUp(Chain chain) throws Exception {
    Interop.installMulticall3(chain);
    HttpClient http = HttpClient.newHttpClient();
    URI anvil = URI.create(chain.rpcUrl());
    proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    proxy.setExecutor(Executors.newFixedThreadPool(16));
    proxy.createContext(
        "/",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          JsonNode req = JSON.readTree(body);
          for (JsonNode r : req.isArray() ? req : List.of(req)) {
            if ("eth_call".equals(r.path("method").asText())) {
              ethCalls.incrementAndGet();
            }
          }
          try {
            HttpResponse<byte[]> resp =
                http.send(
                    HttpRequest.newBuilder(anvil)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            ex.getResponseHeaders().add("content-type", "application/json");
            ex.sendResponseHeaders(resp.statusCode(), resp.body().length);
            ex.getResponseBody().write(resp.body());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.sendResponseHeaders(502, -1);
          } finally {
            ex.close();
          }
        });
    proxy.start();
    counted =
        Web3j.build(new HttpService("http://127.0.0.1:" + proxy.getAddress().getPort() + "/"));
  }

  @AfterAll
  static void stop() {
    if (counted != null) {
      counted.shutdown();
    }
    if (proxy != null) {
      proxy.stop(0);
    }
  }

  Clock clock(Chain c) {
    return Clock.fixed(Instant.ofEpochSecond(c.latestTimestamp()), ZoneOffset.UTC);
  }

  static PaymentRequirements requirements(Chain c, String payTo, BigInteger amount) {
    return PaymentRequirements.exactEvm(
        c.deployment().network(),
        amount,
        c.deployment().contracts().usdc(),
        payTo,
        60,
        c.deployment().usdc().name(),
        c.deployment().usdc().version());
  }

  static PaymentPayload pay(Credentials who, PaymentRequirements r, Clock clock) {
    ExactEvmPayload p = new Eip3009Signer(who, clock).sign(r);
    return new PaymentPayload(new ResourceInfo("http://r", null, null), r, p.toJson(), null);
  }

  record Case(PaymentPayload payload, PaymentRequirements requirements) {}

  @Test
  void concurrentVerifiesGiveTheUnbatchedAnswersWithFewerEthCalls(Chain c) throws Exception {
    Clock clock = clock(c);
    String provider = c.deployment().account("provider").address();
    PaymentRequirements req = requirements(c, provider, PRICE);
    Credentials poor = c.account(7);
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      cases.add(new Case(pay(c.account(DevAccounts.AGENT), req, clock), req));
    }
    for (int i = 0; i < 6; i++) {
      cases.add(new Case(pay(poor, req, clock), req)); // insufficient balance
      // a payment to the poor payer and the poor payer's own: never visible to each other
      PaymentRequirements toPoor =
          requirements(c, poor.getAddress(), PRICE.multiply(BigInteger.TEN));
      cases.add(new Case(pay(c.account(DevAccounts.AGENT), toPoor, clock), toPoor));
      PaymentRequirements other = requirements(c, provider, PRICE.add(BigInteger.ONE));
      cases.add(new Case(pay(c.account(DevAccounts.AGENT), req, clock), other)); // amount
    }

    ExactEvmVerifier plain = new ExactEvmVerifier(new Web3jChainAccess(counted, CALL_GAS), clock);
    int before = ethCalls.get();
    List<VerifyResponse> expected = new ArrayList<>();
    for (Case k : cases) {
      expected.add(plain.verify(k.payload(), k.requirements()));
    }
    int unbatchedCalls = ethCalls.get() - before;
    assertTrue(expected.get(0).isValid(), String.valueOf(expected.get(0)));
    assertEquals(ErrorReasons.INSUFFICIENT_BALANCE, expected.get(24).invalidReason());
    assertTrue(expected.get(25).isValid());
    assertEquals(ErrorReasons.AUTHORIZATION_VALUE_MISMATCH, expected.get(26).invalidReason());

    BatchingChainAccess batching =
        new BatchingChainAccess(new Web3jChainAccess(counted, CALL_GAS), Duration.ofMillis(20), 32);
    ExactEvmVerifier batched = new ExactEvmVerifier(batching, clock);
    before = ethCalls.get();
    List<VerifyResponse> got = runConcurrently(batched, cases);
    int batchedCalls = ethCalls.get() - before;

    for (int i = 0; i < cases.size(); i++) {
      assertEquals(expected.get(i), got.get(i), "answer " + i);
    }
    assertTrue(batching.batches() > 0, "no batch was formed");
    assertTrue(
        batchedCalls < unbatchedCalls,
        "eth_calls batched " + batchedCalls + " vs unbatched " + unbatchedCalls);
  }

  @Test
  void aUsedNonceAndABadSignatureAnswerAsUnbatched(Chain c) throws Exception {
    Clock clock = clock(c);
    String provider = c.deployment().account("provider").address();
    PaymentRequirements req = requirements(c, provider, PRICE);
    PaymentPayload used = pay(c.account(DevAccounts.AGENT), req, clock);
    ExactEvmPayload ep = ExactEvmPayload.fromJson(used.payload());
    // settle it, so its nonce is used
    var tx = c.txManager(c.account(DevAccounts.DEPLOYER));
    var sent =
        tx.sendTransaction(
            c.gas().getGasPrice(),
            BigInteger.valueOf(300_000),
            c.deployment().contracts().usdc(),
            Eip3009Calls.settlementCalldata(ep.authorization(), ep.signatureBytes()),
            BigInteger.ZERO);
    assertNull(sent.getError());
    new org.web3j.tx.response.PollingTransactionReceiptProcessor(c.web3j(), 50, 200)
        .waitForTransactionReceipt(sent.getTransactionHash());
    // the agent's authorization under another account's signature
    ExactEvmPayload agents =
        ExactEvmPayload.fromJson(pay(c.account(DevAccounts.AGENT), req, clock).payload());
    ExactEvmPayload others = ExactEvmPayload.fromJson(pay(c.account(5), req, clock).payload());
    PaymentPayload forged =
        new PaymentPayload(
            new ResourceInfo("http://r", null, null),
            req,
            new ExactEvmPayload(others.signature(), agents.authorization()).toJson(),
            null);
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      cases.add(new Case(used, req));
      cases.add(new Case(pay(c.account(DevAccounts.AGENT), req, clock), req));
    }
    cases.add(new Case(forged, req));
    ExactEvmVerifier plain = new ExactEvmVerifier(new Web3jChainAccess(counted, CALL_GAS), clock);
    List<VerifyResponse> expected = new ArrayList<>();
    for (Case k : cases) {
      expected.add(plain.verify(k.payload(), k.requirements()));
    }
    assertEquals(ErrorReasons.NONCE_ALREADY_USED, expected.get(0).invalidReason());
    assertNotNull(expected.get(0).invalidMessage(), "the node's revert message");
    assertEquals(ErrorReasons.INVALID_SIGNATURE, expected.get(cases.size() - 1).invalidReason());
    BatchingChainAccess batching =
        new BatchingChainAccess(new Web3jChainAccess(counted, CALL_GAS), Duration.ofMillis(20), 32);
    List<VerifyResponse> got = runConcurrently(new ExactEvmVerifier(batching, clock), cases);
    for (int i = 0; i < cases.size(); i++) {
      assertEquals(expected.get(i), got.get(i), "answer " + i);
    }
  }

  /**
   * The attack batching must not open: a payer without funds, batched behind a payment that funds
   * it. Through Multicall3's tryAggregate the second simulation sees the first one's transfer and
   * succeeds; isolated, it fails as on its own.
   */
  @Test
  void aCallInTheBatchNeverSeesAnotherCallsEffects(Chain c) {
    Clock clock = clock(c);
    Credentials poor = c.account(8);
    String provider = c.deployment().account("provider").address();
    PaymentRequirements toPoor = requirements(c, poor.getAddress(), PRICE);
    PaymentRequirements fromPoor = requirements(c, provider, PRICE);
    ExactEvmPayload funding =
        ExactEvmPayload.fromJson(pay(c.account(DevAccounts.AGENT), toPoor, clock).payload());
    ExactEvmPayload spending = ExactEvmPayload.fromJson(pay(poor, fromPoor, clock).payload());
    String usdc = c.deployment().contracts().usdc();
    List<Multicall3.Call> calls =
        List.of(
            new Multicall3.Call(
                usdc,
                Eip3009Calls.settlementCalldata(funding.authorization(), funding.signatureBytes())),
            new Multicall3.Call(
                usdc,
                Eip3009Calls.settlementCalldata(
                    spending.authorization(), spending.signatureBytes())));
    Web3jChainAccess direct = new Web3jChainAccess(c.web3j(), CALL_GAS);
    // on their own: the funding succeeds, the spending reverts (no balance)
    assertTrue(direct.call(usdc, calls.get(0).callData()).success());
    assertTrue(!direct.call(usdc, calls.get(1).callData()).success());
    // tryAggregate leaks the first call's transfer into the second
    List<Multicall3.Result> leaky = Multicall3.tryAggregate(direct, calls);
    assertTrue(leaky.get(0).success() && leaky.get(1).success(), "Multicall3 shares state");
    // isolated: exactly the answers of their own
    List<ChainAccess.CallResult> isolated =
        new BatchingChainAccess(direct, Duration.ofMillis(1), 8).runIsolated(calls);
    assertEquals(direct.call(usdc, calls.get(0).callData()), isolated.get(0));
    assertNull(isolated.get(1), "the unfunded payer's simulation fails in the batch too");
  }

  static List<VerifyResponse> runConcurrently(ExactEvmVerifier v, List<Case> cases)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<VerifyResponse>> fs = new ArrayList<>();
      for (Case k : cases) {
        fs.add(
            pool.submit(
                () -> {
                  start.await();
                  return v.verify(k.payload(), k.requirements());
                }));
      }
      start.countDown();
      List<VerifyResponse> out = new ArrayList<>();
      for (Future<VerifyResponse> f : fs) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
