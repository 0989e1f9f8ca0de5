package io.attest402.contracts.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;
import org.web3j.crypto.StructuredDataEncoder;
import org.web3j.utils.Numeric;

/**
 * EIP-712 signing for tests, through web3j's {@link StructuredDataEncoder} (typed-data JSON, as
 * wallets sign it) and {@link Sign#signMessage(byte[], org.web3j.crypto.ECKeyPair, boolean)} over
 * the final digest: the USDC messages (EIP-3009 TransferWithAuthorization /
 * ReceiveWithAuthorization / CancelAuthorization, EIP-2612 Permit) and the ERC-8004 AgentWalletSet
 * consent. Test code only: x402-core owns the production signer.
 */
public final class Eip712Signing {
  private Eip712Signing() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** An EIP-712 domain with all four usual fields. */
  public record Domain(String name, String version, long chainId, String verifyingContract) {
    /** USDC's domain (FiatToken v2: "USD Coin", "2") for the token at {@code token}. */
    public static Domain usdc(long chainId, String token) {
      return new Domain("USD Coin", "2", chainId, token);
    }

    /** The ERC-8004 Identity Registry's domain ("ERC8004IdentityRegistry", "1"). */
    public static Domain identityRegistry(long chainId, String registry) {
      return new Domain("ERC8004IdentityRegistry", "1", chainId, registry);
    }
  }

  /** A secp256k1 signature: r, s and v (27 or 28), also packed as the 65 bytes r‖s‖v. */
  public record Signature(byte[] r, byte[] s, int v) {
    public BigInteger vAsBigInteger() {
      return BigInteger.valueOf(v);
    }

    public byte[] bytes() {
      byte[] out = new byte[65];
      System.arraycopy(r, 0, out, 0, 32);
      System.arraycopy(s, 0, out, 32, 32);
      out[64] = (byte) v;
      return out;
    }
  }

  /** One EIP-712 message: its type, its fields in declaration order and their values. */
  public static final class Message {
    private final String primaryType;
    private final Map<String, String> fieldTypes = new LinkedHashMap<>();
    private final Map<String, Object> values = new LinkedHashMap<>();

    public Message(String primaryType) {
      this.primaryType = primaryType;
    }

    /**
     * Adds a field; numbers as BigInteger/long, addresses and bytes32 as 0x-hex strings or byte[].
     */
    public Message field(String type, String name, Object value) {
      fieldTypes.put(name, type);
      values.put(
          name,
          value instanceof byte[] b
              ? Numeric.toHexString(b)
              : value instanceof Number n ? n.toString() : value);
      return this;
    }

    /** The typed-data JSON (eth_signTypedData_v4 shape) for this message under {@code domain}. */
    public String typedDataJson(Domain domain) {
      ObjectNode root = JSON.createObjectNode();
      ObjectNode types = root.putObject("types");
      ArrayNode domainType = types.putArray("EIP712Domain");
      domainType.addObject().put("name", "name").put("type", "string");
      domainType.addObject().put("name", "version").put("type", "string");
      domainType.addObject().put("name", "chainId").put("type", "uint256");
      domainType.addObject().put("name", "verifyingContract").put("type", "address");
      ArrayNode fields = types.putArray(primaryType);
      fieldTypes.forEach((name, type) -> fields.addObject().put("name", name).put("type", type));
      root.put("primaryType", primaryType);
      root.putObject("domain")
          .put("name", domain.name())
          .put("version", domain.version())
          .put("chainId", domain.chainId())
          .put("verifyingContract", domain.verifyingContract());
      root.set("message", JSON.valueToTree(values));
      return root.toString();
    }

    /** The digest a wallet signs: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
    public byte[] digest(Domain domain) {
      return encoder(domain).hashStructuredData();
    }

    /**
     * Signs the digest with {@code signer}'s key (a contract wallet's owner signs for ERC-1271
     * wallets).
     */
    public Signature sign(Domain domain, Credentials signer) {
      return Eip712Signing.sign(digest(domain), signer);
    }

    private StructuredDataEncoder encoder(Domain domain) {
      try {
        return new StructuredDataEncoder(typedDataJson(domain));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * The domain separator web3j computes for {@code domain} (to compare with a contract's
   * DOMAIN_SEPARATOR).
   */
  public static byte[] domainSeparator(Domain domain) {
    try {
      return new StructuredDataEncoder(new Message("Empty").typedDataJson(domain)).hashDomain();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Signs a 32-byte digest as is (no EIP-191 prefix); v is 27 or 28, as OpenZeppelin's ECDSA
   * expects.
   */
  public static Signature sign(byte[] digest, Credentials signer) {
    Sign.SignatureData sig = Sign.signMessage(digest, signer.getEcKeyPair(), false);
    return new Signature(sig.getR(), sig.getS(), Byte.toUnsignedInt(sig.getV()[0]));
  }

  /** A fresh random 32-byte authorization nonce. */
  public static byte[] randomNonce() {
    byte[] nonce = new byte[32];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  // ------------------------------------------------------------------------------------------ USDC
  // (EIP-3009)

  /** The parameters of an EIP-3009 authorization (transfer or receive). */
  public record Authorization(
      String from,
      String to,
      BigInteger value,
      BigInteger validAfter,
      BigInteger validBefore,
      byte[] nonce) {}

  public static Message transferWithAuthorization(Authorization a) {
    return authorization("TransferWithAuthorization", a);
  }

  public static Message receiveWithAuthorization(Authorization a) {
    return authorization("ReceiveWithAuthorization", a);
  }

  private static Message authorization(String type, Authorization a) {
    return new Message(type)
        .field("address", "from", a.from())
        .field("address", "to", a.to())
        .field("uint256", "value", a.value())
        .field("uint256", "validAfter", a.validAfter())
        .field("uint256", "validBefore", a.validBefore())
        .field("bytes32", "nonce", a.nonce());
  }

  public static Message cancelAuthorization(String authorizer, byte[] nonce) {
    return new Message("CancelAuthorization")
        .field("address", "authorizer", authorizer)
        .field("bytes32", "nonce", nonce);
  }

  // ------------------------------------------------------------------------------------------ USDC
  // (EIP-2612)

  public static Message permit(
      String owner, String spender, BigInteger value, BigInteger nonce, BigInteger deadline) {
    return new Message("Permit")
        .field("address", "owner", owner)
        .field("address", "spender", spender)
        .field("uint256", "value", value)
        .field("uint256", "nonce", nonce)
        .field("uint256", "deadline", deadline);
  }

  // ------------------------------------------------------------------------------------------------ ERC-8004

  /**
   * The consent {@code newWallet} signs for {@code setAgentWallet}; {@code owner} is the agent's
   * current owner.
   */
  public static Message agentWalletSet(
      BigInteger agentId, String newWallet, String owner, BigInteger deadline) {
    return new Message("AgentWalletSet")
        .field("uint256", "agentId", agentId)
        .field("address", "newWallet", newWallet)
        .field("address", "owner", owner)
        .field("uint256", "deadline", deadline);
  }
}
