package io.attest402.x402.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.contracts.generated.X402ExactPermit2Proxy;
import io.attest402.contracts.generated.X402UptoPermit2Proxy;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Our Permit2 and x402 Permit2 proxies, placed at the canonical addresses by the test chain, accept
 * exactly what the official {@code @x402/evm} client signs ({@code interop/official-payload.mjs}):
 * the proof that ABI, addresses, EIP-712 domain and witness types are the official ones. Tampering
 * with any signed field, or a second use of the nonce, is refused with Permit2's errors.
 */
@ExtendWith(ChainExtension.class)
class Permit2ContractsChainTest {
  private static final BigInteger PRICE = BigInteger.valueOf(12_345);
  private static final Credentials FACILITATOR = DevAccounts.account(5);

  @Test
  void canonicalAddressesHoldTheContracts(Chain chain) throws Exception {
    for (String a :
        List.of(Chain.PERMIT2, Chain.X402_EXACT_PERMIT2_PROXY, Chain.X402_UPTO_PERMIT2_PROXY)) {
      String code = chain.web3j().ethGetCode(a, DefaultBlockParameterName.LATEST).send().getCode();
      assertTrue(code.length() > 200, a + " has code");
    }
    assertEquals(Permit2.ADDRESS, Chain.PERMIT2);
    assertEquals(Permit2.EXACT_PROXY, Chain.X402_EXACT_PERMIT2_PROXY);
    assertEquals(Permit2.UPTO_PROXY, Chain.X402_UPTO_PERMIT2_PROXY);
    assertEquals(
        Chain.PERMIT2.toLowerCase(),
        exactProxy(chain, FACILITATOR).PERMIT2().send().toLowerCase(),
        "the proxy's immutable Permit2 is the canonical one");
  }

  @Test
  void exactProxySettlesWhatTheOfficialClientSigned(Chain chain) throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    approvePermit2(chain, usdc, DevAccounts.AGENT);
    JsonNode auth =
        officialPayload(chain, "exact", usdc, "USD Coin", "2").path("permit2Authorization");
    String signature = officialPayload.path("signature").asText();
    assertEquals(Permit2.EXACT_PROXY.toLowerCase(), auth.path("spender").asText().toLowerCase());
    String payTo = chain.deployment().account("provider").address();
    TestUSDC token = TestUSDC.load(usdc, chain.web3j(), chain.txManager(FACILITATOR), chain.gas());
    BigInteger before = token.balanceOf(payTo).send();

    X402ExactPermit2Proxy proxy = exactProxy(chain, FACILITATOR);
    // our Java side hashes and encodes what the official client signed the same way
    Permit2Payload parsed = Permit2Payload.fromJson(officialPayload, "payload");
    assertEquals(
        auth.path("from").asText().toLowerCase(),
        Signatures.recover(
                Permit2.digest(chain.chainId(), parsed.authorization()),
                Numeric.hexStringToByteArray(signature),
                Signatures.SPolicy.ALLOW_HIGH_S)
            .orElseThrow()
            .toLowerCase());
    assertEquals(
        proxy
            .settle(
                exactPermit(auth),
                auth.path("from").asText(),
                exactWitness(auth),
                Numeric.hexStringToByteArray(signature))
            .encodeFunctionCall(),
        Permit2.exactSettleCalldata(
            parsed.authorization(), Numeric.hexStringToByteArray(signature), null));
    // a facilitator that redirects the funds breaks the witness: Permit2 recovers another signer
    ObjectNode redirected = auth.deepCopy();
    ((ObjectNode) redirected.path("witness")).put("to", FACILITATOR.getAddress());
    assertEquals(
        "InvalidSigner()",
        revertOf(
            chain,
            FACILITATOR.getAddress(),
            Permit2.EXACT_PROXY,
            proxy.settle(
                exactPermit(redirected),
                redirected.path("from").asText(),
                exactWitness(redirected),
                Numeric.hexStringToByteArray(signature))));
    ObjectNode more = auth.deepCopy();
    ((ObjectNode) more.path("permitted")).put("amount", PRICE.add(BigInteger.ONE).toString());
    assertEquals(
        "InvalidSigner()",
        revertOf(
            chain,
            FACILITATOR.getAddress(),
            Permit2.EXACT_PROXY,
            proxy.settle(
                exactPermit(more),
                more.path("from").asText(),
                exactWitness(more),
                Numeric.hexStringToByteArray(signature))));

