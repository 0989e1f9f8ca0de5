package io.attest402.x402.evm;

import io.attest402.x402.types.ErrorReasons;
import java.util.regex.Pattern;

/**
 * Maps an EIP-3009 transfer failure message (revert text or node error) to the official reason
 * code, in the official order ({@code parseEip3009TransferError}); anything unrecognised is {@link
 * ErrorReasons#TRANSACTION_FAILED}.
 */
public final class RevertReasons {
  private RevertReasons() {}

  private static final int CI = Pattern.CASE_INSENSITIVE;
  private static final Pattern EXPIRED =
      Pattern.compile("authorization.*(expired|valid before)", CI);
  private static final Pattern EXPIRED2 = Pattern.compile("AuthorizationExpired", CI);
  private static final Pattern NOT_YET =
      Pattern.compile("authorization.*not.*valid|AuthorizationNotYetValid", CI);
  private static final Pattern USED =
      Pattern.compile(
          "authorization.*used|AuthorizationAlreadyUsed|AuthorizationUsedOrCanceled", CI);
  private static final Pattern BALANCE =
      Pattern.compile(
          "transfer.*exceeds.*balance|insufficient.*balance|ERC20InsufficientBalance", CI);
  private static final Pattern SIGNATURE =
      Pattern.compile("invalid.*signature|SignerMismatch|InvalidSignatureV|InvalidSignatureS", CI);

  public static String map(String message) {
    String m = message == null ? "" : message;
    if (EXPIRED.matcher(m).find() || EXPIRED2.matcher(m).find()) {
      return ErrorReasons.VALID_BEFORE_EXPIRED;
    }
    if (NOT_YET.matcher(m).find()) {
      return ErrorReasons.VALID_AFTER_IN_FUTURE;
    }
    if (USED.matcher(m).find()) {
      return ErrorReasons.NONCE_ALREADY_USED;
    }
    if (BALANCE.matcher(m).find()) {
      return ErrorReasons.INSUFFICIENT_BALANCE;
    }
    if (SIGNATURE.matcher(m).find()) {
      return ErrorReasons.INVALID_SIGNATURE;
    }
    return ErrorReasons.TRANSACTION_FAILED;
  }

  private static final java.util.Map<String, String> PERMIT2_ERRORS = permit2Errors();

  private static java.util.Map<String, String> permit2Errors() {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put("Permit2612AmountMismatch()", ErrorReasons.PERMIT2_2612_AMOUNT_MISMATCH);
    m.put("InvalidAmount()", ErrorReasons.PERMIT2_INVALID_AMOUNT);
    m.put("InvalidDestination()", ErrorReasons.PERMIT2_INVALID_DESTINATION);
    m.put("InvalidOwner()", ErrorReasons.PERMIT2_INVALID_OWNER);
    m.put("PaymentTooEarly()", ErrorReasons.PERMIT2_PAYMENT_TOO_EARLY);
    m.put("InvalidSignature()", ErrorReasons.PERMIT2_INVALID_SIGNATURE);
    m.put("InvalidSigner()", ErrorReasons.PERMIT2_INVALID_SIGNATURE);
    m.put("SignatureExpired(uint256)", ErrorReasons.PERMIT2_INVALID_SIGNATURE);
    m.put("InvalidNonce()", ErrorReasons.PERMIT2_INVALID_NONCE);
    return m;
  }

  /**
   * Maps a failed Permit2 proxy call (its message and revert data, as the node reports them) to the
   * official reason ({@code mapSettleError}): by the custom error's name or its selector; else
   * {@link ErrorReasons#TRANSACTION_FAILED}.
   */
  public static String mapPermit2(String message) {
    return mapCustomError(message, PERMIT2_ERRORS);
  }

  private static final java.util.Map<String, String> UPTO_ERRORS = uptoErrors();

  private static java.util.Map<String, String> uptoErrors() {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>(permit2Errors());
    m.put("AmountExceedsPermitted()", ErrorReasons.UPTO_AMOUNT_EXCEEDS_PERMITTED);
    m.put("UnauthorizedFacilitator()", ErrorReasons.UPTO_UNAUTHORIZED_FACILITATOR);
    return m;
  }

  /**
   * {@link #mapPermit2} for the {@code upto} proxy ({@code mapSettleError} of {@code @x402/evm}'s
   * upto facilitator): the Permit2 errors, then {@code AmountExceedsPermitted} and {@code
   * UnauthorizedFacilitator}.
   */
  public static String mapUpto(String message) {
    return mapCustomError(message, UPTO_ERRORS);
  }

  private static String mapCustomError(String message, java.util.Map<String, String> errors) {
    String m = message == null ? "" : message;
    String lower = m.toLowerCase(java.util.Locale.ROOT);
    for (var e : errors.entrySet()) {
      String name = e.getKey().substring(0, e.getKey().indexOf('('));
      String selector =
          org.web3j.utils.Numeric.toHexString(
                  org.web3j.crypto.Hash.sha3(
                      e.getKey().getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
              .substring(0, 10);
      if (m.contains(name) || lower.contains(selector)) {
        return e.getValue();
      }
    }
    return ErrorReasons.TRANSACTION_FAILED;
  }
}
