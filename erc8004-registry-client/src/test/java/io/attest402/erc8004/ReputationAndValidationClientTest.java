package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.ReputationRegistryClient.NewFeedback;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

@ExtendWith(ChainExtension.class)
class ReputationAndValidationClientTest {

  @Test
  void feedbackLifecycle(Chain chain) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    Erc8004Client alice = IdentityRegistryClientTest.client(chain, chain.account(2));
    Erc8004Client bob = IdentityRegistryClientTest.client(chain, chain.account(3));
    BigInteger id = owner.identity().register("https://a.example/r.json").agentId();

    byte[] hash = Hash.sha3("file".getBytes(StandardCharsets.UTF_8));
    FeedbackEvent a1 =
        alice
            .reputation()
            .giveFeedback(
                new NewFeedback(
                    id,
                    BigInteger.valueOf(80),
                    0,
                    "starred",
                    "x402",
                    "https://a.example/api",
                    "https://files.example/f1.json",
                    hash));
    assertEquals(1, a1.index());
    assertEquals("https://files.example/f1.json", a1.feedbackURI());
    assertEquals(Numeric.toHexString(hash), a1.feedbackHash());
    FeedbackEvent a2 =
        alice
            .reputation()
            .giveFeedback(
                new NewFeedback(id, BigInteger.valueOf(9977), 2, "uptime", "", "", "", null));
    assertEquals(2, a2.index());
    bob.reputation()
        .giveFeedback(new NewFeedback(id, BigInteger.valueOf(-40), 0, "starred", "", "", "", null));

    assertEquals(2, alice.reputation().getLastIndex(id, chain.account(2).getAddress()));
    assertEquals(
        List.of(chain.account(2).getAddress(), chain.account(3).getAddress()),
        alice.reputation().getClients(id).stream().map(String::toLowerCase).toList());
    Feedback read = alice.reputation().readFeedback(id, chain.account(2).getAddress(), 2);
    assertEquals(new BigDecimal("99.77"), read.decimalValue());
    assertEquals("uptime", read.tag1());

    FeedbackSummary starred =
        alice
            .reputation()
            .getSummary(
                id,
                List.of(chain.account(2).getAddress(), chain.account(3).getAddress()),
                "starred",
                "");
    assertEquals(2, starred.count());
    assertEquals(BigInteger.valueOf(20), starred.value());
    FeedbackSummary aliceOnly =
        alice.reputation().getSummary(id, List.of(chain.account(2).getAddress()), "", "");
    assertEquals(2, aliceOnly.count());
    // (80 + 99.77) / 2 = 89.885, in the mode of the decimals (tie 0 vs 2: fewer decimals) -> 89
    assertEquals(BigInteger.valueOf(89), aliceOnly.value());
    assertEquals(0, aliceOnly.valueDecimals());
    assertEquals(3, alice.reputation().readAllFeedback(id, List.of(), "", "", false).size());

    RevertException noClients =
        assertThrows(
            RevertException.class, () -> alice.reputation().getSummary(id, List.of(), "", ""));
    assertEquals(RevertException.Kind.CLIENTS_REQUIRED, noClients.kind());
    RevertException self =
        assertThrows(
            RevertException.class,
            () -> owner.reputation().giveFeedback(NewFeedback.of(id, 100, 0)));
    assertEquals(RevertException.Kind.SELF_FEEDBACK, self.kind());
    RevertException decimals =
        assertThrows(
            RevertException.class,
            () -> alice.reputation().giveFeedback(NewFeedback.of(id, 1, 19)));
    assertEquals(RevertException.Kind.TOO_MANY_DECIMALS, decimals.kind());
    RevertException tooLarge =
        assertThrows(
            RevertException.class,
            () ->
                alice
                    .reputation()
                    .giveFeedback(
                        new NewFeedback(
                            id,
                            BigInteger.TEN.pow(38).add(BigInteger.ONE),
                            0,
                            "",
                            "",
                            "",
                            "",
                            null)));
    assertEquals(RevertException.Kind.VALUE_TOO_LARGE, tooLarge.kind());
    RevertException noAgent =
        assertThrows(
            RevertException.class,
            () -> alice.reputation().giveFeedback(NewFeedback.of(BigInteger.valueOf(12345), 1, 0)));
    assertEquals(RevertException.Kind.AGENT_NOT_FOUND, noAgent.kind());

    alice.reputation().revokeFeedback(id, 1);
    assertTrue(alice.reputation().readFeedback(id, chain.account(2).getAddress(), 1).revoked());
    assertEquals(
        RevertException.Kind.ALREADY_REVOKED,
        assertThrows(RevertException.class, () -> alice.reputation().revokeFeedback(id, 1)).kind());
    assertEquals(
        RevertException.Kind.BAD_FEEDBACK_INDEX,
        assertThrows(RevertException.class, () -> alice.reputation().revokeFeedback(id, 7)).kind());
    assertEquals(2, alice.reputation().readAllFeedback(id, List.of(), "", "", false).size());
    assertEquals(3, alice.reputation().readAllFeedback(id, List.of(), "", "", true).size());

