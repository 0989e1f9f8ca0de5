package io.attest402.contracts;

import static io.attest402.contracts.testing.Reverts.assertCallReverts;
import static io.attest402.contracts.testing.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.Transactions;
import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.ValidationRegistry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.tuples.generated.Tuple6;
import org.web3j.utils.Numeric;

/** ERC-8004 Validation Registry rules against a real chain. */
@ExtendWith(ChainExtension.class)
class ValidationRegistryTest {
  private static final String ZERO = "0x0000000000000000000000000000000000000000";
  private static final byte[] NO_HASH = new byte[32];

  private Chain chain;
  private String snapshot;
  private String validation;
  private Credentials owner;
  private Credentials validator;
  private Credentials otherValidator;
  private Credentials stranger;
  private BigInteger agentId;

  @BeforeEach
  void setUp(Chain chain) throws Exception {
    this.chain = chain;
    snapshot = chain.snapshot();
    validation = chain.deployment().contracts().validationRegistry();
    owner = chain.account(DevAccounts.PROVIDER);
    validator = chain.account(DevAccounts.VALIDATOR);
    otherValidator = chain.account(4);
    stranger = chain.account(6);
    TransactionReceipt r =
        Transactions.requireSuccess(
            identity(owner).register("ipfs://facilitator").send(), "register");
    agentId = IdentityRegistry.getRegisteredEvents(r).get(0).agentId;
  }

  @AfterEach
  void tearDown() {
    chain.revert(snapshot);
  }

  private IdentityRegistry identity(Credentials who) {
    return IdentityRegistry.load(
        chain.deployment().contracts().identityRegistry(),
        chain.web3j(),
        chain.txManager(who),
        chain.gas());
  }

