package io.attest402.x402.extensions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import java.util.regex.Pattern;

/**
 * What the gas-sponsoring extensions ({@link Eip2612GasSponsoring}, {@code
 * Erc20ApprovalGasSponsoring}) share: reading a payment's {@code extensions[KEY].info} as the
 * official extraction does, and the field formats of the official info checks.
 */
public final class GasSponsoringInfo {
  private GasSponsoringInfo() {}

  /** {@code ^0x[a-fA-F0-9]{40}$}. */
  public static final Pattern ADDRESS = Pattern.compile("0x[a-fA-F0-9]{40}");

  /** {@code ^[0-9]+$}. */
  public static final Pattern NUMBER = Pattern.compile("[0-9]+");

  /** {@code ^0x[a-fA-F0-9]+$}. */
  public static final Pattern HEX = Pattern.compile("0x[a-fA-F0-9]+");

  /** {@code ^[0-9]+(\.[0-9]+)*$}. */
  public static final Pattern VERSION = Pattern.compile("[0-9]+(\\.[0-9]+)*");

  /**
   * The part of the official info checks both extensions share: {@code from}, {@code asset} and
   * {@code spender} addresses, a decimal {@code amount}, a dotted {@code version}.
   */
  public static boolean approvalWellFormed(
      String from, String asset, String spender, String amount, String version) {
    return ADDRESS.matcher(from).matches()
        && ADDRESS.matcher(asset).matches()
        && ADDRESS.matcher(spender).matches()
        && NUMBER.matcher(amount).matches()
        && VERSION.matcher(version).matches();
  }

  /**
   * The {@code names} fields of {@code payment.extensions[key].info} as text, in that order; null
   * when the payment carries no such info or one field is missing, empty or not a value (the
   * official extraction treats such a payment as one without the extension).
   */
  public static String[] fields(PaymentPayload payment, String key, String... names) {
    ObjectNode ext = payment.extensions();
    if (ext == null) {
      return null;
    }
    JsonNode info = ext.path(key).path("info");
    if (!info.isObject()) {
      return null;
    }
    String[] f = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      JsonNode v = info.get(names[i]);
      if (v == null || !v.isValueNode() || v.asText().isEmpty()) {
        return null;
      }
      f[i] = v.asText();
    }
    return f;
  }
}
