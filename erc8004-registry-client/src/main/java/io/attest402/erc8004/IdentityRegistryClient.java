package io.attest402.erc8004;

import io.attest402.contracts.generated.IdentityRegistry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes1;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignService;
import org.web3j.utils.Numeric;

/**
 * The ERC-8004 Identity Registry: agents as ERC-721 tokens, their URIs, metadata and verified
 * payment wallet.
 */
@SuppressWarnings({"rawtypes", "unchecked"})
public final class IdentityRegistryClient extends RegistryContract {
  /** The reserved metadata key holding the verified payment address. */
  public static final String AGENT_WALLET_KEY = "agentWallet";

  /** The contract's maximum horizon for a setAgentWallet deadline. */
  public static final long MAX_DEADLINE_DELAY_SECONDS = 300;

  static final String EIP712_NAME = "ERC8004IdentityRegistry";
  static final String EIP712_VERSION = "1";
  static final byte[] AGENT_WALLET_SET_TYPEHASH =
      Hash.sha3(
          "AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
              .getBytes(StandardCharsets.UTF_8));
  private static final byte[] DOMAIN_TYPEHASH =
      Hash.sha3(
          "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
              .getBytes(StandardCharsets.UTF_8));

  private final RegistryAddresses addresses;

  IdentityRegistryClient(ContractRpc rpc, RegistryAddresses addresses, TxSignService signer) {
    super(rpc, signer, addresses.identityRegistry());
    this.addresses = addresses;
  }

  // ----------------------------------------------------------------------------------------------
  // register

  /** {@code register()}: an agent without URI (set it later with {@link #setAgentURI}). */
  public Registered register() {
    return registered(send(new Function("register", List.of(), List.of())));
  }

  /** {@code register(agentURI)}. */
  public Registered register(String agentURI) {
    return registered(send(new Function("register", List.of(new Utf8String(agentURI)), List.of())));
  }

  /**
   * {@code register(agentURI, metadata[])}, entries in the map's order; {@code agentWallet} is
   * refused.
   */
  public Registered register(String agentURI, Map<String, byte[]> metadata) {
    List<IdentityRegistry.MetadataEntry> entries = new ArrayList<>();
    metadata.forEach((k, v) -> entries.add(new IdentityRegistry.MetadataEntry(k, v)));
    Function f =
        new Function(
            "register",
            List.of(
                new Utf8String(agentURI),
                new DynamicArray<>(IdentityRegistry.MetadataEntry.class, entries)),
            List.of());
    return registered(send(f));
  }

  private Registered registered(TransactionReceipt r) {
    return event(
        r,
        Events.REGISTERED,
        "register",
        "Registered",
        log -> {
          IdentityRegistry.RegisteredEventResponse e =
              IdentityRegistry.getRegisteredEventFromLog(log);
          return new Registered(
              e.agentId,
              Keys.toChecksumAddress(e.owner),
              e.agentURI,
              r.getTransactionHash(),
              r.getBlockNumber().longValueExact());
        });
  }

  // ----------------------------------------------------------------------------------------------
  // agentURI

  public TransactionReceipt setAgentURI(BigInteger agentId, String newURI) {
    return send(
        new Function(
            "setAgentURI", List.of(new Uint256(agentId), new Utf8String(newURI)), List.of()));
  }

  /** The agent's URI ({@code tokenURI}); empty string when registered without one. */
  public String agentURI(BigInteger agentId) {
    return (String)
        call(new Function(
                "tokenURI",
                List.of(new Uint256(agentId)),
                List.of(new TypeReference<Utf8String>() {})))
            .get(0)
            .getValue();
  }

  public String ownerOf(BigInteger agentId) {
    return Keys.toChecksumAddress(
        (String)
            call(new Function(
                    "ownerOf",
                    List.of(new Uint256(agentId)),
                    List.of(new TypeReference<Address>() {})))
                .get(0)
                .getValue());
  }

