package io.attest402.contracts;

import static io.attest402.contracts.testing.Reverts.assertCallReverts;
import static io.attest402.contracts.testing.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.Transactions;
import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.ReputationRegistry;
import io.attest402.contracts.testing.Eip712Signing;
import io.attest402.contracts.testing.Eip712Signing.Domain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.datatypes.Address;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tuples.generated.Tuple3;
import org.web3j.tuples.generated.Tuple5;
import org.web3j.tuples.generated.Tuple7;

/** ERC-8004 Reputation Registry rules against a real chain. */
@ExtendWith(ChainExtension.class)
class ReputationRegistryTest {
  private static final String ZERO = "0x0000000000000000000000000000000000000000";
  private static final byte[] NO_HASH = new byte[32];
  private static final BigInteger MAX_ABS = BigInteger.TEN.pow(38);

  private Chain chain;
  private String snapshot;
  private String reputation;
  private Credentials owner;
  private Credentials clientA;
  private Credentials clientB;
  private Credentials clientC;
  private Credentials sybil;
  private BigInteger agentId;

  @BeforeEach
  void setUp(Chain chain) throws Exception {
    this.chain = chain;
    snapshot = chain.snapshot();
    reputation = chain.deployment().contracts().reputationRegistry();
    owner = chain.account(1);
    clientA = chain.account(4);
    clientB = chain.account(5);
    clientC = chain.account(6);
    sybil = chain.account(7);
    TransactionReceipt r =
        Transactions.requireSuccess(identity(owner).register("ipfs://agent").send(), "register");
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

  private ReputationRegistry rep(Credentials who) {
    return ReputationRegistry.load(reputation, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private TransactionReceipt give(
      Credentials client, long value, int decimals, String tag1, String tag2) throws Exception {
    return Transactions.requireSuccess(
        rep(client)
            .giveFeedback(
                agentId,
                BigInteger.valueOf(value),
                BigInteger.valueOf(decimals),
                tag1,
                tag2,
                "",
                "",
                NO_HASH)
            .send(),
        "giveFeedback");
  }

  private Tuple3<BigInteger, BigInteger, BigInteger> summary(
      List<Credentials> clients, String tag1, String tag2) throws Exception {
    return rep(owner)
        .getSummary(agentId, clients.stream().map(Credentials::getAddress).toList(), tag1, tag2)
        .send();
  }

  private static Tuple3<BigInteger, BigInteger, BigInteger> expect(
      long count, long value, long decimals) {
    return new Tuple3<>(
        BigInteger.valueOf(count), BigInteger.valueOf(value), BigInteger.valueOf(decimals));
  }

  // -------------------------------------------------------------------------------------------------- feedback

  @Test
  void giveFeedbackStoresTheSignalAndEmitsEverything() throws Exception {
    byte[] fileHash = Hash.sha3("{\"proofOfPayment\":{}}".getBytes(StandardCharsets.UTF_8));
    TransactionReceipt r =
        Transactions.requireSuccess(
            rep(clientA)
                .giveFeedback(
                    agentId,
                    BigInteger.valueOf(87),
                    BigInteger.ZERO,
                    "starred",
                    "x402",
                    "https://provider.example/summarize",
                    "ipfs://bafyfeedback",
                    fileHash)
                .send(),
            "giveFeedback");

    ReputationRegistry.NewFeedbackEventResponse e =
        ReputationRegistry.getNewFeedbackEvents(r).get(0);
    assertEquals(agentId, e.agentId);
    assertEquals(clientA.getAddress(), e.clientAddress);
    assertEquals(BigInteger.ONE, e.feedbackIndex);
    assertEquals(BigInteger.valueOf(87), e.value);
    assertEquals(BigInteger.ZERO, e.valueDecimals);
    assertArrayEquals(Hash.sha3("starred".getBytes(StandardCharsets.UTF_8)), e.indexedTag1);
    assertEquals("starred", e.tag1);
    assertEquals("x402", e.tag2);
    assertEquals("https://provider.example/summarize", e.endpoint);
    assertEquals("ipfs://bafyfeedback", e.feedbackURI);
    assertArrayEquals(fileHash, e.feedbackHash);

    assertEquals(
        new Tuple5<>(BigInteger.valueOf(87), BigInteger.ZERO, "starred", "x402", false),
        rep(owner).readFeedback(agentId, clientA.getAddress(), BigInteger.ONE).send());
    assertEquals(BigInteger.ONE, rep(owner).getLastIndex(agentId, clientA.getAddress()).send());
    assertEquals(List.of(clientA.getAddress()), rep(owner).getClients(agentId).send());

    TransactionReceipt second = give(clientA, -5, 1, "tradingYield", "day");
    assertEquals(
        BigInteger.TWO, ReputationRegistry.getNewFeedbackEvents(second).get(0).feedbackIndex);
    assertEquals(BigInteger.TWO, rep(owner).getLastIndex(agentId, clientA.getAddress()).send());
    assertEquals(
        List.of(clientA.getAddress()),
        rep(owner).getClients(agentId).send(),
        "clients listed once");
    assertEquals(BigInteger.ZERO, rep(owner).getLastIndex(agentId, clientB.getAddress()).send());
  }

  @Test
  void theAgentsOwnerAndOperatorsCannotRateIt() throws Exception {
    Credentials operator = chain.account(8);
    Credentials approved = chain.account(9);
    Transactions.requireSuccess(
        identity(owner).setApprovalForAll(operator.getAddress(), true).send(), "operator");
    Transactions.requireSuccess(
        identity(owner).approve(approved.getAddress(), agentId).send(), "approve");
    for (Credentials insider : List.of(owner, operator, approved)) {
      assertReverts(
          chain,
          insider.getAddress(),
          reputation,
          rep(insider)
              .giveFeedback(
                  agentId,
                  BigInteger.valueOf(100),
                  BigInteger.ZERO,
                  "starred",
                  "",
                  "",
                  "",
                  NO_HASH),
          "Self-feedback not allowed");
    }
  }

  @Test
  void theAgentWalletIsNotAnInsider() throws Exception {
    // As in the reference: only owner, operators and the approved address are barred, not a
    // separate agentWallet.
    BigInteger deadline = BigInteger.valueOf(chain.latestTimestamp() + 120);
    Domain domain =
        Domain.identityRegistry(chain.chainId(), chain.deployment().contracts().identityRegistry());
    Transactions.requireSuccess(
        identity(owner)
            .setAgentWallet(
                agentId,
                clientA.getAddress(),
                deadline,
                Eip712Signing.agentWalletSet(
                        agentId, clientA.getAddress(), owner.getAddress(), deadline)
                    .sign(domain, clientA)
                    .bytes())
            .send(),
        "setAgentWallet");
    give(clientA, 1, 0, "reachable", "");
    assertEquals(BigInteger.ONE, rep(owner).getLastIndex(agentId, clientA.getAddress()).send());
  }

  @Test
  void feedbackForAnUnknownAgentIsRejected() {
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA)
            .giveFeedback(
                BigInteger.valueOf(999), BigInteger.ONE, BigInteger.ZERO, "", "", "", "", NO_HASH),
        "Agent does not exist");
  }

  @Test
  void valueDecimalsRangeFromZeroToEighteen() throws Exception {
    give(clientA, 1, 18, "", "");
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA)
            .giveFeedback(agentId, BigInteger.ONE, BigInteger.valueOf(19), "", "", "", "", NO_HASH),
        "too many decimals");
  }

  @Test
  void valueMagnitudeIsAtMostTenToThe38() throws Exception {
    Transactions.requireSuccess(
        rep(clientA)
            .giveFeedback(agentId, MAX_ABS, BigInteger.ZERO, "", "", "", "", NO_HASH)
            .send(),
        "1e38");
    Transactions.requireSuccess(
        rep(clientA)
            .giveFeedback(agentId, MAX_ABS.negate(), BigInteger.ZERO, "", "", "", "", NO_HASH)
            .send(),
        "-1e38");
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA)
            .giveFeedback(
                agentId, MAX_ABS.add(BigInteger.ONE), BigInteger.ZERO, "", "", "", "", NO_HASH),
        "value too large");
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA)
            .giveFeedback(
                agentId,
                MAX_ABS.add(BigInteger.ONE).negate(),
                BigInteger.ZERO,
                "",
                "",
                "",
                "",
                NO_HASH),
        "value too large");
  }

  // ------------------------------------------------------------------------------------------------- revocation

  @Test
  void clientsRevokeTheirOwnFeedbackOnce() throws Exception {
    give(clientA, 40, 0, "starred", "");
    TransactionReceipt r =
        Transactions.requireSuccess(
            rep(clientA).revokeFeedback(agentId, BigInteger.ONE).send(), "revoke");
    ReputationRegistry.FeedbackRevokedEventResponse e =
        ReputationRegistry.getFeedbackRevokedEvents(r).get(0);
    assertEquals(agentId, e.agentId);
    assertEquals(clientA.getAddress(), e.clientAddress);
    assertEquals(BigInteger.ONE, e.feedbackIndex);
    assertEquals(
        true,
        rep(owner).readFeedback(agentId, clientA.getAddress(), BigInteger.ONE).send().component5());

    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA).revokeFeedback(agentId, BigInteger.ONE),
        "Already revoked");
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA).revokeFeedback(agentId, BigInteger.ZERO),
        "index must be > 0");
    assertReverts(
        chain,
        clientA.getAddress(),
        reputation,
        rep(clientA).revokeFeedback(agentId, BigInteger.TWO),
        "index out of bounds");
    // Nobody else can revoke it: their own index space is empty.
    assertReverts(
        chain,
        clientB.getAddress(),
        reputation,
        rep(clientB).revokeFeedback(agentId, BigInteger.ONE),
        "index out of bounds");
  }

  @Test
  void readFeedbackChecksTheIndex() throws Exception {
    give(clientA, 1, 0, "", "");
    assertCallReverts(
        chain,
        reputation,
        rep(owner).readFeedback(agentId, clientA.getAddress(), BigInteger.ZERO),
        "index must be > 0");
    assertCallReverts(
        chain,
        reputation,
        rep(owner).readFeedback(agentId, clientA.getAddress(), BigInteger.TWO),
        "index out of bounds");
  }

  // -------------------------------------------------------------------------------------------------- responses

  @Test
  void anyoneAppendsResponsesAndTheyAreCounted() throws Exception {
    give(clientA, 10, 0, "starred", "");
    give(clientA, 20, 0, "starred", "");
    give(clientB, 30, 0, "starred", "");
    byte[] refundHash = Hash.sha3("refund".getBytes(StandardCharsets.UTF_8));

    TransactionReceipt r =
        Transactions.requireSuccess(
            rep(owner)
                .appendResponse(
                    agentId, clientA.getAddress(), BigInteger.ONE, "ipfs://refund", refundHash)
                .send(),
            "respond");
    ReputationRegistry.ResponseAppendedEventResponse e =
        ReputationRegistry.getResponseAppendedEvents(r).get(0);
    assertEquals(agentId, e.agentId);
    assertEquals(clientA.getAddress(), e.clientAddress);
    assertEquals(BigInteger.ONE, e.feedbackIndex);
    assertEquals(owner.getAddress(), e.responder);
    assertEquals("ipfs://refund", e.responseURI);
    assertArrayEquals(refundHash, e.responseHash);

    Transactions.requireSuccess(
        rep(owner)
            .appendResponse(
                agentId, clientA.getAddress(), BigInteger.ONE, "ipfs://refund-2", NO_HASH)
            .send(),
        "respond again");
    Transactions.requireSuccess(
        rep(sybil)
            .appendResponse(
                agentId, clientA.getAddress(), BigInteger.ONE, "ipfs://spam-tag", NO_HASH)
            .send(),
        "aggregator");
    Transactions.requireSuccess(
        rep(sybil)
            .appendResponse(
                agentId, clientA.getAddress(), BigInteger.TWO, "ipfs://spam-tag", NO_HASH)
            .send(),
        "aggregator");
    Transactions.requireSuccess(
        rep(sybil)
            .appendResponse(
                agentId, clientB.getAddress(), BigInteger.ONE, "ipfs://spam-tag", NO_HASH)
            .send(),
        "aggregator");

    ReputationRegistry view = rep(owner);
    assertEquals(
        BigInteger.valueOf(3),
        view.getResponseCount(agentId, clientA.getAddress(), BigInteger.ONE, List.of()).send());
    assertEquals(
        BigInteger.TWO,
        view.getResponseCount(
                agentId, clientA.getAddress(), BigInteger.ONE, List.of(owner.getAddress()))
            .send());
    assertEquals(
        BigInteger.valueOf(4),
        view.getResponseCount(agentId, clientA.getAddress(), BigInteger.ZERO, List.of()).send(),
        "all of A");
    assertEquals(
        BigInteger.valueOf(5),
        view.getResponseCount(agentId, ZERO, BigInteger.ZERO, List.of()).send(),
        "all clients");
    assertEquals(
        BigInteger.valueOf(3),
        view.getResponseCount(agentId, ZERO, BigInteger.ZERO, List.of(sybil.getAddress())).send());
    assertEquals(
        BigInteger.ZERO,
        view.getResponseCount(
                agentId, clientB.getAddress(), BigInteger.ONE, List.of(owner.getAddress()))
            .send());
  }

  @Test
  void responsesNeedAUriAndExistingFeedbackButMayAnswerRevokedFeedback() throws Exception {
    give(clientA, 10, 0, "", "");
    Transactions.requireSuccess(
        rep(clientA).revokeFeedback(agentId, BigInteger.ONE).send(), "revoke");
    Transactions.requireSuccess(
        rep(owner)
            .appendResponse(agentId, clientA.getAddress(), BigInteger.ONE, "ipfs://answer", NO_HASH)
            .send(),
        "response to revoked feedback");

    assertReverts(
        chain,
        owner.getAddress(),
        reputation,
        rep(owner).appendResponse(agentId, clientA.getAddress(), BigInteger.ONE, "", NO_HASH),
        "Empty URI");
    assertReverts(
        chain,
        owner.getAddress(),
        reputation,
        rep(owner)
            .appendResponse(agentId, clientA.getAddress(), BigInteger.ZERO, "ipfs://x", NO_HASH),
        "index must be > 0");
    assertReverts(
        chain,
        owner.getAddress(),
        reputation,
        rep(owner)
            .appendResponse(agentId, clientA.getAddress(), BigInteger.TWO, "ipfs://x", NO_HASH),
        "index out of bounds");
    assertReverts(
        chain,
        owner.getAddress(),
        reputation,
        rep(owner)
            .appendResponse(agentId, clientB.getAddress(), BigInteger.ONE, "ipfs://x", NO_HASH),
        "index out of bounds");
  }

  // -------------------------------------------------------------------------------------------------- summaries

  @Test
  void summaryFiltersByClientsAndTagsAndUsesTheMostFrequentDecimals() throws Exception {
    give(clientA, 80, 0, "starred", "x402");
    give(clientB, 9000, 2, "starred", "");
    give(clientC, 8500, 2, "starred", "");
    give(clientC, 9977, 2, "uptime", "");
    give(sybil, -100, 0, "starred", "");

    // Trusted clients only: (80 + 90.00 + 85.00) / 3 in the majority scale (2 decimals).
    assertEquals(expect(3, 8500, 2), summary(List.of(clientA, clientB, clientC), "starred", ""));
    // The Sybil drags it down; decimals tie 2:2, the fewer decimals win; 38.75 truncates to 38.
    assertEquals(
        expect(4, 38, 0), summary(List.of(clientA, clientB, clientC, sybil), "starred", ""));
    assertEquals(expect(1, 80, 0), summary(List.of(clientA), "", ""));
    // No tag filter: both of C's entries, (85.00 + 99.77) / 2 = 92.385 -> 92.38.
    assertEquals(expect(2, 9238, 2), summary(List.of(clientC), "", ""));
    assertEquals(expect(1, 9977, 2), summary(List.of(clientA, clientB, clientC), "uptime", ""));
    assertEquals(expect(1, 80, 0), summary(List.of(clientA, clientB, clientC), "", "x402"));
    assertEquals(expect(0, 0, 0), summary(List.of(clientA, clientB), "uptime", ""));
    assertEquals(expect(0, 0, 0), summary(List.of(chain.account(9)), "", ""));

    // Revoked feedback leaves the summary: (80 + 85.00) / 2 = 82.5, decimals tie 1:1 -> 0 decimals
    // -> 82.
    Transactions.requireSuccess(
        rep(clientB).revokeFeedback(agentId, BigInteger.ONE).send(), "revoke");
    assertEquals(expect(2, 82, 0), summary(List.of(clientA, clientB, clientC), "starred", ""));
  }

  @Test
  void negativeAveragesTruncateTowardZero() throws Exception {
    give(sybil, -3, 0, "tradingYield", "day");
    give(sybil, -4, 0, "tradingYield", "day");
    assertEquals(expect(2, -3, 0), summary(List.of(sybil), "tradingYield", "day"));
  }

  @Test
  void summaryRequiresAClientList() {
    assertCallReverts(
        chain,
        reputation,
        rep(owner).getSummary(agentId, List.of(), "", ""),
        "clientAddresses required");
  }

  @Test
  void readAllFeedbackFilters() throws Exception {
    give(clientA, 80, 0, "starred", "x402");
    give(clientB, 9000, 2, "starred", "");
    give(clientA, 1, 0, "reachable", "");
    Transactions.requireSuccess(
        rep(clientB).revokeFeedback(agentId, BigInteger.ONE).send(), "revoke");

    Tuple7<
            List<String>,
            List<BigInteger>,
            List<BigInteger>,
            List<BigInteger>,
            List<String>,
            List<String>,
            List<Boolean>>
        all = rep(owner).readAllFeedback(agentId, List.of(), "", "", false).send();
    assertEquals(List.of(clientA.getAddress(), clientA.getAddress()), all.component1());
    assertEquals(List.of(BigInteger.ONE, BigInteger.TWO), all.component2());
    assertEquals(List.of(BigInteger.valueOf(80), BigInteger.ONE), all.component3());
    assertEquals(List.of(BigInteger.ZERO, BigInteger.ZERO), all.component4());
    assertEquals(List.of("starred", "reachable"), all.component5());
    assertEquals(List.of("x402", ""), all.component6());
    assertEquals(List.of(false, false), all.component7());

    var withRevoked = rep(owner).readAllFeedback(agentId, List.of(), "", "", true).send();
    assertEquals(
        List.of(clientA.getAddress(), clientA.getAddress(), clientB.getAddress()),
        withRevoked.component1());
    assertEquals(List.of(false, false, true), withRevoked.component7());
    assertEquals(BigInteger.TWO, withRevoked.component4().get(2));

    var onlyB =
        rep(owner).readAllFeedback(agentId, List.of(clientB.getAddress()), "", "", true).send();
    assertEquals(List.of(BigInteger.valueOf(9000)), onlyB.component3());

    var starred = rep(owner).readAllFeedback(agentId, List.of(), "starred", "", true).send();
    assertEquals(List.of(clientA.getAddress(), clientB.getAddress()), starred.component1());
    var x402 = rep(owner).readAllFeedback(agentId, List.of(), "", "x402", true).send();
    assertEquals(List.of(BigInteger.ONE), x402.component2());
    assertEquals(
        List.of(clientA.getAddress(), clientB.getAddress()), rep(owner).getClients(agentId).send());
  }

  // ------------------------------------------------------------------------------------------------- identity

  @Test
  void boundToTheDeployedIdentityRegistryOnce() throws Exception {
    String identityAddress = chain.deployment().contracts().identityRegistry();
    assertEquals(identityAddress, rep(owner).getIdentityRegistry().send());
    assertEquals("2.0.0", rep(owner).getVersion().send());
    Credentials deployer = chain.account(DevAccounts.DEPLOYER);
    assertReverts(
        chain,
        deployer.getAddress(),
        reputation,
        rep(deployer).initialize(identityAddress),
        "already initialized");
    assertReverts(
        chain,
        owner.getAddress(),
        reputation,
        rep(owner).initialize(identityAddress),
        "Not authorized");
  }

  @Test
  void deployThenInitialize() throws Exception {
    Credentials deployer = chain.account(DevAccounts.DEPLOYER);
    String identityAddress = chain.deployment().contracts().identityRegistry();
    String fresh =
        new Deployer(chain.web3j(), deployer, chain.chainId())
            .deployContract(ContractArtifact.REPUTATION_REGISTRY, new Address(ZERO));
    ReputationRegistry asDeployer =
        ReputationRegistry.load(fresh, chain.web3j(), chain.txManager(deployer), chain.gas());
    ReputationRegistry asClient =
        ReputationRegistry.load(fresh, chain.web3j(), chain.txManager(clientA), chain.gas());
    assertEquals(ZERO, asDeployer.getIdentityRegistry().send());
    assertReverts(
        chain,
        clientA.getAddress(),
        fresh,
        asClient.giveFeedback(agentId, BigInteger.ONE, BigInteger.ZERO, "", "", "", "", NO_HASH),
        "not initialized");
    assertReverts(
        chain, clientA.getAddress(), fresh, asClient.initialize(identityAddress), "Not authorized");
    assertReverts(chain, deployer.getAddress(), fresh, asDeployer.initialize(ZERO), "bad identity");

    Transactions.requireSuccess(asDeployer.initialize(identityAddress).send(), "initialize");
    assertEquals(identityAddress, asDeployer.getIdentityRegistry().send());
    assertReverts(
        chain,
        deployer.getAddress(),
        fresh,
        asDeployer.initialize(identityAddress),
        "already initialized");
    Transactions.requireSuccess(
        asClient
            .giveFeedback(agentId, BigInteger.ONE, BigInteger.ZERO, "", "", "", "", NO_HASH)
            .send(),
        "feedback after initialize");
  }
}