  private ValidationRegistry val(Credentials who) {
    return ValidationRegistry.load(validation, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private static byte[] hash(String payload) {
    return Hash.sha3(payload.getBytes(StandardCharsets.UTF_8));
  }

  private byte[] request(Credentials to, String payload) throws Exception {
    byte[] requestHash = hash(payload);
    Transactions.requireSuccess(
        val(owner)
            .validationRequest(to.getAddress(), agentId, "data:," + payload, requestHash)
            .send(),
        "validationRequest");
    return requestHash;
  }

  private void respond(Credentials who, byte[] requestHash, int response, String tag)
      throws Exception {
    Transactions.requireSuccess(
        val(who)
            .validationResponse(
                requestHash, BigInteger.valueOf(response), "ipfs://report", NO_HASH, tag)
            .send(),
        "validationResponse");
  }

  private Tuple2<BigInteger, BigInteger> summary(List<Credentials> validators, String tag)
      throws Exception {
    return val(owner)
        .getSummary(agentId, validators.stream().map(Credentials::getAddress).toList(), tag)
        .send();
  }

  private static Tuple2<BigInteger, BigInteger> expect(long count, long average) {
    return new Tuple2<>(BigInteger.valueOf(count), BigInteger.valueOf(average));
  }

  @Test
  void ownerRequestsAndTheStatusIsPending() throws Exception {
    byte[] requestHash = hash("quote+policy");
    TransactionReceipt r =
        Transactions.requireSuccess(
            val(owner)
                .validationRequest(
                    validator.getAddress(),
                    agentId,
                    "https://facilitator.example/attestation",
                    requestHash)
                .send(),
            "validationRequest");

    ValidationRegistry.ValidationRequestEventResponse e =
        ValidationRegistry.getValidationRequestEvents(r).get(0);
    assertEquals(validator.getAddress(), e.validatorAddress);
    assertEquals(agentId, e.agentId);
    assertEquals("https://facilitator.example/attestation", e.requestURI);
    assertArrayEquals(requestHash, e.requestHash);

    long requestTime = chain.latestTimestamp();
    Tuple6<String, BigInteger, BigInteger, byte[], String, BigInteger> status =
        val(owner).getValidationStatus(requestHash).send();
    assertEquals(validator.getAddress(), status.component1());
    assertEquals(agentId, status.component2());
    assertEquals(BigInteger.ZERO, status.component3());
    assertArrayEquals(NO_HASH, status.component4());
    assertEquals("", status.component5());
    assertEquals(BigInteger.valueOf(requestTime), status.component6());
    assertEquals(
        List.of(Numeric.toHexString(requestHash)),
        hexes(val(owner).getAgentValidations(agentId).send()));
    assertEquals(
        List.of(Numeric.toHexString(requestHash)),
        hexes(val(owner).getValidatorRequests(validator.getAddress()).send()));
    assertEquals(expect(0, 0), summary(List.of(), ""), "pending requests are not counted");
  }

  @Test
  void onlyTheOwnerOrOperatorsMayRequest() throws Exception {
    assertReverts(
        chain,
        stranger.getAddress(),
        validation,
        val(stranger).validationRequest(validator.getAddress(), agentId, "ipfs://req", hash("x")),
        "Not authorized");
    // The validator itself is no insider either.
    assertReverts(
        chain,
        validator.getAddress(),
        validation,
        val(validator).validationRequest(validator.getAddress(), agentId, "ipfs://req", hash("x")),
        "Not authorized");

    Credentials operator = chain.account(8);
    Transactions.requireSuccess(
        identity(owner).setApprovalForAll(operator.getAddress(), true).send(), "operator");
    Transactions.requireSuccess(
        val(operator)
            .validationRequest(validator.getAddress(), agentId, "ipfs://req", hash("x"))
            .send(),
        "operator requests");
  }

  @Test
  void requestsNeedAnAgentAValidatorAndAFreshHash() throws Exception {
    assertReverts(
        chain,
        owner.getAddress(),
        validation,
        val(owner)
            .validationRequest(
                validator.getAddress(), BigInteger.valueOf(999), "ipfs://req", hash("x")),
        "Agent does not exist");
    assertReverts(
        chain,
        owner.getAddress(),
        validation,
        val(owner).validationRequest(ZERO, agentId, "ipfs://req", hash("x")),
        "bad validator");
    byte[] requestHash = request(validator, "x");
    assertReverts(
        chain,
        owner.getAddress(),
        validation,
        val(owner)
            .validationRequest(otherValidator.getAddress(), agentId, "ipfs://again", requestHash),
        "exists");
  }

  @Test
  void theNamedValidatorRespondsAndMayUpdate() throws Exception {
    byte[] requestHash = request(validator, "quote");
    byte[] reportHash = hash("report");
    TransactionReceipt r =
        Transactions.requireSuccess(
            val(validator)
                .validationResponse(
                    requestHash,
                    BigInteger.valueOf(60),
                    "data:application/json;base64,e30=",
                    reportHash,
                    "soft-finality")
                .send(),
            "respond");

    ValidationRegistry.ValidationResponseEventResponse e =
        ValidationRegistry.getValidationResponseEvents(r).get(0);
    assertEquals(validator.getAddress(), e.validatorAddress);
    assertEquals(agentId, e.agentId);
    assertArrayEquals(requestHash, e.requestHash);
    assertEquals(BigInteger.valueOf(60), e.response);
    assertEquals("data:application/json;base64,e30=", e.responseURI);
    assertArrayEquals(reportHash, e.responseHash);
    assertEquals("soft-finality", e.tag);

    var status = val(owner).getValidationStatus(requestHash).send();
    assertEquals(BigInteger.valueOf(60), status.component3());
    assertArrayEquals(reportHash, status.component4());
    assertEquals("soft-finality", status.component5());
    assertEquals(BigInteger.valueOf(chain.latestTimestamp()), status.component6());

    chain.increaseTime(30);
    respond(validator, requestHash, 100, "tee-attestation");
    status = val(owner).getValidationStatus(requestHash).send();
    assertEquals(BigInteger.valueOf(100), status.component3());
    assertEquals("tee-attestation", status.component5());
    assertEquals(BigInteger.valueOf(chain.latestTimestamp()), status.component6());
    assertEquals(
        expect(1, 100),
        summary(List.of(validator), ""),
        "a request counts once, with its latest answer");
  }

  @Test
  void responsesOnlyFromTheNamedValidatorAndAtMostOneHundred() throws Exception {
    byte[] requestHash = request(validator, "quote");
    assertReverts(
        chain,
        otherValidator.getAddress(),
        validation,
        val(otherValidator)
            .validationResponse(requestHash, BigInteger.valueOf(100), "", NO_HASH, ""),
        "not validator");
    assertReverts(
        chain,
        owner.getAddress(),
        validation,
        val(owner).validationResponse(requestHash, BigInteger.valueOf(100), "", NO_HASH, ""),
        "not validator");
    assertReverts(
        chain,
        validator.getAddress(),
        validation,
        val(validator).validationResponse(requestHash, BigInteger.valueOf(101), "", NO_HASH, ""),
        "resp>100");
    assertReverts(
        chain,
        validator.getAddress(),
        validation,
        val(validator).validationResponse(hash("never"), BigInteger.valueOf(100), "", NO_HASH, ""),
        "unknown");
    respond(validator, requestHash, 0, "");
    assertEquals(expect(1, 0), summary(List.of(), ""));
  }

  @Test
  void statusOfAnUnknownRequestReverts() {
    assertCallReverts(chain, validation, val(owner).getValidationStatus(hash("never")), "unknown");
  }

  @Test
  void summaryFiltersByValidatorsAndTag() throws Exception {
    respond(validator, request(validator, "a"), 100, "tee-attestation");
    respond(validator, request(validator, "b"), 0, "tee-attestation");
    respond(otherValidator, request(otherValidator, "c"), 90, "zkml");
    respond(otherValidator, request(otherValidator, "d"), 45, "tee-attestation");
    request(validator, "pending");

    assertEquals(expect(4, 58), summary(List.of(), ""), "(100+0+90+45)/4 = 58.75 -> 58");
    assertEquals(expect(2, 50), summary(List.of(validator), ""));
    assertEquals(expect(3, 48), summary(List.of(), "tee-attestation"), "(100+0+45)/3 = 48.3 -> 48");
    assertEquals(expect(1, 45), summary(List.of(otherValidator), "tee-attestation"));
    assertEquals(expect(4, 58), summary(List.of(validator, otherValidator), ""));
    assertEquals(expect(0, 0), summary(List.of(stranger), ""));
    assertEquals(5, val(owner).getAgentValidations(agentId).send().size());
    assertEquals(3, val(owner).getValidatorRequests(validator.getAddress()).send().size());
    assertEquals(2, val(owner).getValidatorRequests(otherValidator.getAddress()).send().size());
  }

  @Test
  void boundToTheDeployedIdentityRegistryOnce() throws Exception {
    String identityAddress = chain.deployment().contracts().identityRegistry();
    assertEquals(identityAddress, val(owner).getIdentityRegistry().send());
    assertEquals("2.0.0", val(owner).getVersion().send());
    Credentials deployer = chain.account(DevAccounts.DEPLOYER);
    assertReverts(
        chain,
        deployer.getAddress(),
        validation,
        val(deployer).initialize(identityAddress),
        "already initialized");
    assertReverts(
        chain,
        stranger.getAddress(),
        validation,
        val(stranger).initialize(identityAddress),
        "Not authorized");
  }

  /**
   * getAgentValidations/getValidatorRequests come back as a raw list of byte[]; compare them as
   * hex.
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static List<String> hexes(List raw) {
    return ((List<Object>) raw).stream().map(o -> Numeric.toHexString((byte[]) o)).toList();
  }
}
