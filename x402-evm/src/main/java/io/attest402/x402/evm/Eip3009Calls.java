package io.attest402.x402.evm;

import java.util.List;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;

/**
 * Typed web3j {@link Function}s (and their calldata) for the EIP-3009 token calls a facilitator
 * makes: both {@code transferWithAuthorization} overloads, and the reads of the official
 * diagnostics. Selectors come from web3j's encoder, never from hand-written constants.
 */
public final class Eip3009Calls {
  private Eip3009Calls() {}

  public static final String TRANSFER_WITH_AUTHORIZATION = "transferWithAuthorization";

  /**
   * The {@code (…, uint8 v, bytes32 r, bytes32 s)} overload; {@code v} is passed as given
   * (0/1/27/28).
   */
  public static Function transferWithAuthorizationVrs(
      ExactEvmPayload.Authorization a, int v, byte[] r, byte[] s) {
    return new Function(
        TRANSFER_WITH_AUTHORIZATION,
        List.of(
            new Address(a.from()),
            new Address(a.to()),
            new Uint256(a.value()),
            new Uint256(a.validAfter()),
            new Uint256(a.validBefore()),
            new Bytes32(a.nonceBytes()),
            new Uint8(v),
            new Bytes32(r),
            new Bytes32(s)),
        List.of());
  }

  /** The {@code (…, bytes signature)} overload (ERC-1271 wallets, any non-65-byte signature). */
  public static Function transferWithAuthorizationBytes(
      ExactEvmPayload.Authorization a, byte[] signature) {
    return new Function(
        TRANSFER_WITH_AUTHORIZATION,
        List.of(
            new Address(a.from()),
            new Address(a.to()),
            new Uint256(a.value()),
            new Uint256(a.validAfter()),
            new Uint256(a.validBefore()),
            new Bytes32(a.nonceBytes()),
            new DynamicBytes(signature)),
        List.of());
  }

  /**
   * Settlement calldata as the official facilitator sends it: a 65-byte signature uses the v,r,s
   * overload with v normalised to 27/28 (viem would pass 0/1 through, which USDC rejects); anything
   * else uses the bytes overload.
   */
  public static String settlementCalldata(ExactEvmPayload.Authorization a, byte[] signature) {
    if (signature.length == 65) {
      Signatures.Rsv rsv =
          Signatures.parse(signature)
              .orElseThrow(() -> new IllegalArgumentException("65-byte signature with invalid v"));
      return FunctionEncoder.encode(transferWithAuthorizationVrs(a, rsv.v(), rsv.r(), rsv.s()));
    }
    return FunctionEncoder.encode(transferWithAuthorizationBytes(a, signature));
  }

  public static Function balanceOf(String owner) {
    return new Function(
        "balanceOf", List.of(new Address(owner)), List.of(new TypeReference<Uint256>() {}));
  }

  public static Function name() {
    return new Function("name", List.of(), List.of(new TypeReference<Utf8String>() {}));
  }

  public static Function version() {
    return new Function("version", List.of(), List.of(new TypeReference<Utf8String>() {}));
  }

  public static Function authorizationState(String authorizer, byte[] nonce) {
    return new Function(
        "authorizationState",
        List.of(new Address(authorizer), new Bytes32(nonce)),
        List.of(new TypeReference<Bool>() {}));
  }

  public static Function isValidSignature(byte[] digest, byte[] signature) {
    return new Function(
        "isValidSignature",
        List.of(new Bytes32(digest), new DynamicBytes(signature)),
        List.of(new TypeReference<org.web3j.abi.datatypes.generated.Bytes4>() {}));
  }

  public static String encode(Function f) {
    return FunctionEncoder.encode(f);
  }
}
