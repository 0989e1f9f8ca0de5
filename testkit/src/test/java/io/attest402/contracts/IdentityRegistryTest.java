package io.attest402.contracts;

import static io.attest402.contracts.testing.Reverts.assertReverts;
import static io.attest402.contracts.testing.Reverts.assertTransactionReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Transactions;
import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.IdentityRegistry.MetadataEntry;
import io.attest402.contracts.generated.TestSmartWallet;
import io.attest402.contracts.testing.Eip712Signing;
import io.attest402.contracts.testing.Eip712Signing.Domain;
import io.attest402.contracts.testing.Eip712Signing.Signature;
import io.attest402.contracts.testing.Reverts;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Event;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/** ERC-8004 Identity Registry rules against a real chain. */
@ExtendWith(ChainExtension.class)
class IdentityRegistryTest {
  private static final String ZERO = "0x0000000000000000000000000000000000000000";
  private static final String URI = "https://provider.example/.well-known/agent-registration.json";

  private Chain chain;
  private String snapshot;
  private String registry;
  private Domain domain;
  private Credentials owner;
  private Credentials stranger;
  private Credentials newWallet;

  @BeforeEach
  void setUp(Chain chain) {
    this.chain = chain;
    snapshot = chain.snapshot();
    registry = chain.deployment().contracts().identityRegistry();
    domain = Domain.identityRegistry(chain.chainId(), registry);
    owner = chain.account(1);
    stranger = chain.account(6);
    newWallet = chain.account(5);
  }

  @AfterEach
  void tearDown() {
    chain.revert(snapshot);
  }

