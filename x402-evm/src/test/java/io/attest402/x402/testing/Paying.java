package io.attest402.x402.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;
import org.web3j.crypto.Credentials;

/**
 * Paying in tests, as the paying client does it for real: the client a test pays one payee with,
 * one paid request checked, the refusal a 402 gives, the signature for its first offer, the
 * erc20ApprovalGasSponsoring extension as the official client attaches it. In x402-evm's test jar
 * (x402-vertx, enclave-facilitator and the demo use it at test scope): the paying client is
 * x402-evm's, and x402-evm's own interop tests pay with it too, so no module above it can hold it
 * (testkit is below x402-core).
 */
public final class Paying {
  private Paying() {}

  /**
   * Our paying client for {@code payer} (EIP-3009 and Permit2 signatures, system clock) that pays
   * at most {@code maxPerRequest} of {@code asset} on {@code network} to {@code payTo} and nothing
   * else, trusting every offer within that policy; HTTP with a 5 s connect timeout.
   */
  public static PayingHttpClient client(
      Credentials payer, BigInteger maxPerRequest, String network, String asset, String payTo) {
    return client(
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(),
        payer,
        maxPerRequest,
        network,
        asset,
        payTo);
  }

  /** {@link #client(Credentials, BigInteger, String, String, String)} over {@code http}. */
  public static PayingHttpClient client(
      HttpClient http,
      Credentials payer,
      BigInteger maxPerRequest,
      String network,
      String asset,
      String payTo) {
    return new PayingHttpClient(
        http,
        new Eip3009Signer(payer, Clock.systemUTC()),
        SpendPolicy.builder()
            .maxPerRequest(maxPerRequest)
            .allowNetworks(network)
            .allowAssets(asset)
            .allowPayees(payTo)
            .build(),
        TrustHook.allowAll());
  }

  /**
   * GETs {@code url} with {@code client} and asserts that it paid: a {@link PaymentResult.Paid}
   * with a 200 and a successful settlement (each failure says what came instead).
   */
  public static PaymentResult.Paid<String> paid(PayingHttpClient client, URI url, Duration timeout)
      throws Exception {
    PaymentResult<String> result =
        client.send(
            HttpRequest.newBuilder(url).timeout(timeout).build(),
            HttpResponse.BodyHandlers.ofString());
    @SuppressWarnings("unchecked")
    PaymentResult.Paid<String> paid =
        assertInstanceOf(PaymentResult.Paid.class, result, String.valueOf(result));
    assertEquals(200, paid.httpResponse().statusCode(), paid.httpResponse().body());
    assertTrue(paid.settlement().success(), String.valueOf(paid.settlement()));
    return paid;
  }

  /** The {@code PAYMENT-REQUIRED} header of a 402, decoded (it must be there). */
  public static PaymentRequired paymentRequired(HttpResponse<?> r) {
    String header =
        r.headers()
            .firstValue(HeaderCodec.PAYMENT_REQUIRED)
            .orElseThrow(
                () ->
                    new AssertionError(
                        "no "
                            + HeaderCodec.PAYMENT_REQUIRED
                            + " header on a "
                            + r.statusCode()
                            + " response"));
    return HeaderCodec.DEFAULT.decodePaymentRequired(header);
  }

  /** The {@code error} of a 402's {@code PAYMENT-REQUIRED} header (which must be there). */
  public static String paymentRequiredError(HttpResponse<?> r) {
    return paymentRequired(r).error();
  }

  /**
   * The {@code PAYMENT-SIGNATURE} header a client sends for the first offer of a 402: signed by
   * {@code payer} (EIP-3009, system clock) with the offer's extensions echoed, and a {@code
   * payment-identifier} of {@code paymentId} appended when it is not null.
   */
  public static String signFirstOffer(HttpResponse<?> r402, Credentials payer, String paymentId) {
    PaymentRequired pr = paymentRequired(r402);
    PaymentRequirements chosen = pr.accepts().get(0);
    ObjectNode ext =
        paymentId == null
            ? pr.extensions()
            : PaymentIdentifier.appendTo(pr.extensions(), paymentId);
    return HeaderCodec.DEFAULT.encodePaymentSignature(
        new PaymentPayload(
            pr.resource(),
            chosen,
            new Eip3009Signer(payer, Clock.systemUTC()).sign(chosen).toJson(),
            ext));
  }

  /**
   * The {@code erc20ApprovalGasSponsoring} extension as the official client attaches it: {@code
   * who}'s signed {@code approve(Permit2, amount)} of {@code token}, version 1; {@code bend} may
   * change the info before it is wrapped (a test's wrong field).
   */
  public static ObjectNode erc20ApprovalExtension(
      Credentials who,
      String token,
      BigInteger amount,
      String signedTransaction,
      Consumer<ObjectNode> bend) {
    ObjectNode info = Wire.newObject();
    info.put("from", who.getAddress());
    info.put("asset", token);
    info.put("spender", Permit2.ADDRESS);
    info.put("amount", amount.toString());
    info.put("signedTransaction", signedTransaction);
    info.put("version", "1");
    bend.accept(info);
    ObjectNode ext = Wire.newObject();
    ext.putObject(Erc20ApprovalGasSponsoring.KEY).set("info", info);
    return ext;
  }
}
