package io.attest402.x402.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.testkit.MutableClock;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.VerifyResponse;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * The verify order and reason strings of the official facilitator, step by step, on a scripted
 * chain.
 */
class ExactEvmVerifierTest {
  static final long NOW = 1_800_000_000L;
  static final String ASSET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  static final String PAY_TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final Credentials PAYER =
      Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
  static final String NETWORK = "eip155:31337";

  final MutableClock clock = new MutableClock(Instant.ofEpochSecond(NOW));
  FakeChain chain;
  ExactEvmVerifier verifier;
  PaymentRequirements req;

  @BeforeEach
  void setUp() {
    chain = new FakeChain().code(ASSET, "0x6080");
    verifier = new ExactEvmVerifier(chain, clock);
    req =
        PaymentRequirements.exactEvm(
            NETWORK, BigInteger.valueOf(1000), ASSET, PAY_TO, 60, "USD Coin", "2");
  }

  ExactEvmPayload.Authorization auth(String to, long value, long validAfter, long validBefore) {
    return new ExactEvmPayload.Authorization(
        new Eip3009Signer(PAYER, clock).address(),
        to,
        BigInteger.valueOf(value),
        BigInteger.valueOf(validAfter),
        BigInteger.valueOf(validBefore),
        "0x" + "33".repeat(32));
  }

  ExactEvmPayload sign(ExactEvmPayload.Authorization a) {
    return new Eip3009Signer(PAYER, clock).sign(Eip712Domain.of(req), a);
  }

  PaymentPayload payment(PaymentRequirements accepted, ExactEvmPayload p) {
    return new PaymentPayload(new ResourceInfo("http://r", null, null), accepted, p.toJson(), null);
  }

  PaymentPayload good() {
    return payment(req, sign(auth(PAY_TO, 1000, 0, NOW + 60)));
  }

  VerifyResponse verify(PaymentPayload p) {
    return verifier.verify(p, req);
  }

  static void assertInvalid(String reason, VerifyResponse r) {
    assertEquals(false, r.isValid(), "expected " + reason);
    assertEquals(reason, r.invalidReason());
  }

  @Test
  void validPaymentPassesWithOneSimulationAndPayerSet() {
    VerifyResponse r = verify(good());
    assertTrue(r.isValid(), String.valueOf(r));
    assertEquals(new Eip3009Signer(PAYER, clock).address(), r.payer());
    assertEquals(1, chain.count("call " + ASSET.toLowerCase()));
  }

  @Test
  void schemeIsCheckedFirst() {
    PaymentRequirements other =
        new PaymentRequirements("upto", NETWORK, req.amount(), ASSET, PAY_TO, 60, req.extra());
    PaymentPayload p = payment(other, sign(auth(PAY_TO, 5, 0, 1)));
    VerifyResponse r = verify(p);
    assertInvalid(ErrorReasons.INVALID_SCHEME, r);
    assertEquals(new Eip3009Signer(PAYER, clock).address(), r.payer());
    req = other;
    assertInvalid(ErrorReasons.INVALID_SCHEME, verify(good()));
  }

  @Test
  void missingDomainComesBeforeNetwork() {
    PaymentPayload p = good();
    ObjectNode extra = req.extra().deepCopy();
    extra.remove("version");
    req = req.withExtra(extra);
    assertInvalid(ErrorReasons.MISSING_EIP712_DOMAIN, verify(p));
    extra.put("version", "");
    req = req.withExtra(extra);
    assertInvalid(ErrorReasons.MISSING_EIP712_DOMAIN, verify(p));
  }

  @Test
  void networkMismatch() {
    PaymentRequirements accepted =
        new PaymentRequirements("exact", "eip155:1", req.amount(), ASSET, PAY_TO, 60, req.extra());
    assertInvalid(
        ErrorReasons.NETWORK_MISMATCH,
        verify(payment(accepted, sign(auth(PAY_TO, 1000, 0, NOW + 60)))));
  }

  @Test
  void nonEvmNetworkOrBadAssetThrowsAsTheOfficialCodeDoes() {
    PaymentRequirements sol =
        new PaymentRequirements(
            "exact", "solana:abc", req.amount(), ASSET, PAY_TO, 60, req.extra());
    req = sol;
    assertThrows(
        IllegalArgumentException.class,
        () -> verify(payment(sol, sign(auth(PAY_TO, 1000, 0, NOW + 60)))));
    PaymentRequirements badAsset =
        new PaymentRequirements("exact", NETWORK, BigInteger.ONE, "USDC", PAY_TO, 60, sol.extra());
    req = badAsset;
    assertThrows(
        IllegalArgumentException.class,
        () -> verify(payment(badAsset, sign(auth(PAY_TO, 1, 0, NOW)))));
  }

