package io.attest402.x402.evm;

import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * Signs exact/EVM payments for one key, as the official client does: a random 32-byte nonce, {@code
 * validAfter = 0}, {@code validBefore = now + maxTimeoutSeconds}, {@code to = checksum(payTo)},
 * {@code value = amount}, domain from {@code extra.name}/{@code extra.version}, the network's chain
 * id and the asset.
 */
public final class Eip3009Signer {
  private final Credentials credentials;
  private final Clock clock;
  private final SecureRandom random;

  public Eip3009Signer(Credentials credentials, Clock clock, SecureRandom random) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  public Eip3009Signer(Credentials credentials, Clock clock) {
    this(credentials, clock, new SecureRandom());
  }

  /** The payer address, EIP-55 checksummed (as viem's account.address). */
  public String address() {
    return Keys.toChecksumAddress(credentials.getAddress());
  }

  /**
   * Builds and signs the payload for an exact/EVM offer.
   *
   * @throws IllegalArgumentException when the offer is not exact on an eip155 network, lacks the
   *     EIP-712 domain parameters, or its asset/payTo are not addresses
   */
  public ExactEvmPayload sign(PaymentRequirements requirements) {
    if (!"exact".equals(requirements.scheme())) {
      throw new IllegalArgumentException("not an exact offer: " + requirements.scheme());
    }
    Eip712Domain domain = Eip712Domain.of(requirements);
    if (!Addresses.isAddress(requirements.payTo())) {
      throw new IllegalArgumentException("payTo is not an address: " + requirements.payTo());
    }
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    long now = Math.floorDiv(clock.millis(), 1000L);
    ExactEvmPayload.Authorization auth =
        new ExactEvmPayload.Authorization(
            address(),
            Addresses.checksum(requirements.payTo()),
            requirements.amount(),
            BigInteger.ZERO,
            BigInteger.valueOf(now + requirements.maxTimeoutSeconds()),
            Numeric.toHexString(nonce));
    return sign(domain, auth);
  }

  /**
   * Signs an EIP-712 digest with the payer key (the Permit2 witness transfers of {@link
   * UptoSigner}); 65 bytes r || s || v, 0x-hex.
   */
  public String signDigest(byte[] digest) {
    return Signatures.sign(digest, credentials.getEcKeyPair());
  }

  /** Signs a given authorization under a given domain. */
  public ExactEvmPayload sign(Eip712Domain domain, ExactEvmPayload.Authorization auth) {
    byte[] digest = TransferWithAuthorization.digest(domain, auth);
    return new ExactEvmPayload(Signatures.sign(digest, credentials.getEcKeyPair()), auth);
  }

  /** Whether an offer asks for Permit2 ({@code extra.assetTransferMethod: "permit2"}). */
  public static boolean isPermit2(PaymentRequirements requirements) {
    return "permit2".equals(requirements.extraString("assetTransferMethod"));
  }

  /**
   * Builds and signs a Permit2 payload for an {@code exact} offer with {@code assetTransferMethod:
   * "permit2"} as the official client does ({@code createPermit2Payload}): a random 256-bit nonce,
   * spender the x402 exact proxy, {@code deadline = now + maxTimeoutSeconds}, witness {@code to =
   * checksum(payTo)}, {@code validAfter = 0}.
   *
   * @throws IllegalArgumentException when the offer is not exact on an eip155 network or its
   *     asset/payTo are not addresses
   */
  public Permit2Payload signPermit2(PaymentRequirements requirements) {
    if (!"exact".equals(requirements.scheme())) {
      throw new IllegalArgumentException("not an exact offer: " + requirements.scheme());
    }
    if (!Addresses.isAddress(requirements.payTo()) || !Addresses.isAddress(requirements.asset())) {
      throw new IllegalArgumentException("payTo or asset is not an address");
    }
    long chainId = Networks.chainId(requirements.network());
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    long now = Math.floorDiv(clock.millis(), 1000L);
    Permit2Payload.Authorization a =
        new Permit2Payload.Authorization(
            address(),
            Addresses.checksum(requirements.asset()),
            requirements.amount(),
            Permit2.EXACT_PROXY,
            new BigInteger(1, nonce),
            BigInteger.valueOf(now + requirements.maxTimeoutSeconds()),
            Addresses.checksum(requirements.payTo()),
            BigInteger.ZERO,
            null);
    return new Permit2Payload(
        Signatures.sign(Permit2.digest(chainId, a), credentials.getEcKeyPair()), a);
  }

  private static final byte[] PERMIT_TYPE_HASH =
      org.web3j.crypto.Hash.sha3(
          "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));

  /**
   * The EIP-2612 {@code permit(owner, Permit2, value, nonce, deadline)} signature the {@code
   * eip2612GasSponsoring} extension carries, under the token's domain {@code domain}.
   */
  public String signEip2612Permit(
      Eip712Domain domain, BigInteger value, BigInteger nonce, BigInteger deadline) {
    java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream(192);
    s.writeBytes(PERMIT_TYPE_HASH);
    s.writeBytes(Abi.address(address()));
    s.writeBytes(Abi.address(Permit2.ADDRESS));
    s.writeBytes(Abi.uint256(value));
    s.writeBytes(Abi.uint256(nonce));
    s.writeBytes(Abi.uint256(deadline));
    byte[] digest = domain.digest(org.web3j.crypto.Hash.sha3(s.toByteArray()));
    return Signatures.sign(digest, credentials.getEcKeyPair());
  }

  /** {@code approve(Permit2, MaxUint256)}, the calldata of {@link #signPermit2Approval}. */
  public static final String PERMIT2_APPROVE_CALLDATA =
      org.web3j.abi.FunctionEncoder.encode(
          new org.web3j.abi.datatypes.Function(
              "approve",
              java.util.List.of(
                  new org.web3j.abi.datatypes.Address(Permit2.ADDRESS),
                  new org.web3j.abi.datatypes.generated.Uint256(
                      BigInteger.TWO.pow(256).subtract(BigInteger.ONE))),
              java.util.List.of()));

  /**
   * The payer's own EIP-1559 transaction {@code approve(Permit2, MaxUint256)} on {@code token}, the
   * {@code signedTransaction} of {@code erc20ApprovalGasSponsoring}, signed as the official client
   * signs it ({@code signErc20ApprovalTransaction}: no value, an empty access list); 0x-hex of the
   * serialized signed transaction.
   */
  public String signPermit2Approval(
      long chainId,
      String token,
      BigInteger nonce,
      BigInteger gasLimit,
      BigInteger maxFeePerGas,
      BigInteger maxPriorityFeePerGas) {
    if (!Addresses.isAddress(token)) {
      throw new IllegalArgumentException("token is not an address: " + token);
    }
    org.web3j.crypto.RawTransaction tx =
        org.web3j.crypto.RawTransaction.createTransaction(
            chainId,
            nonce,
            gasLimit,
            Addresses.checksum(token),
            BigInteger.ZERO,
            PERMIT2_APPROVE_CALLDATA,
            maxPriorityFeePerGas,
            maxFeePerGas);
    return Numeric.toHexString(org.web3j.crypto.TransactionEncoder.signMessage(tx, credentials));
  }
}