    TransactionReceipt r =
        proxy
            .settle(
                exactPermit(auth),
                auth.path("from").asText(),
                exactWitness(auth),
                Numeric.hexStringToByteArray(signature))
            .send();
    assertTrue(r.isStatusOK());
    assertEquals(before.add(PRICE), token.balanceOf(payTo).send());
    assertEquals(
        "InvalidNonce()",
        revertOf(
            chain,
            FACILITATOR.getAddress(),
            Permit2.EXACT_PROXY,
            proxy.settle(
                exactPermit(auth),
                auth.path("from").asText(),
                exactWitness(auth),
                Numeric.hexStringToByteArray(signature))),
        "a nonce pays once");
  }

  @Test
  void uptoProxySettlesAtMostTheSignedMaximumForTheNamedFacilitatorOnly(Chain chain)
      throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    approvePermit2(chain, usdc, DevAccounts.AGENT);
    JsonNode auth =
        officialPayload(chain, "upto", usdc, "USD Coin", "2").path("permit2Authorization");
    byte[] signature = Numeric.hexStringToByteArray(officialPayload.path("signature").asText());
    assertEquals(Permit2.UPTO_PROXY.toLowerCase(), auth.path("spender").asText().toLowerCase());
    String from = auth.path("from").asText();
    String payTo = chain.deployment().account("provider").address();
    TestUSDC token = TestUSDC.load(usdc, chain.web3j(), chain.txManager(FACILITATOR), chain.gas());
    BigInteger before = token.balanceOf(payTo).send();

    X402UptoPermit2Proxy other = uptoProxy(chain, DevAccounts.account(6));
    assertEquals(
        "UnauthorizedFacilitator()",
        revertOf(
            chain,
            DevAccounts.account(6).getAddress(),
            Permit2.UPTO_PROXY,
            other.settle(uptoPermit(auth), BigInteger.ONE, from, uptoWitness(auth), signature)));
    X402UptoPermit2Proxy proxy = uptoProxy(chain, FACILITATOR);
    Permit2Payload parsed = Permit2Payload.fromJson(officialPayload, "payload");
    assertEquals(
        from.toLowerCase(),
        Signatures.recover(
                Permit2.digest(chain.chainId(), parsed.authorization()),
                signature,
                Signatures.SPolicy.ALLOW_HIGH_S)
            .orElseThrow()
            .toLowerCase());
    assertEquals(
        proxy
            .settle(uptoPermit(auth), PRICE, from, uptoWitness(auth), signature)
            .encodeFunctionCall(),
        Permit2.uptoSettleCalldata(parsed.authorization(), PRICE, signature, null));
    assertEquals(
        "AmountExceedsPermitted()",
        revertOf(
            chain,
            FACILITATOR.getAddress(),
            Permit2.UPTO_PROXY,
            proxy.settle(
                uptoPermit(auth), PRICE.add(BigInteger.ONE), from, uptoWitness(auth), signature)));
    BigInteger used = BigInteger.valueOf(4_000);
    assertTrue(
        proxy
            .settle(uptoPermit(auth), used, from, uptoWitness(auth), signature)
            .send()
            .isStatusOK());
    assertEquals(before.add(used), token.balanceOf(payTo).send(), "the actual amount, not the max");
  }

  // ------------------------------------------------------------------------------------------

  private JsonNode officialPayload;

  private JsonNode officialPayload(
      Chain chain, String scheme, String asset, String name, String version) {
    ObjectNode offer = Wire.newObject();
    offer.put("scheme", scheme);
    offer.put("network", chain.deployment().network());
    offer.put("amount", PRICE.toString());
    offer.put("asset", asset);
    offer.put("payTo", chain.deployment().account("provider").address());
    offer.put("maxTimeoutSeconds", 300);
    ObjectNode extra = offer.putObject("extra");
    extra.put("name", name);
    extra.put("version", version);
    extra.put("assetTransferMethod", "permit2");
    extra.put("facilitatorAddress", FACILITATOR.getAddress());
    ObjectNode required = Wire.newObject();
    required.put("x402Version", 2);
    required.putObject("resource").put("url", "http://127.0.0.1/paid");
    required.putArray("accepts").add(offer);
    Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
    env.put("PRIVATE_KEY", Interop.key(DevAccounts.AGENT));
    env.put("PAYMENT_REQUIRED", required.toString());
    env.put("SCHEME", scheme);
    try (NodeScript s =
        NodeScript.start("official-payload.mjs", List.of(), env, Interop.START_TIMEOUT)) {
      JsonNode ready = s.ready();
      assertFalse(ready.has("error"), () -> "official client: " + ready);
      officialPayload = ready.path("paymentPayload").path("payload");
      return officialPayload;
    }
  }

  static void approvePermit2(Chain chain, String token, int account) throws Exception {
    Credentials who = DevAccounts.account(account);
    TestUSDC t = TestUSDC.load(token, chain.web3j(), chain.txManager(who), chain.gas());
    assertTrue(
        t.approve(Permit2.ADDRESS, BigInteger.TWO.pow(256).subtract(BigInteger.ONE))
            .send()
            .isStatusOK());
  }

  private static X402ExactPermit2Proxy exactProxy(Chain chain, Credentials who) {
    return X402ExactPermit2Proxy.load(
        Permit2.EXACT_PROXY, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private static X402UptoPermit2Proxy uptoProxy(Chain chain, Credentials who) {
    return X402UptoPermit2Proxy.load(
        Permit2.UPTO_PROXY, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private static X402ExactPermit2Proxy.PermitTransferFrom exactPermit(JsonNode a) {
    return new X402ExactPermit2Proxy.PermitTransferFrom(
        new X402ExactPermit2Proxy.TokenPermissions(
            a.path("permitted").path("token").asText(),
            new BigInteger(a.path("permitted").path("amount").asText())),
        new BigInteger(a.path("nonce").asText()),
        new BigInteger(a.path("deadline").asText()));
  }

  private static X402ExactPermit2Proxy.Witness exactWitness(JsonNode a) {
    return new X402ExactPermit2Proxy.Witness(
        a.path("witness").path("to").asText(),
        new BigInteger(a.path("witness").path("validAfter").asText()));
  }

  private static X402UptoPermit2Proxy.PermitTransferFrom uptoPermit(JsonNode a) {
    return new X402UptoPermit2Proxy.PermitTransferFrom(
        new X402UptoPermit2Proxy.TokenPermissions(
            a.path("permitted").path("token").asText(),
            new BigInteger(a.path("permitted").path("amount").asText())),
        new BigInteger(a.path("nonce").asText()),
        new BigInteger(a.path("deadline").asText()));
  }

  private static X402UptoPermit2Proxy.Witness uptoWitness(JsonNode a) {
    return new X402UptoPermit2Proxy.Witness(
        a.path("witness").path("to").asText(),
        a.path("witness").path("facilitator").asText(),
        new BigInteger(a.path("witness").path("validAfter").asText()));
  }

  private static final List<String> ERRORS =
      List.of(
          "InvalidSigner()",
          "InvalidNonce()",
          "InvalidSignature()",
          "SignatureExpired(uint256)",
          "InvalidAmount(uint256)",
          "UnauthorizedFacilitator()",
          "AmountExceedsPermitted()",
          "PaymentTooEarly()");

  /** The custom error {@code call}, sent by {@code from} to {@code to}, reverts with. */
  static String revertOf(
      Chain chain, String from, String to, RemoteFunctionCall<TransactionReceipt> call)
      throws Exception {
    EthCall r =
        chain
            .web3j()
            .ethCall(
                Transaction.createEthCallTransaction(from, to, call.encodeFunctionCall()),
                DefaultBlockParameterName.LATEST)
            .send();
    String data = r.hasError() ? String.valueOf(r.getError().getData()) : r.getValue();
    String hex = Hex.strip(data.replace("\"", ""));
    for (String e : ERRORS) {
      String selector = Numeric.toHexStringNoPrefix(Hash.sha3(e.getBytes())).substring(0, 8);
      if (hex.startsWith(selector)) {
        return e;
      }
    }
    return "no known error: " + (r.hasError() ? r.getError().getMessage() + " " : "") + data;
  }
}
