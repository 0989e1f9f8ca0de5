package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.generated.TestSmartWallet;
import io.attest402.enclave.InMemoryEnclaveKey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;

@ExtendWith(ChainExtension.class)
class IdentityRegistryClientTest {

  static Erc8004Client client(Chain chain, Credentials who) {
    return new Erc8004Client(chain.web3j(), RegistryAddresses.fromDeployment(chain.deployment()))
        .withSigner(who);
  }

  @Test
  void registersWithEveryOverloadAndWalletStartsAsOwner(Chain chain) {
    Credentials owner = chain.account(1);
    Erc8004Client c = client(chain, owner);
    Registered bare = c.identity().register();
    assertEquals("", c.identity().agentURI(bare.agentId()));
    Registered withUri = c.identity().register("https://agent.example/a.json");
    assertEquals(bare.agentId().add(BigInteger.ONE), withUri.agentId());
    assertEquals("https://agent.example/a.json", withUri.agentURI());
    Map<String, byte[]> md = new LinkedHashMap<>();
    md.put("net.attest402.role", "provider".getBytes(StandardCharsets.UTF_8));
    md.put("x", new byte[] {1, 2, 3});
    Registered withMeta = c.identity().register("ipfs://bafy", md);
    assertArrayEquals(new byte[] {1, 2, 3}, c.identity().getMetadata(withMeta.agentId(), "x"));
    assertEquals(
        "provider",
        new String(
            c.identity().getMetadata(withMeta.agentId(), "net.attest402.role"),
            StandardCharsets.UTF_8));
    for (Registered r : new Registered[] {bare, withUri, withMeta}) {
      assertEquals(owner.getAddress(), r.owner().toLowerCase());
      assertEquals(Optional.of(r.owner()), c.identity().agentWallet(r.agentId()));
      assertEquals(r.owner(), c.identity().ownerOf(r.agentId()));
      assertTrue(c.identity().isAuthorizedOrOwner(owner.getAddress(), r.agentId()));
    }
    assertEquals("2.0.0", c.identity().version());
  }

  @Test
  void urisAndMetadataAreOwnerOnlyAndRevertsAreTyped(Chain chain) {
    Erc8004Client owner = client(chain, chain.account(1));
    Erc8004Client stranger = client(chain, chain.account(2));
    BigInteger id = owner.identity().register("https://a.example/1.json").agentId();
    owner.identity().setAgentURI(id, "https://a.example/2.json");
    assertEquals("https://a.example/2.json", owner.identity().agentURI(id));
    owner.identity().setMetadata(id, "k", new byte[] {9});
    assertArrayEquals(new byte[] {9}, owner.identity().getMetadata(id, "k"));
    assertArrayEquals(new byte[0], owner.identity().getMetadata(id, "unset"));

    RevertException notAuth =
        assertThrows(
            RevertException.class,
            () -> stranger.identity().setAgentURI(id, "https://evil.example"));
    assertEquals(RevertException.Kind.NOT_AUTHORIZED, notAuth.kind());
    assertEquals("Not authorized", notAuth.reason());
    assertTrue(notAuth.txHash().isEmpty(), "preflight: nothing sent");

    RevertException reserved =
        assertThrows(
            RevertException.class,
            () -> owner.identity().setMetadata(id, "agentWallet", new byte[20]));
    assertEquals(RevertException.Kind.RESERVED_KEY, reserved.kind());
    RevertException reservedAtRegister =
        assertThrows(
            RevertException.class,
            () -> owner.identity().register("u", Map.of("agentWallet", new byte[20])));
    assertEquals(RevertException.Kind.RESERVED_KEY, reservedAtRegister.kind());

    RevertException missing =
        assertThrows(
            RevertException.class, () -> owner.identity().ownerOf(BigInteger.valueOf(999)));
    assertEquals(RevertException.Kind.AGENT_NOT_FOUND, missing.kind());
    assertEquals("ERC721NonexistentToken", missing.errorName());
    assertEquals(BigInteger.valueOf(999), missing.args().get(0));
    assertFalse(owner.identity().exists(BigInteger.valueOf(999)));
    assertTrue(owner.identity().exists(id));
    // an operator may manage the agent
    owner.identity().setApprovalForAll(chain.account(2).getAddress(), true);
    stranger.identity().setAgentURI(id, "https://a.example/3.json");
    assertEquals("https://a.example/3.json", owner.identity().agentURI(id));
    owner.identity().setApprovalForAll(chain.account(2).getAddress(), false);
  }