  private IdentityRegistry identity(Credentials who) {
    return IdentityRegistry.load(registry, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private BigInteger register(Credentials who) throws Exception {
    TransactionReceipt r =
        Transactions.requireSuccess(identity(who).register(URI).send(), "register");
    return IdentityRegistry.getRegisteredEvents(r).get(0).agentId;
  }

  private static List<String> topics0(TransactionReceipt r) {
    return r.getLogs().stream().map(l -> l.getTopics().get(0)).toList();
  }

  private static String topic(Event e) {
    return EventEncoder.encode(e);
  }

  private BigInteger deadlineIn(long seconds) {
    return BigInteger.valueOf(chain.latestTimestamp() + seconds);
  }

  // ----------------------------------------------------------------------------------------------
  // registration

  @Test
  void erc721IdentityAndEip712Domain() throws Exception {
    IdentityRegistry id = identity(owner);
    assertEquals("AgentIdentity", id.name().send());
    assertEquals("AGENT", id.symbol().send());
    assertEquals("2.0.0", id.getVersion().send());
    var d = id.eip712Domain().send();
    assertEquals("ERC8004IdentityRegistry", d.component2());
    assertEquals("1", d.component3());
    assertEquals(BigInteger.valueOf(chain.chainId()), d.component4());
    assertEquals(registry.toLowerCase(), d.component5().toLowerCase());
    // ERC-165 ids as EIP-721 and EIP-4906 define them (interface ids, not selectors).
    assertTrue(id.supportsInterface(Numeric.hexStringToByteArray("0x80ac58cd")).send(), "ERC-721");
    assertTrue(id.supportsInterface(Numeric.hexStringToByteArray("0x49064906")).send(), "ERC-4906");
  }

  @Test
  void registerWithUriMintsSequentialIdsFromZeroAndDefaultsTheWalletToTheOwner() throws Exception {
    IdentityRegistry id = identity(owner);
    TransactionReceipt r = Transactions.requireSuccess(id.register(URI).send(), "register");

    IdentityRegistry.RegisteredEventResponse reg = IdentityRegistry.getRegisteredEvents(r).get(0);
    assertEquals(BigInteger.ZERO, reg.agentId, "the reference's ids start at 0");
    assertEquals(URI, reg.agentURI);
    assertEquals(owner.getAddress(), reg.owner);
    assertEquals(owner.getAddress(), id.ownerOf(reg.agentId).send());
    assertEquals(URI, id.tokenURI(reg.agentId).send());
    assertEquals(owner.getAddress(), id.getAgentWallet(reg.agentId).send());
    assertArrayEquals(
        Numeric.hexStringToByteArray(owner.getAddress()),
        id.getMetadata(reg.agentId, "agentWallet").send(),
        "agentWallet metadata is the 20 packed address bytes");

    // One Transfer (mint), the agentWallet MetadataSet, the ERC-4906 MetadataUpdate, then
    // Registered.
    assertEquals(
        List.of(
            topic(IdentityRegistry.TRANSFER_EVENT),
            topic(IdentityRegistry.METADATASET_EVENT),
            topic(IdentityRegistry.METADATAUPDATE_EVENT),
            topic(IdentityRegistry.REGISTERED_EVENT)),
        topics0(r));
    IdentityRegistry.MetadataSetEventResponse walletSet =
        IdentityRegistry.getMetadataSetEvents(r).get(0);
    assertEquals("agentWallet", walletSet.metadataKey);
    assertArrayEquals(
        Hash.sha3("agentWallet".getBytes(StandardCharsets.UTF_8)), walletSet.indexedMetadataKey);
    assertArrayEquals(Numeric.hexStringToByteArray(owner.getAddress()), walletSet.metadataValue);

    assertEquals(BigInteger.ONE, register(stranger));
  }

  @Test
  void registerWithoutUri() throws Exception {
    IdentityRegistry id = identity(owner);
    TransactionReceipt r = Transactions.requireSuccess(id.register().send(), "register()");
    IdentityRegistry.RegisteredEventResponse reg = IdentityRegistry.getRegisteredEvents(r).get(0);
    assertEquals("", reg.agentURI);
    assertEquals("", id.tokenURI(reg.agentId).send());
    assertEquals(owner.getAddress(), id.getAgentWallet(reg.agentId).send());
    assertEquals(
        List.of(
            topic(IdentityRegistry.TRANSFER_EVENT),
            topic(IdentityRegistry.METADATASET_EVENT),
            topic(IdentityRegistry.REGISTERED_EVENT)),
        topics0(r));

    TransactionReceipt u =
        Transactions.requireSuccess(id.setAgentURI(reg.agentId, URI).send(), "setAgentURI");
    assertEquals(URI, id.tokenURI(reg.agentId).send());
    IdentityRegistry.URIUpdatedEventResponse updated =
        IdentityRegistry.getURIUpdatedEvents(u).get(0);
    assertEquals(URI, updated.newURI);
    assertEquals(owner.getAddress(), updated.updatedBy);
  }

  @Test
  void registerWithMetadataStoresEachEntry() throws Exception {
    IdentityRegistry id = identity(owner);
    byte[] appId = "rofl1qz".getBytes(StandardCharsets.UTF_8);
    TransactionReceipt r =
        Transactions.requireSuccess(
            id.register(
                    URI,
                    List.of(
                        new MetadataEntry("tee.appId", appId),
                        new MetadataEntry("region", new byte[] {1, 2})))
                .send(),
            "register");
    BigInteger agentId = IdentityRegistry.getRegisteredEvents(r).get(0).agentId;
    assertArrayEquals(appId, id.getMetadata(agentId, "tee.appId").send());
    assertArrayEquals(new byte[] {1, 2}, id.getMetadata(agentId, "region").send());
    assertArrayEquals(new byte[0], id.getMetadata(agentId, "absent").send());
    List<IdentityRegistry.MetadataSetEventResponse> sets = IdentityRegistry.getMetadataSetEvents(r);
    assertEquals(
        List.of("agentWallet", "tee.appId", "region"),
        sets.stream().map(s -> s.metadataKey).toList());
    assertEquals(owner.getAddress(), id.getAgentWallet(agentId).send());
  }

  @Test
  void registerCannotSetTheReservedAgentWalletKey() {
    IdentityRegistry id = identity(owner);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        id.register(
            URI,
            List.of(
                new MetadataEntry(
                    "agentWallet", Numeric.hexStringToByteArray(stranger.getAddress())))),
        "reserved key");
  }

  @Test
  void registeringFromAContractThatCannotHoldTokensFails() throws Exception {
    Credentials walletOwner = chain.account(7);
    TestSmartWallet wallet =
        TestSmartWallet.deploy(
                chain.web3j(), chain.txManager(walletOwner), chain.gas(), walletOwner.getAddress())
            .send();
    String registerCall = identity(walletOwner).register(URI).encodeFunctionCall();
    // TestSmartWallet has no onERC721Received: the safe-mint check rejects it, as _safeMint would.
    assertReverts(
        chain,
        walletOwner.getAddress(),
        wallet.getContractAddress(),
        wallet.execute(registry, Numeric.hexStringToByteArray(registerCall)),
        "ERC721InvalidReceiver(" + wallet.getContractAddress() + ")");
  }

  // ---------------------------------------------------------------------------------------
  // agentURI and metadata

  @Test
  void onlyOwnerOrOperatorsUpdateTheUriAndMetadata() throws Exception {
    BigInteger agentId = register(owner);
    assertReverts(
        chain,
        stranger.getAddress(),
        registry,
        identity(stranger).setAgentURI(agentId, "ipfs://x"),
        "Not authorized");
    assertReverts(
        chain,
        stranger.getAddress(),
        registry,
        identity(stranger).setMetadata(agentId, "k", new byte[] {1}),
        "Not authorized");

    Credentials operator = chain.account(8);
    Transactions.requireSuccess(
        identity(owner).setApprovalForAll(operator.getAddress(), true).send(), "operator");
    Transactions.requireSuccess(
        identity(operator).setAgentURI(agentId, "ipfs://bafy").send(), "operator sets URI");
    TransactionReceipt m =
        Transactions.requireSuccess(
            identity(operator).setMetadata(agentId, "k", new byte[] {7}).send(),
            "operator sets metadata");
    assertEquals("ipfs://bafy", identity(owner).tokenURI(agentId).send());
    assertArrayEquals(new byte[] {7}, identity(owner).getMetadata(agentId, "k").send());
    IdentityRegistry.MetadataSetEventResponse set = IdentityRegistry.getMetadataSetEvents(m).get(0);
    assertEquals("k", set.metadataKey);
    assertArrayEquals(new byte[] {7}, set.metadataValue);

    Credentials approved = chain.account(9);
    Transactions.requireSuccess(
        identity(owner).approve(approved.getAddress(), agentId).send(), "approve");
    Transactions.requireSuccess(
        identity(approved).setAgentURI(agentId, URI).send(), "approved sets URI");
  }

  @Test
  void setMetadataRejectsTheReservedKey() throws Exception {
    BigInteger agentId = register(owner);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner)
            .setMetadata(
                agentId, "agentWallet", Numeric.hexStringToByteArray(stranger.getAddress())),
        "reserved key");
    assertEquals(owner.getAddress(), identity(owner).getAgentWallet(agentId).send());
  }

  @Test
  void unknownAgentsAreReportedAsNonexistentTokens() {
    BigInteger unknown = BigInteger.valueOf(4242);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner).setAgentURI(unknown, URI),
        "ERC721NonexistentToken(4242)");
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner).setMetadata(unknown, "k", new byte[0]),
        "ERC721NonexistentToken(4242)");
    Reverts.assertCallReverts(
        chain,
        registry,
        identity(owner).isAuthorizedOrOwner(owner.getAddress(), unknown),
        "ERC721NonexistentToken(4242)");
  }

  @Test
  void isAuthorizedOrOwnerCoversOwnerOperatorAndApproved() throws Exception {
    BigInteger agentId = register(owner);
    IdentityRegistry id = identity(owner);
    Credentials operator = chain.account(8);
    Credentials approved = chain.account(9);
    assertTrue(id.isAuthorizedOrOwner(owner.getAddress(), agentId).send());
    assertFalse(id.isAuthorizedOrOwner(operator.getAddress(), agentId).send());
    Transactions.requireSuccess(
        id.setApprovalForAll(operator.getAddress(), true).send(), "operator");
    Transactions.requireSuccess(id.approve(approved.getAddress(), agentId).send(), "approve");
    assertTrue(id.isAuthorizedOrOwner(operator.getAddress(), agentId).send());
    assertTrue(id.isAuthorizedOrOwner(approved.getAddress(), agentId).send());
    assertFalse(id.isAuthorizedOrOwner(stranger.getAddress(), agentId).send());
  }

  // ------------------------------------------------------------------------------------------------ agentWallet

  @Test
  void setAgentWalletWithTheNewWalletsEoaSignature() throws Exception {
    BigInteger agentId = register(owner);
    BigInteger deadline = deadlineIn(120);
    Signature sig =
        Eip712Signing.agentWalletSet(agentId, newWallet.getAddress(), owner.getAddress(), deadline)
            .sign(domain, newWallet);

    TransactionReceipt r =
        Transactions.requireSuccess(
            identity(owner)
                .setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes())
                .send(),
            "setAgentWallet");

    assertEquals(newWallet.getAddress(), identity(owner).getAgentWallet(agentId).send());
    assertArrayEquals(
        Numeric.hexStringToByteArray(newWallet.getAddress()),
        identity(owner).getMetadata(agentId, "agentWallet").send());
    IdentityRegistry.MetadataSetEventResponse set = IdentityRegistry.getMetadataSetEvents(r).get(0);
    assertEquals("agentWallet", set.metadataKey);
    assertArrayEquals(Numeric.hexStringToByteArray(newWallet.getAddress()), set.metadataValue);
  }

  @Test
  void setAgentWalletWithAnErc1271ContractWallet() throws Exception {
    BigInteger agentId = register(owner);
    Credentials walletOwner = chain.account(7);
    TestSmartWallet wallet =
        TestSmartWallet.deploy(
                chain.web3j(), chain.txManager(walletOwner), chain.gas(), walletOwner.getAddress())
            .send();
    String walletAddress = wallet.getContractAddress();
    BigInteger deadline = deadlineIn(120);
    var consent =
        Eip712Signing.agentWalletSet(agentId, walletAddress, owner.getAddress(), deadline);

    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner)
            .setAgentWallet(
                agentId, walletAddress, deadline, consent.sign(domain, stranger).bytes()),
        "invalid wallet sig");

    Transactions.requireSuccess(
        identity(owner)
            .setAgentWallet(
                agentId, walletAddress, deadline, consent.sign(domain, walletOwner).bytes())
            .send(),
        "setAgentWallet (ERC-1271)");
    assertEquals(walletAddress, identity(owner).getAgentWallet(agentId).send());
  }

  @Test
  void setAgentWalletRejectsASignatureByAnyoneButTheNewWallet() throws Exception {
    BigInteger agentId = register(owner);
    BigInteger deadline = deadlineIn(120);
    var consent =
        Eip712Signing.agentWalletSet(agentId, newWallet.getAddress(), owner.getAddress(), deadline);
    // Neither a stranger nor the owner can speak for the new wallet.
    for (Credentials signer : List.of(stranger, owner)) {
      assertReverts(
          chain,
          owner.getAddress(),
          registry,
          identity(owner)
              .setAgentWallet(
                  agentId, newWallet.getAddress(), deadline, consent.sign(domain, signer).bytes()),
          "invalid wallet sig");
    }
    // A consent for another agent, or signed for another owner, does not verify either.
    Signature forOtherOwner =
        Eip712Signing.agentWalletSet(
                agentId, newWallet.getAddress(), stranger.getAddress(), deadline)
            .sign(domain, newWallet);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner)
            .setAgentWallet(agentId, newWallet.getAddress(), deadline, forOtherOwner.bytes()),
        "invalid wallet sig");
    assertEquals(owner.getAddress(), identity(owner).getAgentWallet(agentId).send());
  }

  @Test
  void setAgentWalletRejectsExpiredAndFarDeadlines() throws Exception {
    BigInteger agentId = register(owner);
    BigInteger expired = deadlineIn(-1);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner)
            .setAgentWallet(
                agentId,
                newWallet.getAddress(),
                expired,
                Eip712Signing.agentWalletSet(
                        agentId, newWallet.getAddress(), owner.getAddress(), expired)
                    .sign(domain, newWallet)
                    .bytes()),
        "expired");

    BigInteger tooFar = deadlineIn(3600);
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner)
            .setAgentWallet(
                agentId,
                newWallet.getAddress(),
                tooFar,
                Eip712Signing.agentWalletSet(
                        agentId, newWallet.getAddress(), owner.getAddress(), tooFar)
                    .sign(domain, newWallet)
                    .bytes()),
        "deadline too far");
  }

  @Test
  void deadlineMayBeExactlyFiveMinutesAhead() throws Exception {
    BigInteger agentId = register(owner);
    long blockTime = chain.latestTimestamp() + 5;

    BigInteger justTooFar = BigInteger.valueOf(blockTime + 301);
    chain.call("evm_setNextBlockTimestamp", List.of(blockTime));
    assertTransactionReverts(
        chain,
        identity(owner)
            .setAgentWallet(
                agentId,
                newWallet.getAddress(),
                justTooFar,
                Eip712Signing.agentWalletSet(
                        agentId, newWallet.getAddress(), owner.getAddress(), justTooFar)
                    .sign(domain, newWallet)
                    .bytes()),
        "deadline too far");

    BigInteger limit = BigInteger.valueOf(blockTime + 1 + 300);
    chain.call("evm_setNextBlockTimestamp", List.of(blockTime + 1));
    Transactions.requireSuccess(
        identity(owner)
            .setAgentWallet(
                agentId,
                newWallet.getAddress(),
                limit,
                Eip712Signing.agentWalletSet(
                        agentId, newWallet.getAddress(), owner.getAddress(), limit)
                    .sign(domain, newWallet)
                    .bytes())
            .send(),
        "deadline = block time + 300");
    assertEquals(newWallet.getAddress(), identity(owner).getAgentWallet(agentId).send());
  }

  @Test
  void setAgentWalletNeedsAnAuthorizedCallerAndANonZeroWallet() throws Exception {
    BigInteger agentId = register(owner);
    BigInteger deadline = deadlineIn(120);
    Signature sig =
        Eip712Signing.agentWalletSet(agentId, newWallet.getAddress(), owner.getAddress(), deadline)
            .sign(domain, newWallet);
    // A valid consent is not enough: the caller must control the agent.
    assertReverts(
        chain,
        stranger.getAddress(),
        registry,
        identity(stranger).setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes()),
        "Not authorized");
    assertReverts(
        chain,
        newWallet.getAddress(),
        registry,
        identity(newWallet).setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes()),
        "Not authorized");
    assertReverts(
        chain,
        owner.getAddress(),
        registry,
        identity(owner).setAgentWallet(agentId, ZERO, deadline, sig.bytes()),
        "bad wallet");

    // An operator may submit the wallet's consent (the signed owner is still the token owner).
    Credentials operator = chain.account(8);
    Transactions.requireSuccess(
        identity(owner).setApprovalForAll(operator.getAddress(), true).send(), "operator");
    Transactions.requireSuccess(
        identity(operator)
            .setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes())
            .send(),
        "operator submits");
    assertEquals(newWallet.getAddress(), identity(owner).getAgentWallet(agentId).send());
  }

  @Test
  void unsetAgentWalletClearsIt() throws Exception {
    BigInteger agentId = register(owner);
    assertReverts(
        chain,
        stranger.getAddress(),
        registry,
        identity(stranger).unsetAgentWallet(agentId),
        "Not authorized");
    TransactionReceipt r =
        Transactions.requireSuccess(identity(owner).unsetAgentWallet(agentId).send(), "unset");
    assertEquals(ZERO, identity(owner).getAgentWallet(agentId).send());
    assertArrayEquals(new byte[0], identity(owner).getMetadata(agentId, "agentWallet").send());
    IdentityRegistry.MetadataSetEventResponse set = IdentityRegistry.getMetadataSetEvents(r).get(0);
    assertEquals("agentWallet", set.metadataKey);
    assertArrayEquals(new byte[0], set.metadataValue);
  }

  @Test
  void transferClearsTheAgentWalletButKeepsOtherMetadata() throws Exception {
    BigInteger agentId = register(owner);
    BigInteger deadline = deadlineIn(120);
    Signature sig =
        Eip712Signing.agentWalletSet(agentId, newWallet.getAddress(), owner.getAddress(), deadline)
            .sign(domain, newWallet);
    IdentityRegistry id = identity(owner);
    Transactions.requireSuccess(
        id.setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes()).send(),
        "setAgentWallet");
    Transactions.requireSuccess(id.setMetadata(agentId, "k", new byte[] {9}).send(), "setMetadata");

    TransactionReceipt r =
        Transactions.requireSuccess(
            id.transferFrom(owner.getAddress(), stranger.getAddress(), agentId).send(), "transfer");

    assertEquals(stranger.getAddress(), id.ownerOf(agentId).send());
    assertEquals(ZERO, id.getAgentWallet(agentId).send());
    assertArrayEquals(new byte[] {9}, id.getMetadata(agentId, "k").send());
    IdentityRegistry.MetadataSetEventResponse cleared =
        IdentityRegistry.getMetadataSetEvents(r).get(0);
    assertEquals("agentWallet", cleared.metadataKey);
    assertArrayEquals(new byte[0], cleared.metadataValue);

    // The old consent named the old owner: the new owner cannot reuse it.
    assertReverts(
        chain,
        stranger.getAddress(),
        registry,
        identity(stranger).setAgentWallet(agentId, newWallet.getAddress(), deadline, sig.bytes()),
        "invalid wallet sig");
  }

  @Test
  void getAgentWalletOfAnUnknownAgentIsZero() throws Exception {
    assertEquals(ZERO, identity(owner).getAgentWallet(BigInteger.valueOf(777)).send());
  }
}
