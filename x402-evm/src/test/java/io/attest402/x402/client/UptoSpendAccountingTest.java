package io.attest402.x402.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;

/**
 * The spend policy's accounting of {@code upto}: the signed maximum is reserved before paying, only
 * the charged {@code SettleResponse.amount} stays counted once the answer is known, and a server
 * reporting a charge above the maximum is flagged (the payment is not reported as a clean {@code
 * Paid}, the maximum stays counted). The client side runs against a scripted x402 server on
 * loopback HTTP, so the answer can lie.
 */
class UptoSpendAccountingTest {
  static final String USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  static final String PAY_TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final String FACILITATOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
  static final String NETWORK = "eip155:31337";

  static PaymentRequirements upto(long maximum) {
    ObjectNode extra = Wire.newObject();
    extra.put("name", "USD Coin");
    extra.put("version", "2");
    extra.put("assetTransferMethod", "permit2");
    extra.put("facilitatorAddress", FACILITATOR);
    return new PaymentRequirements(
        "upto", NETWORK, BigInteger.valueOf(maximum), USDC, PAY_TO, 60, extra);
  }

  @Test
  void theMaximumIsReservedThenOnlyTheChargeStaysCounted() {
    SpendPolicy p = SpendPolicy.builder().token(USDC, "USDC", 6).maxPerSession("0.01 USDC").build();
    PaymentRequirements r = upto(6_000);
    assertTrue(p.reserve(r, 2));
    assertEquals(BigInteger.valueOf(6_000), p.spentOn(USDC));
    // a second upto of 6,000 does not fit while the first maximum is reserved
    assertEquals(
        List.of(
            "amount 6000 (0.006 USDC) would bring this session's spending on "
                + USDC
                + " to 12000 (0.012 USDC), over the cap 10000 (0.01 USDC)"),
        p.check(r, 2));
    assertEquals(BigInteger.valueOf(1_500), p.settle(r, BigInteger.valueOf(1_500)));
    assertEquals(BigInteger.valueOf(1_500), p.spentOn(USDC));
    // ...and fits once the charge is known
    assertEquals(List.of(), p.check(r, 2));
    // a server that does not say what it charged keeps the whole maximum counted
    assertTrue(p.reserve(upto(2_000), 2));
    assertEquals(BigInteger.valueOf(2_000), p.settle(upto(2_000), null));
    assertEquals(BigInteger.valueOf(3_500), p.spentOn(USDC));
  }

  @Test
  void aChargeAboveTheMaximumIsRefusedAndTheMaximumStaysCounted() {
    SpendPolicy p = SpendPolicy.builder().token(USDC, "USDC", 6).maxPerSession("1 USDC").build();
    PaymentRequirements r = upto(6_000);
    assertTrue(p.reserve(r, 2));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.settle(r, BigInteger.valueOf(6_001)));
    assertEquals(
        "server reports charging 6001 (0.006001 USDC), above the signed maximum 6000 (0.006 USDC);"
            + " the whole maximum stays counted",
        e.getMessage());
    assertEquals(BigInteger.valueOf(6_000), p.spentOn(USDC));
    assertThrows(IllegalArgumentException.class, () -> p.settle(r, BigInteger.valueOf(-1)));
    assertEquals(BigInteger.valueOf(6_000), p.spentOn(USDC));
  }

  private HttpServer server;
  private final AtomicReference<BigInteger> reportedCharge = new AtomicReference<>();
  private final AtomicReference<PaymentPayload> received = new AtomicReference<>();

  @BeforeEach
  void startScriptedServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/paid",
        ex -> {
          String sig = ex.getRequestHeaders().getFirst(HeaderCodec.PAYMENT_SIGNATURE);
          byte[] body;
          if (sig == null) {
            PaymentRequired pr =
                new PaymentRequired(
                    "payment required",
                    new ResourceInfo("http://127.0.0.1/paid", "test", "text/plain"),
                    List.of(upto(6_000)),
                    null);
            ex.getResponseHeaders()
                .add(HeaderCodec.PAYMENT_REQUIRED, HeaderCodec.DEFAULT.encodePaymentRequired(pr));
            body = new byte[0];
            ex.sendResponseHeaders(402, -1);
          } else {
            received.set(HeaderCodec.DEFAULT.decodePaymentSignature(sig));
            SettleResponse s =
                new SettleResponse(
                    true,
                    null,
                    null,
                    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                    "0x" + "ab".repeat(32),
                    NETWORK,
                    reportedCharge.get(),
                    Map.of());
            ex.getResponseHeaders()
                .add(HeaderCodec.PAYMENT_RESPONSE, HeaderCodec.DEFAULT.encodePaymentResponse(s));
            body = "served".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private PaymentResult<String> pay(SpendPolicy policy) throws Exception {
    PayingHttpClient client =
        new PayingHttpClient(
            HttpClient.newHttpClient(),
            new Eip3009Signer(
                Credentials.create(
                    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
                Clock.systemUTC()),
            policy,
            TrustHook.allowAll());
    return client.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/paid"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theClientCountsWhatTheServerCharged() throws Exception {
    SpendPolicy policy = SpendPolicy.builder().maxPerSession(100_000).build();
    reportedCharge.set(BigInteger.valueOf(2_500));
    PaymentResult<String> r = pay(policy);
    PaymentResult.Paid<String> paid = assertInstanceOf(PaymentResult.Paid.class, r);
    assertEquals("upto", paid.requirements().scheme());
    assertEquals(BigInteger.valueOf(6_000), paid.requirements().amount());
    assertEquals(BigInteger.valueOf(2_500), paid.settlement().amount());
    assertEquals("upto", received.get().accepted().scheme());
    assertEquals(BigInteger.valueOf(2_500), policy.spentOn(USDC));
  }

  @Test
  void aServerReportingMoreThanTheMaximumIsFlagged() throws Exception {
    SpendPolicy policy = SpendPolicy.builder().maxPerSession(100_000).build();
    reportedCharge.set(BigInteger.valueOf(6_001));
    PaymentResult<String> r = pay(policy);
    PaymentResult.Failed<String> failed = assertInstanceOf(PaymentResult.Failed.class, r);
    assertEquals(
        "server reports charging 6001, above the signed maximum 6000; the whole maximum stays"
            + " counted",
        failed.reason());
    assertEquals(BigInteger.valueOf(6_000), policy.spentOn(USDC));
  }
}