  @Test
  void wrongSignerIsAnInvalidSignature() {
    ExactEvmPayload p =
        new Eip3009Signer(Credentials.create("0x01"), clock)
            .sign(Eip712Domain.of(req), auth(PAY_TO, 1000, 0, NOW + 60));
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(payment(req, p)));
  }

  @Test
  void signatureMustBeExactly65BytesForAnEoa() {
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    ExactEvmPayload longer = new ExactEvmPayload(p.signature() + "00", p.authorization());
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(payment(req, longer)));
  }

  @Test
  void vAsRecoveryIdPassesRecoveryAndReachesSimulationWithTheRawV() {
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    byte[] sig = p.signatureBytes();
    sig[64] = (byte) (sig[64] - 27);
    AtomicReference<String> simulated = new AtomicReference<>();
    chain.calls =
        (to, data) -> {
          simulated.set(data);
          return ChainAccess.CallResult.ok("0x");
        };
    assertTrue(
        verify(payment(req, new ExactEvmPayload(Numeric.toHexString(sig), p.authorization())))
            .isValid());
    // uint8 v is the 7th argument word: 0 or 1 passed through, as viem does
    String vWord = simulated.get().substring(10 + 64 * 6, 10 + 64 * 7);
    assertEquals(BigInteger.valueOf(sig[64]), new BigInteger(vWord, 16));
  }

  @Test
  void highSIsLeftToTheSimulationUnlessLowSIsRequired() {
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    Signatures.Rsv rsv = Signatures.parse(p.signatureBytes()).orElseThrow();
    BigInteger highS = Signatures.N.subtract(rsv.sValue());
    byte[] flipped =
        new Signatures.Rsv(rsv.v() == 27 ? 28 : 27, rsv.r(), Numeric.toBytesPadded(highS, 32))
            .toBytes();
    PaymentPayload high =
        payment(req, new ExactEvmPayload(Numeric.toHexString(flipped), p.authorization()));
    assertTrue(
        verify(high).isValid(),
        "viem's ecrecover accepts high s; the scripted chain's simulation passes");
    ExactEvmVerifier strict =
        new ExactEvmVerifier(
            chain,
            clock,
            ExactEvmVerifier.Config.defaults().withSPolicy(Signatures.SPolicy.REQUIRE_LOW_S));
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, strict.verify(high, req));
  }

  @Test
  void badChecksumOrShortNonceMakeTheTypedDataUnhashable() {
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    String badCase = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8";
    ExactEvmPayload.Authorization a = p.authorization();
    ExactEvmPayload wrongCase =
        new ExactEvmPayload(
            p.signature(),
            new ExactEvmPayload.Authorization(
                a.from(), badCase, a.value(), a.validAfter(), a.validBefore(), a.nonce()));
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(payment(req, wrongCase)));
    ExactEvmPayload shortNonce =
        new ExactEvmPayload(
            p.signature(),
            new ExactEvmPayload.Authorization(
                a.from(), a.to(), a.value(), a.validAfter(), a.validBefore(), "0x33"));
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(payment(req, shortNonce)));
  }

  @Test
  void contractPayersUseErc1271WithoutEcdsaFallback() {
    String wallet = new Eip3009Signer(PAYER, clock).address();
    chain.code(wallet, "0x60806040");
    chain.calls = (to, data) -> ChainAccess.CallResult.ok("0x");
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(good()));
    chain.calls =
        (to, data) ->
            to.equalsIgnoreCase(wallet)
                ? ChainAccess.CallResult.ok("0x1626ba7e" + "0".repeat(56))
                : ChainAccess.CallResult.ok("0x");
    assertTrue(verify(good()).isValid());
    chain.calls =
        (to, data) ->
            to.equalsIgnoreCase(wallet)
                ? ChainAccess.CallResult.reverted("execution reverted", null)
                : ChainAccess.CallResult.ok("0x");
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(good()));
  }

  static String wrap6492(String factory, String calldata, String inner) {
    String body =
        FunctionEncoder.encodeConstructor(
            List.of(
                new Address(factory),
                new DynamicBytes(Numeric.hexStringToByteArray(calldata)),
                new DynamicBytes(Numeric.hexStringToByteArray(inner))));
    return "0x" + body + Numeric.toHexStringNoPrefix(Erc6492.MAGIC);
  }

  @Test
  void counterfactualPayersNeedAnAllowListedFactory() {
    String factory = "0x00000000000000000000000000000000000fac70";
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    ExactEvmPayload wrapped =
        new ExactEvmPayload(wrap6492(factory, "0xabcd", p.signature()), p.authorization());
    assertInvalid(ErrorReasons.FACTORY_NOT_ALLOWED, verify(payment(req, wrapped)));

    ExactEvmVerifier allowing =
        new ExactEvmVerifier(
            chain,
            clock,
            ExactEvmVerifier.Config.defaults()
                .withAllowedFactories(List.of(" 0x00000000000000000000000000000000000FAC70")));
    chain.calls =
        (to, data) ->
            ChainAccess.CallResult.ok(
                FakeChain.aggregateAnswer(
                    List.of(
                        new Multicall3.Result(true, new byte[0]),
                        new Multicall3.Result(true, new byte[0]))));
    ExactEvmVerifier.Outcome o = allowing.verify(payment(req, wrapped), req, true);
    assertTrue(o.isValid(), String.valueOf(o.response()));
    assertTrue(o.classification().counterfactual());
    assertEquals(p.signature(), o.classification().innerSignature());
    assertEquals(1, chain.count("call " + Multicall3.ADDRESS.toLowerCase()));
    // a wrapper with the zero factory is no deployment info: the whole wrapper is checked as an EOA
    // signature
    ExactEvmPayload zero =
        new ExactEvmPayload(wrap6492(Addresses.ZERO, "0x", p.signature()), p.authorization());
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, allowing.verify(payment(req, zero), req));
  }

  @Test
  void recipientIsComparedCaseInsensitively() {
    assertInvalid(
        ErrorReasons.RECIPIENT_MISMATCH,
        verify(
            payment(
                req, sign(auth("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", 1000, 0, NOW + 60)))));
    req =
        new PaymentRequirements(
            "exact", NETWORK, req.amount(), ASSET, PAY_TO.toLowerCase(), 60, req.extra());
    assertTrue(verify(payment(req, sign(auth(PAY_TO, 1000, 0, NOW + 60)))).isValid());
  }

  @Test
  void validBeforeHasSixSecondsOfGraceAndValidAfterNone() {
    assertInvalid(
        ErrorReasons.VALID_BEFORE_EXPIRED,
        verify(payment(req, sign(auth(PAY_TO, 1000, 0, NOW + 5)))));
    assertTrue(verify(payment(req, sign(auth(PAY_TO, 1000, 0, NOW + 6)))).isValid());
    assertInvalid(
        ErrorReasons.VALID_AFTER_IN_FUTURE,
        verify(payment(req, sign(auth(PAY_TO, 1000, NOW + 1, NOW + 60)))));
    assertTrue(verify(payment(req, sign(auth(PAY_TO, 1000, NOW, NOW + 60)))).isValid());
    // the recipient check comes before the time checks
    assertInvalid(
        ErrorReasons.RECIPIENT_MISMATCH,
        verify(
            payment(req, sign(auth("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", 1000, 0, NOW)))));
  }

  @Test
  void valueMustMatchExactlyEvenWhenOverpaying() {
    assertInvalid(
        ErrorReasons.AUTHORIZATION_VALUE_MISMATCH,
        verify(payment(req, sign(auth(PAY_TO, 1001, 0, NOW + 60)))));
    assertInvalid(
        ErrorReasons.AUTHORIZATION_VALUE_MISMATCH,
        verify(payment(req, sign(auth(PAY_TO, 999, 0, NOW + 60)))));
  }

  @Test
  void assetWithoutCodeAndCaching() {
    chain.codes.remove(ASSET.toLowerCase());
    assertInvalid(ErrorReasons.ASSET_NOT_DEPLOYED_CONTRACT, verify(good()));
    chain.code(ASSET, "0x60");
    assertTrue(verify(good()).isValid());
    long lookups = chain.count("getCode " + ASSET.toLowerCase());
    assertTrue(verify(good()).isValid());
    assertEquals(lookups, chain.count("getCode " + ASSET.toLowerCase()), "cached for 15 minutes");
    clock.advance(Duration.ofMinutes(16));
    verifier.verify(payment(req, sign(auth(PAY_TO, 1000, 0, NOW + 3600))), req);
    assertEquals(lookups + 1, chain.count("getCode " + ASSET.toLowerCase()));
  }

  @Test
  void assetCheckRpcFailurePropagates() {
    ExactEvmVerifier v =
        new ExactEvmVerifier(
            new ChainAccess() {
              @Override
              public String getCode(String address) {
                if (address.equalsIgnoreCase(ASSET)) {
                  throw new ChainAccessException("down");
                }
                return "0x";
              }

              @Override
              public CallResult call(String to, String data) {
                return CallResult.ok("0x");
              }
            },
            clock);
    ChainAccess.ChainAccessException e =
        assertThrows(ChainAccess.ChainAccessException.class, () -> v.verify(good(), req));
    assertTrue(e.getMessage().startsWith("failed to check whether asset is a contract"));
  }

  @Test
  void payerCodeLookupFailureThrowsInsteadOfAnswering() {
    String payer = new Eip3009Signer(PAYER, clock).address().toLowerCase();
    ExactEvmPayload p = sign(auth(PAY_TO, 1000, 0, NOW + 60));
    PaymentPayload badSignature =
        payment(req, new ExactEvmPayload("0x" + "11".repeat(65), p.authorization()));
    for (RuntimeException failure :
        List.of(
            new ChainAccess.ChainAccessException("node down"),
            new IllegalStateException("connection refused"))) {
      chain.getCodeFailure = failure;
      for (PaymentPayload payload : List.of(good(), badSignature)) {
        for (boolean simulate : List.of(true, false)) {
          chain.log.clear();
          ChainAccess.ChainAccessException e =
              assertThrows(
                  ChainAccess.ChainAccessException.class,
                  () -> verifier.verify(payload, req, simulate),
                  "no invalidReason while the node is down");
          assertTrue(e.getMessage().contains(failure.getMessage()), e.getMessage());
          assertEquals(1, chain.count("getCode " + payer), "payer's code is asked once");
          assertEquals(0, chain.count("call "), "nothing runs after the failed lookup");
        }
      }
    }
    // "0x" is an answer: no code, an EOA signature, checked as such
    chain.getCodeFailure = null;
    assertInvalid(ErrorReasons.INVALID_SIGNATURE, verify(badSignature));
  }

  @Test
  void payerCodeIsReadOncePerVerify() {
    String payer = new Eip3009Signer(PAYER, clock).address().toLowerCase();
    assertTrue(verify(good()).isValid());
    assertEquals(1, chain.count("getCode " + payer), "EOA payer");
    chain.log.clear();
    assertTrue(verifier.verify(good(), req, false).isValid());
    assertEquals(1, chain.count("getCode " + payer), "EOA payer, settle-time re-verification");

    chain.code(payer, "0x60806040");
    chain.calls =
        (to, data) ->
            to.equalsIgnoreCase(payer)
                ? ChainAccess.CallResult.ok("0x1626ba7e" + "0".repeat(56))
                : ChainAccess.CallResult.ok("0x");
    chain.log.clear();
    assertTrue(verify(good()).isValid());
    assertEquals(1, chain.count("getCode " + payer), "ERC-1271 payer");
    assertEquals(1, chain.count("call " + payer), "one isValidSignature call");
  }

  @Test
  void nodeFailureOnLaterReadsThrowsToo() {
    String payer = new Eip3009Signer(PAYER, clock).address();
    // the ERC-1271 call
    chain.code(payer, "0x60806040");
    chain.calls =
        (to, data) -> {
          throw new ChainAccess.ChainAccessException("timeout");
        };
    assertThrows(ChainAccess.ChainAccessException.class, () -> verify(good()));
    // the simulation
    chain.codes.remove(payer.toLowerCase());
    assertThrows(ChainAccess.ChainAccessException.class, () -> verify(good()));
    // the diagnostic after a simulation that reverted
    chain.calls =
        (to, data) -> {
          if (to.equalsIgnoreCase(Multicall3.ADDRESS)) {
            throw new ChainAccess.ChainAccessException("timeout");
          }
          return ChainAccess.CallResult.reverted("execution reverted", null);
        };
    assertThrows(ChainAccess.ChainAccessException.class, () -> verify(good()));
    // a diagnostic that cannot run for want of Multicall3 is still the generic reason
    chain.calls = (to, data) -> ChainAccess.CallResult.reverted("execution reverted", null);
    assertInvalid(ErrorReasons.SIMULATION_FAILED, verify(good()));
  }

  @Test
  void simulationFailureWithoutMulticallIsGenericAndCarriesTheRevertText() {
    chain.calls =
        (to, data) ->
            ChainAccess.CallResult.reverted(
                "execution reverted: FiatTokenV2: invalid signature", null);
    VerifyResponse r = verify(good());
    assertInvalid(ErrorReasons.SIMULATION_FAILED, r);
    assertEquals("execution reverted: FiatTokenV2: invalid signature", r.invalidMessage());
  }

  private void diagnosticAnswer(
      long balance, String name, String version, Multicall3.Result authState) {
    chain.calls =
        (to, data) -> {
          if (to.equalsIgnoreCase(Multicall3.ADDRESS)) {
            return ChainAccess.CallResult.ok(
                FakeChain.aggregateAnswer(
                    List.of(
                        new Multicall3.Result(true, FakeChain.word(balance)),
                        new Multicall3.Result(true, FakeChain.abiString(name)),
                        new Multicall3.Result(true, FakeChain.abiString(version)),
                        authState)));
          }
          return ChainAccess.CallResult.reverted("execution reverted", null);
        };
  }

  @Test
  void diagnosticsDecideTheReasonInTheOfficialOrder() {
    Multicall3.Result unused = new Multicall3.Result(true, FakeChain.word(0));
    Multicall3.Result used = new Multicall3.Result(true, FakeChain.word(1));
    diagnosticAnswer(0, "Other", "9", new Multicall3.Result(false, new byte[0]));
    assertInvalid(ErrorReasons.EIP3009_NOT_SUPPORTED, verify(good()));
    diagnosticAnswer(0, "Other", "9", used);
    assertInvalid(ErrorReasons.NONCE_ALREADY_USED, verify(good()));
    diagnosticAnswer(0, "Other", "9", unused);
    assertInvalid(ErrorReasons.TOKEN_NAME_MISMATCH, verify(good()));
    diagnosticAnswer(0, "USD Coin", "9", unused);
    assertInvalid(ErrorReasons.TOKEN_VERSION_MISMATCH, verify(good()));
    diagnosticAnswer(999, "USD Coin", "2", unused);
    VerifyResponse r = verify(good());
    assertInvalid(ErrorReasons.INSUFFICIENT_BALANCE, r);
    assertEquals("execution reverted", r.invalidMessage());
    diagnosticAnswer(1000, "USD Coin", "2", unused);
    assertInvalid(ErrorReasons.SIMULATION_FAILED, verify(good()));
  }

  @Test
  void noSimulationForSettleTimeReverification() {
    chain.calls = (to, data) -> ChainAccess.CallResult.reverted("execution reverted", null);
    ExactEvmVerifier.Outcome o = verifier.verify(good(), req, false);
    assertTrue(o.isValid());
    assertNotNull(o.classification());
    assertEquals(0, chain.count("call "));
  }

  @Test
  void permit2PayloadsAreNotSupportedInV1AndMustBeWellFormedInV2() {
    ObjectNode p2 = io.attest402.x402.types.Wire.newObject();
    p2.put("signature", "0x");
    p2.putObject("permit2Authorization").put("from", "0xabc");
    VerifyResponse r =
        verify(new PaymentPayload(1, null, null, p2, null, "exact", "base-sepolia", Map.of()));
    assertInvalid(ErrorReasons.UNSUPPORTED_PAYLOAD_TYPE, r);
    assertEquals("0xabc", r.payer());
    // v2 Permit2 is verified (Permit2DifferentialTest); a malformed one is a format error
    assertThrows(
        io.attest402.x402.types.X402FormatException.class,
        () -> verify(new PaymentPayload(null, req, p2, null)));
  }

  @Test
  void v1UsesLegacyNetworkNamesAndItsOwnValueReason() {
    PaymentRequirements v1req =
        new PaymentRequirements(
            "exact", "base-sepolia", BigInteger.valueOf(1000), ASSET, PAY_TO, 60, req.extra());
    req =
        new PaymentRequirements(
            "exact", "eip155:84532", BigInteger.valueOf(1000), ASSET, PAY_TO, 60, req.extra());
    ExactEvmPayload signed = sign(auth(PAY_TO, 1001, 0, NOW + 60));
    PaymentPayload v1 =
        new PaymentPayload(
            1, null, null, signed.toJson(), null, "exact", "base-sepolia", java.util.Map.of());
    VerifyResponse r = verifier.verify(v1, v1req);
    assertInvalid(ErrorReasons.AUTHORIZATION_VALUE, r);
    PaymentPayload unknownNet =
        new PaymentPayload(
            1, null, null, signed.toJson(), null, "exact", "anvil", java.util.Map.of());
    assertInvalid(ErrorReasons.NETWORK_MISMATCH, verifier.verify(unknownNet, v1req));
    assertNull(verifier.verify(unknownNet, v1req).invalidMessage());
  }
}
