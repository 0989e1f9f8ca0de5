package io.attest402.x402.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * Golden vectors generated with the official @x402/evm 2.27.0 + viem 2.57.20 (pinned in interop/).
 */
class GoldenVectorsTest {
  static final String KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
  static final String ADDR0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
  static final String PAY_TO = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
  static final String BASE_SEPOLIA_USDC = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";

  static final Eip712Domain DOMAIN = new Eip712Domain("USDC", "2", 84532, BASE_SEPOLIA_USDC);
  static final ExactEvmPayload.Authorization AUTH =
      new ExactEvmPayload.Authorization(
          ADDR0,
          PAY_TO,
          BigInteger.valueOf(10000),
          BigInteger.ZERO,
          BigInteger.valueOf(1900000000L),
          "0x" + "11".repeat(32));
  static final String DIGEST = "0x925f00ea9e1189df2371e0c8f218cbdd5776140d9da472a8c7cc6a57f9191a36";
  static final String SIGNATURE =
      "0xce2966c3fccb19b78025ec464a806a65d3bf9755f72c2451a1b06b30ca074ddd"
          + "36e247ce7c15ad88c8da6ccbde485de425459cbe54d1941d614b03b5bfefcf941b";

  @Test
  void eip712DigestMatches() {
    assertEquals(DIGEST, Numeric.toHexString(TransferWithAuthorization.digest(DOMAIN, AUTH)));
  }

  @Test
  void deterministicSignatureMatchesByteForByte() {
    Credentials key = Credentials.create(KEY0);
    Eip3009Signer signer = new Eip3009Signer(key, java.time.Clock.systemUTC());
    assertEquals(ADDR0, signer.address());
    ExactEvmPayload signed = signer.sign(DOMAIN, AUTH);
    assertEquals(SIGNATURE, signed.signature());
    Signatures.Rsv rsv = Signatures.parse(signed.signatureBytes()).orElseThrow();
    assertEquals(27, rsv.v());
    assertTrue(rsv.isLowS());
  }

  @Test
  void signatureRecoversToTheKeyAddress() {
    assertEquals(
        ADDR0,
        Signatures.recover(
                Numeric.hexStringToByteArray(DIGEST), Numeric.hexStringToByteArray(SIGNATURE))
            .orElseThrow());
  }

  @Test
  void paymentRequiredHeaderIsByteIdentical() {
    String expected =
        "eyJ4NDAyVmVyc2lvbiI6MiwiZXJyb3IiOiJQYXltZW50IHJlcXVpcmVkIiwicmVzb3VyY2UiOnsidXJsIjoiaHR0cDovL2xvY2FsaG9zdDo0MDIxL3dlYXRoZXIiLCJkZXNjcmlwdGlvbiI6IldlYXRoZXIgZGF0YSIsIm1pbWVUeXBlIjoiYXBwbGljYXRpb24vanNvbiJ9LCJhY2NlcHRzIjpbeyJzY2hlbWUiOiJleGFjdCIsIm5ldHdvcmsiOiJlaXAxNTU6ODQ1MzIiLCJhbW91bnQiOiIxMDAwIiwiYXNzZXQiOiIweDAzNkNiRDUzODQyYzU0MjY2MzRlNzkyOTU0MWVDMjMxOGYzZENGN2UiLCJwYXlUbyI6IjB4MjA5NjkzQmM2YWZjMEM1MzI4YkEzNkZhRjAzQzUxNEVGMzEyMjg3QyIsIm1heFRpbWVvdXRTZWNvbmRzIjozMDAsImV4dHJhIjp7Im5hbWUiOiJVU0RDIiwidmVyc2lvbiI6IjIifX1dfQ==";
    PaymentRequired pr =
        new PaymentRequired(
            "Payment required",
            new ResourceInfo("http://localhost:4021/weather", "Weather data", "application/json"),
            List.of(
                PaymentRequirements.exactEvm(
                    "eip155:84532",
                    BigInteger.valueOf(1000),
                    BASE_SEPOLIA_USDC,
                    PAY_TO,
                    300,
                    "USDC",
                    "2")),
            null);
    assertEquals(expected, HeaderCodec.DEFAULT.encodePaymentRequired(pr));
    // and it decodes back to the same value
    assertEquals(pr, HeaderCodec.DEFAULT.decodePaymentRequired(expected));
  }

  @Test
  void officialClientPayloadRoundTripsInTheSameKeyOrder() {
    String json =
        "{\"x402Version\":2,\"payload\":{\"authorization\":{\"from\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
            + "\"to\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"value\":\"1000\",\"validAfter\":\"0\","
            + "\"validBefore\":\"1795299647\",\"nonce\":\"0x0fb5"
            + "ab".repeat(28)
            + "6865\"},\"signature\":\""
            + SIGNATURE
            + "\"},\"resource\":{\"url\":\"http://localhost:4021/weather\",\"description\":\"Weather data\","
            + "\"mimeType\":\"application/json\"},\"accepted\":{\"scheme\":\"exact\",\"network\":\"eip155:84532\","
            + "\"amount\":\"1000\",\"asset\":\"0x036CbD53842c5426634e7929541eC2318f3dCF7e\","
            + "\"payTo\":\"0x209693Bc6afc0C5328bA36FaF03C514EF312287C\",\"maxTimeoutSeconds\":300,"
            + "\"extra\":{\"name\":\"USDC\",\"version\":\"2\"}}}";
    PaymentPayload p = X402Json.read(json, PaymentPayload::fromJson);
    assertEquals(json, X402Json.write(p.toJson()));
    ExactEvmPayload ep = ExactEvmPayload.fromJson(p.payload());
    assertEquals(BigInteger.valueOf(1795299647L), ep.authorization().validBefore());
    assertEquals(
        json,
        X402Json.write(new PaymentPayload(p.resource(), p.accepted(), ep.toJson(), null).toJson()));
  }
}
