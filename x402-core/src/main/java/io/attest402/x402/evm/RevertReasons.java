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
}