  /** True when the agent exists (has an owner). */
  public boolean exists(BigInteger agentId) {
    try {
      ownerOf(agentId);
      return true;
    } catch (RevertException e) {
      if (e.kind() == RevertException.Kind.AGENT_NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // metadata

  /** Raw metadata bytes; empty when unset. */
  public byte[] getMetadata(BigInteger agentId, String key) {
    return (byte[])
        call(new Function(
                "getMetadata",
                List.of(new Uint256(agentId), new Utf8String(key)),
                List.of(new TypeReference<DynamicBytes>() {})))
            .get(0)
            .getValue();
  }

  public TransactionReceipt setMetadata(BigInteger agentId, String key, byte[] value) {
    return send(
        new Function(
            "setMetadata",
            List.of(new Uint256(agentId), new Utf8String(key), new DynamicBytes(value)),
            List.of()));
  }

  // -------------------------------------------------------------------------------------------
  // agentWallet

  /** The verified payment address, empty when unset or cleared (the zero address). */
  public Optional<String> agentWallet(BigInteger agentId) {
    String w =
        (String)
            call(new Function(
                    "getAgentWallet",
                    List.of(new Uint256(agentId)),
                    List.of(new TypeReference<Address>() {})))
                .get(0)
                .getValue();
    BigInteger n = Numeric.toBigInt(w);
    return n.signum() == 0 ? Optional.empty() : Optional.of(Keys.toChecksumAddress(w));
  }

  /**
   * Makes {@code wallet} the agent's payment address: the wallet signs the EIP-712 consent, this
   * client's signer (owner, operator or approved) sends it. The deadline is chain time + 4 minutes
   * (the contract allows 5).
   */
  public TransactionReceipt setAgentWallet(BigInteger agentId, WalletSigner wallet) {
    BigInteger deadline = BigInteger.valueOf(chainTime() + MAX_DEADLINE_DELAY_SECONDS - 60);
    return setAgentWallet(agentId, wallet, deadline);
  }

  public TransactionReceipt setAgentWallet(
      BigInteger agentId, WalletSigner wallet, BigInteger deadline) {
    String owner = ownerOf(agentId);
    byte[] digest = agentWalletDigest(agentId, wallet.address(), owner, deadline);
    return setAgentWallet(agentId, wallet.address(), deadline, wallet.signDigest(digest));
  }

  /** {@code setAgentWallet} with a signature made elsewhere. */
  public TransactionReceipt setAgentWallet(
      BigInteger agentId, String newWallet, BigInteger deadline, byte[] signature) {
    return send(
        new Function(
            "setAgentWallet",
            List.of(
                new Uint256(agentId),
                new Address(newWallet),
                new Uint256(deadline),
                new DynamicBytes(signature)),
            List.of()));
  }

  public TransactionReceipt unsetAgentWallet(BigInteger agentId) {
    return send(new Function("unsetAgentWallet", List.of(new Uint256(agentId)), List.of()));
  }

  /**
   * The EIP-712 digest the new wallet signs: {@code
   * AgentWalletSet(agentId,newWallet,owner,deadline)} under the registry's domain (read from its
   * ERC-5267 {@code eip712Domain()} when it has one, else the reference's {@code
   * ERC8004IdentityRegistry}/{@code 1}).
   */
  public byte[] agentWalletDigest(
      BigInteger agentId, String newWallet, String owner, BigInteger deadline) {
    byte[] structHash =
        Hash.sha3(
            concat(
                AGENT_WALLET_SET_TYPEHASH,
                word(agentId),
                word(newWallet),
                word(owner),
                word(deadline)));
    byte[] prefix = {0x19, 0x01};
    return Hash.sha3(concat(prefix, domainSeparator(), structHash));
  }

  private volatile byte[] domainSeparator;

  byte[] domainSeparator() {
    byte[] d = domainSeparator;
    if (d == null) {
      String name = EIP712_NAME;
      String version = EIP712_VERSION;
      BigInteger chainId = BigInteger.valueOf(addresses.chainId());
      String verifying = address;
      try {
        List<Type> dom =
            call(
                new Function(
                    "eip712Domain",
                    List.of(),
                    List.of(
                        new TypeReference<Bytes1>() {},
                        new TypeReference<Utf8String>() {},
                        new TypeReference<Utf8String>() {},
                        new TypeReference<Uint256>() {},
                        new TypeReference<Address>() {},
                        new TypeReference<Bytes32>() {},
                        new TypeReference<DynamicArray<Uint256>>() {})));
        name = (String) dom.get(1).getValue();
        version = (String) dom.get(2).getValue();
        chainId = (BigInteger) dom.get(3).getValue();
        verifying = (String) dom.get(4).getValue();
      } catch (RegistryException noErc5267) {
        // keep the reference's constants
      }
      d =
          Hash.sha3(
              concat(
                  DOMAIN_TYPEHASH,
                  Hash.sha3(name.getBytes(StandardCharsets.UTF_8)),
                  Hash.sha3(version.getBytes(StandardCharsets.UTF_8)),
                  word(chainId),
                  word(verifying)));
      domainSeparator = d;
    }
    return d.clone();
  }

  // ------------------------------------------------------------------------------------- ERC-721
  // and extras

  public boolean isAuthorizedOrOwner(String spender, BigInteger agentId) {
    return (Boolean)
        call(new Function(
                "isAuthorizedOrOwner",
                List.of(new Address(spender), new Uint256(agentId)),
                List.of(new TypeReference<Bool>() {})))
            .get(0)
            .getValue();
  }

  /** Transfers the agent (clears its agentWallet, as the spec requires). */
  public TransactionReceipt transfer(BigInteger agentId, String to) {
    return send(
        new Function(
            "transferFrom",
            List.of(new Address(ownerOf(agentId)), new Address(to), new Uint256(agentId)),
            List.of()));
  }

  /** Makes {@code operator} an operator of all of the signer's agents (or revokes it). */
  public TransactionReceipt setApprovalForAll(String operator, boolean approved) {
    return send(
        new Function(
            "setApprovalForAll", List.of(new Address(operator), new Bool(approved)), List.of()));
  }

  /** {@code getVersion()} of the registry ("2.0.0" for the 2026-01-25 ABI). */
  public String version() {
    return (String)
        call(new Function("getVersion", List.of(), List.of(new TypeReference<Utf8String>() {})))
            .get(0)
            .getValue();
  }

  long chainTime() {
    return ContractRpc.send(
            rpc.web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false), "block")
        .getBlock()
        .getTimestamp()
        .longValueExact();
  }

  static byte[] word(BigInteger v) {
    return Numeric.toBytesPadded(v, 32);
  }

  static byte[] word(String address) {
    return Numeric.toBytesPadded(Numeric.toBigInt(address), 32);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int o = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, o, p.length);
      o += p.length;
    }
    return out;
  }
}
