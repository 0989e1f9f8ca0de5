package io.attest402.x402.evm;

import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import java.math.BigInteger;

/**
 * The Permit2 verification steps the official {@code verifyPermit2} (exact) and {@code
 * verifyUptoPermit2} (upto) share, in their order, for {@link ExactEvmVerifier} and {@link
 * UptoEvmVerifier}: each returns the official reason of the first check that fails, or null.
 */
final class Permit2Checks {
  private Permit2Checks() {}

  /** Spender is {@code proxy} ({@code invalid_permit2_spender}), then {@code witness.to}. */
  static String spenderAndRecipient(Permit2Payload.Authorization a, String proxy, String payTo) {
    if (!a.spender().equalsIgnoreCase(proxy)) {
      return ErrorReasons.PERMIT2_INVALID_SPENDER;
    }
    if (!a.to().equalsIgnoreCase(payTo)) {
      return ErrorReasons.PERMIT2_RECIPIENT_MISMATCH;
    }
    return null;
  }

  /**
   * {@code deadline >= now + 6}, {@code validAfter <= now}, {@code permitted.amount == amount},
   * {@code permitted.token == asset}.
   */
  static String windowAmountAndToken(
      Permit2Payload.Authorization a, long nowSeconds, BigInteger amount, String asset) {
    if (a.deadline()
            .compareTo(
                BigInteger.valueOf(nowSeconds + ExactEvmVerifier.VALID_BEFORE_BUFFER_SECONDS))
        < 0) {
      return ErrorReasons.PERMIT2_DEADLINE_EXPIRED;
    }
    if (a.validAfter().compareTo(BigInteger.valueOf(nowSeconds)) > 0) {
      return ErrorReasons.PERMIT2_NOT_YET_VALID;
    }
    if (!a.amount().equals(amount)) {
      return ErrorReasons.PERMIT2_AMOUNT_MISMATCH;
    }
    if (!a.token().equalsIgnoreCase(asset)) {
      return ErrorReasons.PERMIT2_TOKEN_MISMATCH;
    }
    return null;
  }

  /**
   * The {@code eip2612GasSponsoring} permit a payload carries, checked ({@code
   * validateEip2612PermitForPayment}): {@code permit} null when there is none, {@code reason} set
   * when it fails a check.
   */
  record SponsoredPermit(String reason, Permit2.Eip2612Permit permit) {}

  static SponsoredPermit eip2612(
      PaymentPayload payload, String payer, String asset, long nowSeconds) {
    Eip2612GasSponsoring.Info info = Eip2612GasSponsoring.extract(payload);
    if (info == null) {
      return new SponsoredPermit(null, null);
    }
    String reason = ExactEvmVerifier.eip2612FieldReason(info, payer, asset, nowSeconds);
    if (reason != null) {
      return new SponsoredPermit(reason, null);
    }
    return new SponsoredPermit(null, ExactEvmVerifier.eip2612Permit(info));
  }

  /**
   * Strict SignatureChecker semantics over {@code digest}: ecrecover of exactly 65 bytes when the
   * signer has no code, ERC-1271 when it has.
   */
  static boolean digestSignatureValid(
      ChainAccess chain,
      Signatures.SPolicy sPolicy,
      byte[] digest,
      String signature,
      String signer,
      boolean signerHasCode) {
    byte[] sig = Hex.decode(signature);
    if (!signerHasCode) {
      if (Hex.strip(signature).length() != 130) {
        return false;
      }
      return Signatures.recover(digest, sig, sPolicy)
          .map(x -> x.equalsIgnoreCase(signer))
          .orElse(false);
    }
    return Erc1271.isValidSignature(chain, signer, digest, sig);
  }

  /**
   * Whether {@code address} has code ({@code eth_getCode} is not {@code 0x}).
   *
   * @throws ChainAccess.ChainAccessException when the lookup fails: a failure is not "no code"
   */
  static boolean hasCode(ChainAccess chain, String address, String what) {
    String code;
    try {
      code = chain.getCode(address);
    } catch (RuntimeException e) {
      throw new ChainAccess.ChainAccessException(what + ": " + e.getMessage(), e);
    }
    return code != null && !code.isEmpty() && !code.equals("0x");
  }
}