    owner
        .reputation()
        .appendResponse(
            id, chain.account(2).getAddress(), 1, "https://a.example/refund.json", null);
    owner
        .reputation()
        .appendResponse(
            id, chain.account(2).getAddress(), 1, "https://a.example/refund2.json", null);
    bob.reputation().appendResponse(id, chain.account(2).getAddress(), 2, "ipfs://spam", null);
    assertEquals(3, owner.reputation().getResponseCount(id, null, 0, List.of()));
    assertEquals(
        2, owner.reputation().getResponseCount(id, chain.account(2).getAddress(), 1, List.of()));
    assertEquals(
        1,
        owner
            .reputation()
            .getResponseCount(
                id, chain.account(2).getAddress(), 0, List.of(chain.account(3).getAddress())));
    assertEquals(
        RevertException.Kind.EMPTY_URI,
        assertThrows(
                RevertException.class,
                () ->
                    owner
                        .reputation()
                        .appendResponse(id, chain.account(2).getAddress(), 1, "", null))
            .kind());
    assertEquals(
        chain.deployment().contracts().identityRegistry().toLowerCase(),
        owner.reputation().getIdentityRegistry().toLowerCase());

    List<FeedbackEvent> events =
        owner
            .reputation()
            .feedbackEvents(
                id, 0, chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact());
    assertEquals(3, events.size());
    assertEquals("https://a.example/api", events.get(0).endpoint());
  }

  @Test
  void validationLifecycle(Chain chain) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    Erc8004Client validator = IdentityRegistryClientTest.client(chain, chain.account(3));
    Erc8004Client other = IdentityRegistryClientTest.client(chain, chain.account(4));
    BigInteger id = owner.identity().register("https://a.example/v.json").agentId();
    String v = chain.account(3).getAddress();
    byte[] payload = "{\"check\":\"tee\"}".getBytes(StandardCharsets.UTF_8);
    byte[] h = ValidationRegistryClient.commitment(payload);
    ValidationRegistryClient.Request req =
        owner.validation().validationRequest(v, id, "data:,x", h);
    assertEquals(Numeric.toHexString(h), req.requestHash());
    assertEquals(
        RevertException.Kind.REQUEST_EXISTS,
        assertThrows(
                RevertException.class,
                () -> owner.validation().validationRequest(v, id, "data:,x", h))
            .kind());
    assertEquals(
        RevertException.Kind.NOT_AUTHORIZED,
        assertThrows(
                RevertException.class,
                () -> other.validation().validationRequest(v, id, "data:,y", new byte[32]))
            .kind());
    assertEquals(
        RevertException.Kind.BAD_VALIDATOR,
        assertThrows(
                RevertException.class,
                () ->
                    owner
                        .validation()
                        .validationRequest(
                            "0x0000000000000000000000000000000000000000",
                            id,
                            "u",
                            Hash.sha3(new byte[] {1})))
            .kind());

    ValidationStatus before = owner.validation().getValidationStatus(h);
    assertEquals(0, before.response());
    assertEquals("", before.tag());
    assertEquals(
        RevertException.Kind.NOT_VALIDATOR,
        assertThrows(
                RevertException.class,
                () -> other.validation().validationResponse(h, 100, "", null, "tee-attestation"))
            .kind());
    assertEquals(
        RevertException.Kind.RESPONSE_OUT_OF_RANGE,
        assertThrows(
                RevertException.class,
                () ->
                    validator.validation().validationResponse(h, 101, "", null, "tee-attestation"))
            .kind());
    ValidationRegistryClient.Response resp =
        validator
            .validation()
            .validationResponse(h, 100, "data:,ok", Hash.sha3(new byte[] {2}), "tee-attestation");
    assertEquals(100, resp.response());
    ValidationStatus after = owner.validation().getValidationStatus(h);
    assertEquals(100, after.response());
    assertEquals("tee-attestation", after.tag());
    assertEquals(v, after.validator().toLowerCase());

    byte[] h2 = Hash.sha3(new byte[] {3});
    owner.validation().validationRequest(v, id, "data:,z", h2);
    validator.validation().validationResponse(h2, 0, "", null, "tee-attestation");
    assertEquals(
        new ValidationSummary(2, 50),
        owner.validation().getSummary(id, List.of(v), "tee-attestation"));
    assertEquals(
        new ValidationSummary(0, 0),
        owner.validation().getSummary(id, List.of(chain.account(4).getAddress()), ""));
    assertEquals(
        List.of(Numeric.toHexString(h), Numeric.toHexString(h2)),
        owner.validation().getAgentValidations(id));
    assertTrue(owner.validation().getValidatorRequests(v).contains(Numeric.toHexString(h2)));
    assertEquals(
        RevertException.Kind.UNKNOWN_REQUEST,
        assertThrows(
                RevertException.class,
                () -> owner.validation().getValidationStatus(Hash.sha3(new byte[] {9})))
            .kind());
    long head = chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
    assertEquals(2, owner.validation().requestEvents(v, 0, head).size());
    assertEquals(1, owner.validation().responseEvents(Numeric.toHexString(h), 0, head).size());
  }
}
