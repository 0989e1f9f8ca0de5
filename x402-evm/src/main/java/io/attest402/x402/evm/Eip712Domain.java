package io.attest402.x402.evm;

import io.attest402.x402.types.PaymentRequirements;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.web3j.crypto.Hash;

/**
 * An EIP-712 domain {@code EIP712Domain(string name,string version,uint256 chainId,address
 * verifyingContract)}: for an exact/EVM offer, the token's {@code extra.name}, {@code
 * extra.version}, the chain of {@code network} and the token address ({@code asset}).
 */
public record Eip712Domain(
    String name, String version, BigInteger chainId, String verifyingContract) {
  static final byte[] TYPE_HASH =
      Hash.sha3(
          "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
              .getBytes(StandardCharsets.UTF_8));

  public Eip712Domain {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(chainId, "chainId");
    if (!Addresses.isAddress(verifyingContract)) {
      throw new IllegalArgumentException(
          "verifyingContract is not an address: " + verifyingContract);
    }
  }

  public Eip712Domain(String name, String version, long chainId, String verifyingContract) {
    this(name, version, BigInteger.valueOf(chainId), verifyingContract);
  }

  /**
   * The domain an exact/EVM offer implies.
   *
   * @throws IllegalArgumentException when {@code extra.name}/{@code extra.version} are missing, the
   *     network is not {@code eip155:N} or the asset is not an address
   */
  public static Eip712Domain of(PaymentRequirements r) {
    String name = r.extraString("name");
    String version = r.extraString("version");
    if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
      throw new IllegalArgumentException(
          "EIP-712 domain parameters (name, version) are required in extra for asset " + r.asset());
    }
    return new Eip712Domain(name, version, Networks.chainId(r.network()), r.asset());
  }

  /** {@code hashStruct(domain)}, the domain separator. */
  public byte[] separator() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(160);
    out.writeBytes(TYPE_HASH);
    out.writeBytes(Hash.sha3(name.getBytes(StandardCharsets.UTF_8)));
    out.writeBytes(Hash.sha3(version.getBytes(StandardCharsets.UTF_8)));
    out.writeBytes(Abi.uint256(chainId));
    out.writeBytes(Abi.address(verifyingContract));
    return Hash.sha3(out.toByteArray());
  }

  /** {@code keccak256(0x1901 || separator || structHash)}. */
  public byte[] digest(byte[] structHash) {
    byte[] buf = new byte[66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    System.arraycopy(separator(), 0, buf, 2, 32);
    System.arraycopy(structHash, 0, buf, 34, 32);
    return Hash.sha3(buf);
  }
}