  @Test
  void setAgentWalletWithEoaEnclaveAndErc1271Signatures(Chain chain) throws Exception {
    Credentials ownerKey = chain.account(1);
    Erc8004Client owner = client(chain, ownerKey);
    BigInteger id = owner.identity().register("https://a.example/w.json").agentId();

    Credentials eoa = Credentials.create(org.web3j.crypto.Keys.createEcKeyPair());
    owner.identity().setAgentWallet(id, WalletSigner.eoa(eoa));
    assertEquals(eoa.getAddress(), owner.identity().agentWallet(id).orElseThrow().toLowerCase());

    InMemoryEnclaveKey enclave = InMemoryEnclaveKey.generate(new SecureRandom());
    owner.identity().setAgentWallet(id, WalletSigner.enclave(enclave));
    assertEquals(enclave.address(), owner.identity().agentWallet(id).orElseThrow());

    Credentials walletOwner = chain.account(4);
    TestSmartWallet sw =
        TestSmartWallet.deploy(
                chain.web3j(), chain.txManager(walletOwner), chain.gas(), walletOwner.getAddress())
            .send();
    owner.identity().setAgentWallet(id, WalletSigner.erc1271(sw.getContractAddress(), walletOwner));
    assertEquals(
        sw.getContractAddress().toLowerCase(),
        owner.identity().agentWallet(id).orElseThrow().toLowerCase());

    // a contract wallet whose owner did not sign
    RevertException badSig =
        assertThrows(
            RevertException.class,
            () ->
                owner
                    .identity()
                    .setAgentWallet(
                        id, WalletSigner.erc1271(sw.getContractAddress(), chain.account(5))));
    assertEquals(RevertException.Kind.INVALID_WALLET_SIGNATURE, badSig.kind());

    long now = chain.latestTimestamp();
    RevertException tooFar =
        assertThrows(
            RevertException.class,
            () ->
                owner
                    .identity()
                    .setAgentWallet(id, WalletSigner.eoa(eoa), BigInteger.valueOf(now + 3600)));
    assertEquals(RevertException.Kind.DEADLINE_TOO_FAR, tooFar.kind());
    RevertException expired =
        assertThrows(
            RevertException.class,
            () ->
                owner
                    .identity()
                    .setAgentWallet(id, WalletSigner.eoa(eoa), BigInteger.valueOf(now - 10)));
    assertEquals(RevertException.Kind.DEADLINE_EXPIRED, expired.kind());

    owner.identity().unsetAgentWallet(id);
    assertTrue(owner.identity().agentWallet(id).isEmpty());
  }

  @Test
  void transferClearsTheWalletButKeepsMetadata(Chain chain) {
    Erc8004Client owner = client(chain, chain.account(1));
    BigInteger id =
        owner
            .identity()
            .register("https://a.example/t.json", Map.of("k", new byte[] {7}))
            .agentId();
    owner.identity().transfer(id, chain.account(6).getAddress());
    assertEquals(chain.account(6).getAddress(), owner.identity().ownerOf(id).toLowerCase());
    assertTrue(owner.identity().agentWallet(id).isEmpty());
    assertArrayEquals(new byte[] {7}, owner.identity().getMetadata(id, "k"));
  }

  @Test
  void digestMatchesTheReferenceTypehash() {
    assertEquals(
        "0x678b53cd718d595370ab070ebf48edfdcd834beac116bf23e625fc7f4d5b7d32",
        org.web3j.utils.Numeric.toHexString(IdentityRegistryClient.AGENT_WALLET_SET_TYPEHASH));
    assertEquals(
        "0xca52e62c367d81bb2e328eb795f7c7ba24afb478408a26c0e201d155c449bc4a", Events.REGISTERED);
    assertEquals(
        "0x6a4a61743519c9d648a14e6493f47dbe3ff1aa29e7785c96c8326a205e58febc", Events.NEW_FEEDBACK);
    assertEquals(
        "0xafddf629e874ccc3963b6a888c477bd464a6c8525024fc88759ea3b2326349ae",
        Events.VALIDATION_RESPONSE);
  }
}
