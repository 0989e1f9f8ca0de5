package io.attest402.x402.evm;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.StaticStruct;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;

/**
 * Uniswap's Permit2 and x402's Permit2 proxies as {@code @x402/evm} 2.27 uses them: the canonical
 * addresses, the EIP-712 digest of {@code PermitWitnessTransferFrom} with the {@code exact} witness
 * {@code Witness(address to,uint256 validAfter)} or the {@code upto} witness {@code Witness(address
 * to,address facilitator,uint256 validAfter)} (domain {@code {name: "Permit2", chainId,
 * verifyingContract: Permit2}}, no version), and the proxies' settle calls.
 */
public final class Permit2 {
  private Permit2() {}

  /** Permit2, at the same address on every chain. */
  public static final String ADDRESS = "0x000000000022D473030F116dDEE9F6B43aC78BA3";

  /** {@code x402ExactPermit2Proxy}: the spender of {@code exact} Permit2 payments. */
  public static final String EXACT_PROXY = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";

  /** {@code x402UptoPermit2Proxy}: the spender of {@code upto} payments. */
  public static final String UPTO_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";

  private static final byte[] DOMAIN_TYPE_HASH =
      sha3("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
  private static final byte[] NAME_HASH = sha3("Permit2");
  private static final byte[] TOKEN_PERMISSIONS_TYPE_HASH =
      sha3("TokenPermissions(address token,uint256 amount)");
  private static final String PREFIX =
      "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,"
          + "uint256 deadline,Witness witness)TokenPermissions(address token,uint256 amount)";
  private static final byte[] EXACT_TYPE_HASH =
      sha3(PREFIX + "Witness(address to,uint256 validAfter)");
  private static final byte[] UPTO_TYPE_HASH =
      sha3(PREFIX + "Witness(address to,address facilitator,uint256 validAfter)");
  private static final byte[] EXACT_WITNESS_TYPE_HASH =
      sha3("Witness(address to,uint256 validAfter)");
  private static final byte[] UPTO_WITNESS_TYPE_HASH =
      sha3("Witness(address to,address facilitator,uint256 validAfter)");

  private static byte[] sha3(String s) {
    return Hash.sha3(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Permit2's EIP-712 domain separator on {@code chainId}. */
  public static byte[] domainSeparator(long chainId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.writeBytes(DOMAIN_TYPE_HASH);
    out.writeBytes(NAME_HASH);
    out.writeBytes(Abi.uint256(BigInteger.valueOf(chainId)));
    out.writeBytes(Abi.address(ADDRESS));
    return Hash.sha3(out.toByteArray());
  }

  /**
   * The digest the payer signs: the {@code upto} witness when {@code a.facilitator()} is set, else
   * the {@code exact} one.
   *
   * @throws IllegalArgumentException when a number is outside uint256 (viem refuses to hash it)
   */
  public static byte[] digest(long chainId, Permit2Payload.Authorization a) {
    boolean upto = a.facilitator() != null;
    ByteArrayOutputStream w = new ByteArrayOutputStream(128);
    w.writeBytes(upto ? UPTO_WITNESS_TYPE_HASH : EXACT_WITNESS_TYPE_HASH);
    w.writeBytes(Abi.address(a.to()));
    if (upto) {
      w.writeBytes(Abi.address(a.facilitator()));
    }
    w.writeBytes(Abi.uint256(a.validAfter()));
    ByteArrayOutputStream p = new ByteArrayOutputStream(96);
    p.writeBytes(TOKEN_PERMISSIONS_TYPE_HASH);
    p.writeBytes(Abi.address(a.token()));
    p.writeBytes(Abi.uint256(a.amount()));
    ByteArrayOutputStream s = new ByteArrayOutputStream(192);
    s.writeBytes(upto ? UPTO_TYPE_HASH : EXACT_TYPE_HASH);
    s.writeBytes(Hash.sha3(p.toByteArray()));
    s.writeBytes(Abi.address(a.spender()));
    s.writeBytes(Abi.uint256(a.nonce()));
    s.writeBytes(Abi.uint256(a.deadline()));
    s.writeBytes(Hash.sha3(w.toByteArray()));
    ByteArrayOutputStream d = new ByteArrayOutputStream(66);
    d.write(0x19);
    d.write(0x01);
    d.writeBytes(domainSeparator(chainId));
    d.writeBytes(Hash.sha3(s.toByteArray()));
    return Hash.sha3(d.toByteArray());
  }

  /** An EIP-2612 permit of the payer for Permit2 (the {@code eip2612GasSponsoring} extension). */
  public record Eip2612Permit(BigInteger value, BigInteger deadline, byte[] signature65) {}

  private static StaticStruct permit(Permit2Payload.Authorization a) {
    return new StaticStruct(
        new StaticStruct(new Address(a.token()), new Uint256(a.amount())),
        new Uint256(a.nonce()),
        new Uint256(a.deadline()));
  }

  private static StaticStruct witness(Permit2Payload.Authorization a) {
    return a.facilitator() == null
        ? new StaticStruct(new Address(a.to()), new Uint256(a.validAfter()))
        : new StaticStruct(
            new Address(a.to()), new Address(a.facilitator()), new Uint256(a.validAfter()));
  }

  private static StaticStruct eip2612(Eip2612Permit p) {
    byte[] sig = p.signature65();
    if (sig.length != 65) {
      throw new IllegalArgumentException("EIP-2612 signature must be 65 bytes, got " + sig.length);
    }
    return new StaticStruct(
        new Uint256(p.value()),
        new Uint256(p.deadline()),
        new Bytes32(java.util.Arrays.copyOfRange(sig, 0, 32)),
        new Bytes32(java.util.Arrays.copyOfRange(sig, 32, 64)),
        new Uint8(sig[64] & 0xff));
  }

  /**
   * Calldata for the {@code exact} proxy's {@code settle(permit, owner, witness, signature)}, or
   * {@code settleWithPermit(permit2612, ...)} when {@code eip2612} is non-null.
   */
  public static String exactSettleCalldata(
      Permit2Payload.Authorization a, byte[] signature, Eip2612Permit eip2612) {
    List<Type> args = new java.util.ArrayList<>();
    if (eip2612 != null) {
      args.add(eip2612(eip2612));
    }
    args.add(permit(a));
    args.add(new Address(a.from()));
    args.add(witness(a));
    args.add(new DynamicBytes(signature));
    return FunctionEncoder.encode(
        new Function(eip2612 == null ? "settle" : "settleWithPermit", args, List.of()));
  }

  /**
   * Calldata for the {@code upto} proxy's {@code settle(permit, amount, owner, witness,
   * signature)}, or {@code settleWithPermit(permit2612, ...)} when {@code eip2612} is non-null.
   */
  public static String uptoSettleCalldata(
      Permit2Payload.Authorization a, BigInteger amount, byte[] signature, Eip2612Permit eip2612) {
    List<Type> args = new java.util.ArrayList<>();
    if (eip2612 != null) {
      args.add(eip2612(eip2612));
    }
    args.add(permit(a));
    args.add(new Uint256(amount));
    args.add(new Address(a.from()));
    args.add(witness(a));
    args.add(new DynamicBytes(signature));
    return FunctionEncoder.encode(
        new Function(eip2612 == null ? "settle" : "settleWithPermit", args, List.of()));
  }

  /** {@code nonceBitmap(owner, wordPos)} on Permit2: bit {@code nonce & 0xff} set once used. */
  public static String nonceBitmapCalldata(String owner, BigInteger nonce) {
    return FunctionEncoder.encode(
        new Function(
            "nonceBitmap",
            List.of(new Address(owner), new Uint256(nonce.shiftRight(8))),
            List.of(new TypeReference<Uint256>() {})));
  }

  /** Whether {@code nonce}'s bit is set in the word {@link #nonceBitmapCalldata} returned. */
  public static boolean nonceUsed(BigInteger word, BigInteger nonce) {
    return word.testBit(nonce.and(BigInteger.valueOf(0xff)).intValueExact());
  }

  /** ERC-20 {@code allowance(owner, Permit2)}. */
  public static String allowanceCalldata(String owner) {
    return FunctionEncoder.encode(
        new Function(
            "allowance",
            List.of(new Address(owner), new Address(ADDRESS)),
            List.of(new TypeReference<Uint256>() {})));
  }

  /** The proxy's {@code PERMIT2()} (the official diagnostic's "is the proxy deployed" probe). */
  public static String permit2GetterCalldata() {
    return FunctionEncoder.encode(new Function("PERMIT2", List.of(), List.of()));
  }
}
