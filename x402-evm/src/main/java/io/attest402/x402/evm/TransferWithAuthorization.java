package io.attest402.x402.evm;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.web3j.crypto.Hash;

/**
 * The EIP-3009 message {@code TransferWithAuthorization(address from,address to,uint256
 * value,uint256 validAfter, uint256 validBefore,bytes32 nonce)} and its EIP-712 hashing for any
 * token domain.
 */
public final class TransferWithAuthorization {
  private TransferWithAuthorization() {}

  public static final String TYPE =
      "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,"
          + "bytes32 nonce)";
  public static final byte[] TYPE_HASH = Hash.sha3(TYPE.getBytes(StandardCharsets.UTF_8));

  /**
   * {@code hashStruct(message)}.
   *
   * @throws IllegalArgumentException when a field cannot be typed-data encoded (viem refuses the
   *     same: a mixed-case address with a wrong checksum, a nonce that is not 32 bytes, a number
   *     outside uint256)
   */
  public static byte[] structHash(ExactEvmPayload.Authorization a) {
    if (!Addresses.isStrictAddress(a.from())) {
      throw new IllegalArgumentException("from is not a valid (checksummed) address: " + a.from());
    }
    if (!Addresses.isStrictAddress(a.to())) {
      throw new IllegalArgumentException("to is not a valid (checksummed) address: " + a.to());
    }
    byte[] nonce = Hex.decode(a.nonce());
    if (nonce.length != 32) {
      throw new IllegalArgumentException("nonce must be 32 bytes, got " + nonce.length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(224);
    out.writeBytes(TYPE_HASH);
    out.writeBytes(Abi.address(a.from()));
    out.writeBytes(Abi.address(a.to()));
    out.writeBytes(Abi.uint256(a.value()));
    out.writeBytes(Abi.uint256(a.validAfter()));
    out.writeBytes(Abi.uint256(a.validBefore()));
    out.writeBytes(Abi.bytes32(nonce));
    return Hash.sha3(out.toByteArray());
  }

  /** The EIP-712 digest the payer signs. */
  public static byte[] digest(Eip712Domain domain, ExactEvmPayload.Authorization a) {
    return domain.digest(structHash(a));
  }

  /** Convenience: digest from raw values. */
  public static byte[] digest(
      Eip712Domain domain,
      String from,
      String to,
      BigInteger value,
      BigInteger validAfter,
      BigInteger validBefore,
      String nonce) {
    return digest(
        domain, new ExactEvmPayload.Authorization(from, to, value, validAfter, validBefore, nonce));
  }
}
