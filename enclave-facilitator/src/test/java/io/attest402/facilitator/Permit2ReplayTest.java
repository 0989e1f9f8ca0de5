package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.Wire;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.utils.Numeric;

/**
 * {@link ReplayTest}'s matrix for Permit2 payments ({@code assetTransferMethod: "permit2"}): one
 * Permit2 nonce, one success. A retry of the claiming request (same requirements and {@code
 * Idempotency-Key}) gets its stored outcome; a replay without a key or with another gets {@code
 * permit2_invalid_nonce} (what the official facilitator answers when Permit2 refuses the used
 * nonce), one for another payTo or amount the Permit2 reason for that field, and 20 concurrent
 * settles one success. Real HTTP, real anvil; each case counts the token's Transfer events to a
 * payTo of its own and asks Permit2 whether the nonce is used.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Permit2ReplayTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(1_700);
  static final String TRANSFER = EventEncoder.encode(TestUSDC.TRANSFER_EVENT);

  FacilitatorServer server;
  String url;
  Credentials payer;

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    server =
        TestKit.startFacilitator(
            chain,
            dir.resolve("data"),
            FacilitatorOptions.defaults()
                .withReceiptWait(Duration.ofSeconds(5))
                .withPollInterval(Duration.ofMillis(50)),
            TestKit.networks(chain),
            k -> ReceiptIssuer.NONE);
    url = TestKit.url(server);
    payer = Credentials.create(Keys.createEcKeyPair());
    TestKit.fund(chain, payer.getAddress(), BigDecimal.ONE);
    assertTrue(
        TestKit.usdc(chain)
            .mint(payer.getAddress(), BigInteger.valueOf(1_000_000_000))
            .send()
            .isStatusOK());
    assertTrue(
        TestUSDC.load(
                chain.deployment().contracts().usdc(),
                chain.web3j(),
                chain.txManager(payer),
                chain.gas())
            .approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  /** A payment with its payTo (fresh per case) and nonce. */
  record Payment(String body, String payTo, BigInteger nonce) {}

  private Payment payment(Chain chain) {
    byte[] k = new byte[32];
    TestKit.RANDOM.nextBytes(k);
    return payment(chain, Credentials.create(Numeric.toHexString(k)).getAddress());
  }

  private Payment payment(Chain chain, String payTo) {
    var d = chain.deployment();
    String usdc = d.contracts().usdc();
    PaymentRequirements req =
        PaymentRequirements.exactEvm(
            d.network(), AMOUNT, usdc, payTo, 300, d.usdc().name(), d.usdc().version());
    ObjectNode extra = req.extra() == null ? Wire.newObject() : req.extra().deepCopy();
    extra.put("assetTransferMethod", "permit2");
    req = req.withExtra(extra);
    byte[] n = new byte[16];
    TestKit.RANDOM.nextBytes(n);
    BigInteger nonce = new BigInteger(1, n);
    Permit2Payload.Authorization a =
        new Permit2Payload.Authorization(
            payer.getAddress(),
            usdc,
            AMOUNT,
            Permit2.EXACT_PROXY,
            nonce,
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
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/weather", "Weather", "application/json"),
            req,
            new Permit2Payload(Numeric.toHexString(sig), a).toJson(),
            null);
    return new Payment(X402Json.write(new FacilitatorRequest(p, req).toJson()), payTo, nonce);
  }

  private Payment settled(Chain chain, String key) {
    Payment p = payment(chain);
    TestKit.Answer first = TestKit.post(url + "/settle", p.body(), key);
    assertEquals(200, first.status(), first.text());
    assertTrue(first.json().path("success").asBoolean(), first.text());
    return p;
  }

  private static void assertRefused(TestKit.Answer a, String reason) {
    assertEquals(200, a.status(), a.text());
    assertFalse(a.json().path("success").asBoolean(), a.text());
    assertEquals(reason, a.json().path("errorReason").asText(), a.text());
    assertEquals(
        "",
        a.json().path("transaction").asText(),
        "a refused replay learns no transaction: " + a.text());
  }

  /** Exactly one Transfer(payer, payTo, AMOUNT) on chain, and Permit2 holds the nonce used. */
  private void assertOneTransfer(Chain chain, Payment p) throws Exception {
    EthFilter f =
        new EthFilter(
            DefaultBlockParameterName.EARLIEST,
            DefaultBlockParameterName.LATEST,
            chain.deployment().contracts().usdc());
    f.addSingleTopic(TRANSFER);
    f.addSingleTopic(
        Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(payer.getAddress()), 64));
    f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(p.payTo()), 64));
    EthLog logs = chain.web3j().ethGetLogs(f).send();
    if (logs.hasError()) {
      throw new IOException(logs.getError().getMessage());
    }
    assertEquals(1, logs.getLogs().size(), "one transfer to " + p.payTo());
    String word =
        chain
            .web3j()
            .ethCall(
                org.web3j.protocol.core.methods.request.Transaction.createEthCallTransaction(
                    null,
                    Permit2.ADDRESS,
                    Permit2.nonceBitmapCalldata(payer.getAddress(), p.nonce())),
                DefaultBlockParameterName.LATEST)
            .send()
            .getValue();
    assertTrue(Permit2.nonceUsed(Numeric.toBigInt(word), p.nonce()), "Permit2 used the nonce");
  }

  @Test
  void aRetryWithTheSameKeyGetsTheSameOutcome(Chain chain) throws Exception {
    Payment p = settled(chain, "p2-order-1");
    TestKit.Answer first = TestKit.post(url + "/settle", p.body(), "p2-order-1");
    TestKit.Answer again = TestKit.post(url + "/settle", p.body(), "p2-order-1");
    assertTrue(again.json().path("success").asBoolean(), again.text());
    assertEquals(
        first.json().path("transaction").asText(), again.json().path("transaction").asText());
    assertOneTransfer(chain, p);
  }

  @Test
  void aReplayWithoutAKeyFailsAndAFirstClaimWithoutAKeyCanNeverBeRetried(Chain chain)
      throws Exception {
    Payment withKey = settled(chain, "p2-order-2");
    assertRefused(TestKit.post(url + "/settle", withKey.body()), "permit2_invalid_nonce");
    Payment noKey = settled(chain, null);
    assertRefused(TestKit.post(url + "/settle", noKey.body()), "permit2_invalid_nonce");
    assertRefused(TestKit.post(url + "/settle", noKey.body(), "late-key"), "permit2_invalid_nonce");
    assertOneTransfer(chain, withKey);
    assertOneTransfer(chain, noKey);
  }

  @Test
  void aReplayWithAnotherKeyFails(Chain chain) throws Exception {
    Payment p = settled(chain, "p2-order-3");
    assertRefused(TestKit.post(url + "/settle", p.body(), "p2-order-3x"), "permit2_invalid_nonce");
    assertOneTransfer(chain, p);
  }

  @Test
  void aReplayForAnotherPayToFailsEvenWithTheKey(Chain chain) throws Exception {
    Payment p = settled(chain, "p2-order-4");
    ObjectNode changed = TestKit.mutable(p.body());
    ((ObjectNode) changed.path("paymentRequirements"))
        .put("payTo", Credentials.create(Keys.createEcKeyPair()).getAddress());
    assertRefused(
        TestKit.post(url + "/settle", changed.toString(), "p2-order-4"),
        "invalid_permit2_recipient_mismatch");
    assertOneTransfer(chain, p);
  }

  @Test
  void aReplayForAnotherAmountFailsEvenWithTheKey(Chain chain) throws Exception {
    Payment p = settled(chain, "p2-order-5");
    ObjectNode changed = TestKit.mutable(p.body());
    ((ObjectNode) changed.path("paymentRequirements")).put("amount", "1");
    assertRefused(
        TestKit.post(url + "/settle", changed.toString(), "p2-order-5"), "permit2_amount_mismatch");
    assertOneTransfer(chain, p);
  }

  @Test
  void twentyConcurrentSettlesWithoutAKeyHaveExactlyOneSuccessAndOneTransaction(Chain chain)
      throws Exception {
    Payment p = payment(chain);
    long before = facilitatorNonce(chain);
    ExecutorService pool = Executors.newFixedThreadPool(20);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<TestKit.Answer>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(
          pool.submit(
              () -> {
                go.await();
                return TestKit.post(url + "/settle", p.body());
              }));
    }
    go.countDown();
    int success = 0;
    for (Future<TestKit.Answer> f : futures) {
      TestKit.Answer a = f.get();
      assertEquals(200, a.status(), a.text());
      if (a.json().path("success").asBoolean()) {
        success++;
      } else {
        assertEquals("permit2_invalid_nonce", a.json().path("errorReason").asText(), a.text());
        assertEquals("", a.json().path("transaction").asText(), a.text());
      }
    }
    pool.shutdown();
    assertEquals(1, success, "one payment, one success");
    assertEquals(before + 1, facilitatorNonce(chain), "one transaction");
    assertOneTransfer(chain, p);
  }

  private long facilitatorNonce(Chain chain) throws Exception {
    return chain
        .web3j()
        .ethGetTransactionCount(server.facilitator().address(), DefaultBlockParameterName.PENDING)
        .send()
        .getTransactionCount()
        .longValueExact();
  }
}
