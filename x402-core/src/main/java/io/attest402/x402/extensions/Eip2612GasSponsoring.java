package io.attest402.x402.extensions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.Wire;

/**
 * The {@code eip2612GasSponsoring} extension as {@code @x402/evm} 2.27 reads it: a server declares
 * it in its 402 ({@link #declaration()}), and a Permit2 payer without a Permit2 allowance adds
 * {@code info}: its EIP-2612 {@code permit(owner, Permit2, amount, deadline)} signature, which the
 * facilitator submits in the same transaction as the transfer ({@code settleWithPermit}), so the
 * payer never sends an approval itself.
 */
public final class Eip2612GasSponsoring {
  private Eip2612GasSponsoring() {}

  public static final String KEY = "eip2612GasSponsoring";

  /** The payer's signed permit, fields as on the wire (strings). */
  public record Info(
      String from,
      String asset,
      String spender,
      String amount,
      String nonce,
      String deadline,
      String signature,
      String version) {
    /** The official format check ({@code validateEip2612GasSponsoringInfo}). */
    public boolean wellFormed() {
      return GasSponsoringInfo.approvalWellFormed(from, asset, spender, amount, version)
          && GasSponsoringInfo.NUMBER.matcher(nonce).matches()
          && GasSponsoringInfo.NUMBER.matcher(deadline).matches()
          && GasSponsoringInfo.HEX.matcher(signature).matches();
    }
  }

  /** What a 402 declares: the extension with an empty {@code info}. */
  public static ObjectNode declaration() {
    ObjectNode d = Wire.newObject();
    d.putObject("info");
    return d;
  }

  /**
   * The payer's info, or null when the payment carries none or lacks a field (the official
   * extraction treats such a payment as one without the extension).
   */
  public static Info extract(PaymentPayload payment) {
    String[] f =
        GasSponsoringInfo.fields(
            payment,
            KEY,
            "from",
            "asset",
            "spender",
            "amount",
            "nonce",
            "deadline",
            "signature",
            "version");
    return f == null ? null : new Info(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
  }
}
