package io.attest402.demo.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.DevAccounts;
import io.attest402.demo.stack.LocalStack;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.testing.Paying;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The summary provider sells one summary per payment, settled through our facilitator on anvil
 * (which, before issue 12's facilitator change, answered success to every replay: the provider must
 * not rely on it): replays sequential and concurrent, a payment for document A replayed with
 * document B, and both across a provider restart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProviderDeliversOnceTest {
  static final String DOC_A =
      "Alice pays the facilitator for a summary. The facilitator settles on chain. ";
  static final String DOC_B =
      "Bobby asks the provider for a summary. The provider answers at once, freely. ";
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private LocalStack stack;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = new LocalStack(dir, Clock.systemUTC());
    stack.startChain();
    stack.startFacilitator();
  }

  @AfterAll
  void stop() {
    stack.close();
  }

  HttpResponse<String> summarize(SummaryProvider p, String doc, String paymentSignature)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
            .timeout(Duration.ofSeconds(90))
            .header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(doc));
    if (paymentSignature != null) {
      b.header(HeaderCodec.PAYMENT_SIGNATURE, paymentSignature);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Signs the provider's offer for {@code doc} as the agent; with a payment-identifier when {@code
   * withId}.
   */
  String sign(SummaryProvider p, String doc, boolean withId) throws Exception {
    HttpResponse<String> r = summarize(p, doc, null);
    assertEquals(402, r.statusCode());
    assertTrue(
        PaymentIdentifier.isDeclared(Paying.paymentRequired(r).extensions()),
        "the provider declares payment-identifier");
    return Paying.signFirstOffer(
        r, DevAccounts.account(DevAccounts.AGENT), withId ? PaymentIdentifier.generate() : null);
  }

  BigInteger balance(String who) throws Exception {
    return stack.chain().usdcBalance(who);
  }

  @Test
  void oneSignatureBuysOneSummarySequentialOrConcurrent() throws Exception {
    SummaryProvider p = stack.startProvider("once-provider", DevAccounts.account(9), null);
    String payTo = DevAccounts.account(9).getAddress();
    BigInteger before = balance(payTo);
    String header = sign(p, DOC_A, false);
    HttpResponse<String> first = summarize(p, DOC_A, header);
    assertEquals(200, first.statusCode(), first.body());
    BigInteger price = balance(payTo).subtract(before);
    assertTrue(price.signum() > 0);
    HttpResponse<String> again = summarize(p, DOC_A, header);
    assertEquals(402, again.statusCode());
    assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(again));

    String concurrent = sign(p, DOC_A, false);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(
          http.sendAsync(
              HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                  .timeout(Duration.ofSeconds(90))
                  .header("Content-Type", "text/plain")
                  .header(HeaderCodec.PAYMENT_SIGNATURE, concurrent)
                  .POST(HttpRequest.BodyPublishers.ofString(DOC_A))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    int served = 0;
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        served++;
      } else {
        assertEquals(402, r.statusCode(), r.body());
      }
    }
    assertEquals(1, served, "exactly one delivery");
    assertEquals(
        before.add(price.multiply(BigInteger.TWO)), balance(payTo), "one transfer per payment");
  }

  @Test
  void aPaymentForDocumentANeverBuysDocumentBsSummaryEvenAfterARestart() throws Exception {
    // both documents are far under 1,000 words: the same (minimum) price, so A's payment matches
    // B's offer
    SummaryProvider p = stack.startProvider("ab-provider", DevAccounts.account(5), null);
    String withId = sign(p, DOC_A, true);
    String plain = sign(p, DOC_A, false);
    HttpResponse<String> a = summarize(p, DOC_A, withId);
    assertEquals(200, a.statusCode(), a.body());
    assertTrue(a.body().contains("Alice"), a.body());
    assertEquals(200, summarize(p, DOC_A, plain).statusCode());

    HttpResponse<String> b = summarize(p, DOC_B, withId);
    assertEquals(200, b.statusCode());
    assertEquals(a.body(), b.body(), "the stored summary of A");
    assertFalse(b.body().contains("Bobby"));
    HttpResponse<String> b2 = summarize(p, DOC_B, plain);
    assertEquals(402, b2.statusCode());
    assertFalse(b2.body().contains("Bobby"));

    p.close();
    SummaryProvider restarted = stack.startProvider("ab-provider", DevAccounts.account(5), null);
    HttpResponse<String> afterRestart = summarize(restarted, DOC_B, withId);
    assertEquals(200, afterRestart.statusCode());
    assertEquals(a.body(), afterRestart.body(), "kept across the restart");
    HttpResponse<String> replay = summarize(restarted, DOC_B, plain);
    assertEquals(402, replay.statusCode());
    assertEquals("invalid_exact_evm_nonce_already_used", Paying.paymentRequiredError(replay));
  }
}
