package io.attest402.x402.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.X402FormatException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeaderCodecTest {
  static final HeaderCodec CODEC = HeaderCodec.DEFAULT;

  static String b64(String json) {
    return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static final String OFFER =
      "{\"scheme\":\"exact\",\"network\":\"eip155:31337\",\"amount\":\"1000\","
          + "\"asset\":\"0x5FbDB2315678afecb367f032d93F642f64180aa3\",\"payTo\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\","
          + "\"maxTimeoutSeconds\":60,\"extra\":{\"name\":\"USD Coin\",\"version\":\"2\"}}";

  static final String PAYLOAD =
      "{\"x402Version\":2,\"payload\":{\"authorization\":{"
          + "\"from\":\"0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC\",\"to\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\","
          + "\"value\":\"1000\",\"validAfter\":\"0\",\"validBefore\":\"1900000000\",\"nonce\":\"0x"
          + "22".repeat(32)
          + "\"},\"signature\":\"0x"
          + "ab".repeat(65)
          + "\"},\"resource\":{\"url\":\"http://x/y\"},\"accepted\":"
          + OFFER
          + "}";

  private static HeaderFormatException sigError(String header) {
    return assertThrows(HeaderFormatException.class, () -> CODEC.decodePaymentSignature(header));
  }

  @Test
  void roundTripsAPaymentExactly() {
    PaymentPayload p = CODEC.decodePaymentSignature(b64(PAYLOAD));
    assertEquals(b64(PAYLOAD), CODEC.encodePaymentSignature(p));
    assertEquals(BigInteger.valueOf(1000), p.accepted().amount());
    assertEquals("USD Coin", p.accepted().extraString("name"));
  }

  @Test
  void unknownFieldsAndExtensionsSurviveAndNullIsAbsent() {
    String json =
        "{\"x402Version\":2,\"error\":null,\"resource\":{\"url\":\"u\",\"description\":null,"
            + "\"serviceName\":\"svc\"},\"accepts\":["
            + OFFER.replace("\"extra\"", "\"future\":[1,2],\"extra\"")
            + "],\"extensions\":{\"attest402\":{\"info\":{\"facilitator\":\"http://f\"}}},\"later\":true}";
    PaymentRequired pr = CODEC.decodePaymentRequired(b64(json));
    assertNull(pr.error());
    assertNull(pr.resource().description());
    assertEquals(TextNode.valueOf("svc"), pr.resource().other().get("serviceName"));
    assertTrue(pr.accepts().get(0).other().containsKey("future"));
    String back = X402Json.write(pr.toJson());
    assertFalse(back.contains("null"), back);
    assertTrue(
        back.contains("\"extensions\":{\"attest402\":{\"info\":{\"facilitator\":\"http://f\"}}}"),
        back);
    assertTrue(back.contains("\"later\":true"), back);
    assertTrue(back.contains("\"future\":[1,2]"), back);
  }

  @Test
  void malformedBase64IsNamedPrecisely() {
    assertEquals(HeaderFormatException.Problem.EMPTY, sigError("").kind());
    HeaderFormatException e = sigError("eyJ4-_");
    assertEquals(HeaderFormatException.Problem.NOT_BASE64, e.kind());
    assertTrue(e.getMessage().contains("'-' at position 4"), e.getMessage());
    assertTrue(e.getMessage().contains("base64url"), e.getMessage());
    HeaderFormatException truncated = sigError("eyJ4");
    assertEquals(HeaderFormatException.Problem.NOT_JSON, truncated.kind(), truncated.getMessage());
    assertTrue(truncated.getMessage().contains("not valid JSON"), truncated.getMessage());
    assertTrue(sigError("eyJ4MQ").getMessage().contains("not a multiple of 4"));
    assertTrue(sigError("ab=c").getMessage().contains("data after '=' padding at position 3"));
    assertTrue(sigError("a=bc").getMessage().contains("'=' padding at position 1 before the end"));
    assertTrue(sigError("a b=").getMessage().contains("' ' at position 1"));
    assertEquals(HeaderFormatException.Problem.NOT_BASE64, sigError("abc\u00e9").kind());
  }

  @Test
  void nonUtf8AndNonJsonAndWrongShapesAreNamed() {
    String notUtf8 = Base64.getEncoder().encodeToString(new byte[] {'{', (byte) 0xff, '}', ' '});
    assertEquals(HeaderFormatException.Problem.NOT_UTF8, sigError(notUtf8).kind());
    assertEquals(HeaderFormatException.Problem.NOT_JSON, sigError(b64("{\"a\":")).kind());
    assertEquals(HeaderFormatException.Problem.NOT_JSON, sigError(b64("{\"a\":1,\"a\":2}")).kind());
    assertEquals(HeaderFormatException.Problem.NOT_JSON, sigError(b64("{} {}")).kind());
    HeaderFormatException arr = sigError(b64("[1]"));
    assertEquals(HeaderFormatException.Problem.INVALID_CONTENT, arr.kind());
    assertTrue(arr.getMessage().contains("must hold a JSON object, not an array"));
  }

  @Test
  void contentErrorsCarryTheJsonPath() {
    HeaderFormatException e =
        sigError(b64(PAYLOAD.replace("\"amount\":\"1000\"", "\"amount\":1000")));
    assertEquals("accepted.amount", e.path());
    assertTrue(e.getMessage().contains("must be a decimal string"), e.getMessage());
    e = sigError(b64(PAYLOAD.replace("\"amount\":\"1000\"", "\"amount\":\"1e3\"")));
    assertTrue(e.getMessage().contains("unsigned decimal integer"), e.getMessage());
    e = sigError(b64(PAYLOAD.replace("\"x402Version\":2", "\"x402Version\":3")));
    assertTrue(e.getMessage().contains("unsupported version 3"));
    e = sigError(b64(PAYLOAD.replace(",\"accepted\":" + OFFER, "")));
    assertEquals("accepted", e.path());
    assertTrue(e.getMessage().contains("is required"));
    e = sigError(b64(PAYLOAD.replace("eip155:31337", "base")));
    assertTrue(e.getMessage().contains("CAIP-2"), e.getMessage());
    e = sigError(b64(PAYLOAD.replace("\"maxTimeoutSeconds\":60", "\"maxTimeoutSeconds\":0")));
    assertTrue(e.getMessage().contains("must be positive"));
    e = sigError(b64(PAYLOAD.replace("\"maxTimeoutSeconds\":60", "\"maxTimeoutSeconds\":\"60\"")));
    assertEquals("accepted.maxTimeoutSeconds", e.path());
  }

  @Test
  void sizeLimitIsEnforcedBeforeDecoding() {
    HeaderCodec small = new HeaderCodec(100);
    String big = "A".repeat(104);
    HeaderFormatException e =
        assertThrows(HeaderFormatException.class, () -> small.decodePaymentSignature(big));
    assertEquals(HeaderFormatException.Problem.TOO_LARGE, e.kind());
    assertTrue(e.getMessage().contains("104 characters"));
  }

  @Test
  void paymentResponseDropsExtensionResponsesForBuyers() {
    String json =
        "{\"success\":true,\"payer\":\"0xabc\",\"transaction\":\"0x12\",\"network\":\"eip155:1\","
            + "\"extensionResponses\":{\"k\":1},\"extra\":{\"receipt\":\"jws\"}}";
    SettleResponse s = X402Json.read(json, SettleResponse::fromJson);
    String header = CODEC.encodePaymentResponse(s);
    SettleResponse back = CODEC.decodePaymentResponse(header);
    assertFalse(back.other().containsKey("extensionResponses"));
    assertTrue(back.other().containsKey("extra"));
    assertEquals(
        "{\"success\":true,\"payer\":\"0xabc\",\"transaction\":\"0x12\",\"network\":\"eip155:1\","
            + "\"extra\":{\"receipt\":\"jws\"}}",
        X402Json.write(back.toJson()));
    SettleResponse failure =
        SettleResponse.failure("settlement_pending", null, "0xaa", "eip155:1", null);
    assertTrue(failure.isPendingWithTransaction());
    assertEquals(
        "{\"success\":false,\"errorReason\":\"settlement_pending\",\"transaction\":\"0xaa\","
            + "\"network\":\"eip155:1\"}",
        X402Json.write(failure.toJson()));
  }

  @Test
  void jsStringifyEscapesLikeJavaScript() {
    assertEquals(
        "\"a\\u001fb\\n\\\"\\\\/\u00e9\\ud800\"",
        JsStringify.stringify(TextNode.valueOf("a\u001fb\n\"\\/\u00e9\ud800")));
  }

  @Test
  void v1PayloadsAndRequirementsAreReadForCompatibility() {
    String v1 =
        "{\"x402Version\":1,\"scheme\":\"exact\",\"network\":\"base-sepolia\",\"payload\":{\"signature\":\"0x\"}}";
    PaymentPayload p = CODEC.decodePaymentSignature(HeaderCodec.X_PAYMENT, b64(v1));
    assertEquals("exact", p.scheme());
    assertEquals("base-sepolia", p.network());
    assertEquals(v1, X402Json.write(p.toJson()));
    String req =
        "{\"x402Version\":1,\"paymentPayload\":"
            + v1
            + ",\"paymentRequirements\":{\"scheme\":\"exact\","
            + "\"network\":\"base-sepolia\",\"maxAmountRequired\":\"5\",\"resource\":\"http://r\",\"description\":\"d\","
            + "\"mimeType\":\"\",\"payTo\":\"0x1\",\"maxTimeoutSeconds\":60,\"asset\":\"0x2\"}}";
    FacilitatorRequest fr = X402Json.read(req, FacilitatorRequest::fromJson);
    assertEquals(BigInteger.valueOf(5), fr.paymentRequirements().amount());
    assertEquals(req, X402Json.write(fr.toJson()));
    PaymentRequired pr =
        X402Json.read(
            "{\"x402Version\":1,\"error\":\"X-PAYMENT header is required\",\"accepts\":["
                + "{\"scheme\":\"exact\",\"network\":\"base\",\"maxAmountRequired\":\"7\",\"resource\":\"http://r\","
                + "\"description\":\"\",\"payTo\":\"0x1\",\"maxTimeoutSeconds\":60,\"asset\":\"0x2\"}]}",
            PaymentRequired::fromJson);
    assertEquals(BigInteger.valueOf(7), pr.accepts().get(0).amount());
  }

  @Test
  void facilitatorBodiesDecode() {
    VerifyResponse v =
        X402Json.read(
            "{\"isValid\":false,\"invalidReason\":\"x\",\"payer\":null,\"extensions\":{}}",
            VerifyResponse::fromJson);
    assertFalse(v.isValid());
    assertNull(v.payer());
    assertEquals(
        "{\"isValid\":false,\"invalidReason\":\"x\",\"extensions\":{}}",
        X402Json.write(v.toJson()));
    SupportedResponse s =
        X402Json.read(
            "{\"kinds\":[{\"x402Version\":2,\"scheme\":\"exact\",\"network\":\"eip155:1\"}]}",
            SupportedResponse::fromJson);
    assertTrue(s.supports(2, "exact", "eip155:1"));
    assertEquals(List.of(), s.extensions());
    assertEquals(Map.of(), s.signers());
    X402FormatException e =
        assertThrows(
            X402FormatException.class,
            () ->
                X402Json.read(
                    "{\"paymentPayload\":{\"x402Version\":2,\"payload\":{},\"accepted\":{}}}",
                    FacilitatorRequest::fromJson));
    assertEquals("paymentPayload.accepted.scheme", e.path());
  }
}
