package io.attest402.x402.credential;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * What a payer signs to claim a credential for a transfer it sent itself: an EIP-191 ({@code
 * personal_sign}) message naming the transaction, the resource and the facilitator asked, so that
 * someone who merely saw the transaction cannot claim it, and a claim for one facilitator or
 * resource is worthless at another. EIP-191 rather than EIP-712: every wallet signs it and there is
 * no contract domain to bind.
 */
public final class CredentialClaim {
  private CredentialClaim() {}

  /** The exact text signed. */
  public static String message(
      String network, String transaction, String resource, String facilitator) {
    Objects.requireNonNull(resource, "resource");
    return "attest402 payer-settled credential\n"
        + "network: "
        + network
        + "\ntransaction: "
        + transaction.toLowerCase(Locale.ROOT)
        + "\nresource: "
        + resource
        + "\nfacilitator: "
        + facilitator.toLowerCase(Locale.ROOT);
  }

  /** The payer's signature (65 bytes r||s||v, hex) over {@link #message}. */
  public static String sign(
      String network, String transaction, String resource, String facilitator, ECKeyPair payer) {
    Sign.SignatureData s =
        Sign.signPrefixedMessage(
            message(network, transaction, resource, facilitator).getBytes(StandardCharsets.UTF_8),
            payer);
    byte[] out = new byte[65];
    System.arraycopy(s.getR(), 0, out, 0, 32);
    System.arraycopy(s.getS(), 0, out, 32, 32);
    out[64] = s.getV()[0];
    return Numeric.toHexString(out);
  }

  /** The address that signed {@link #message}, or empty when the signature is malformed. */
  public static Optional<String> recover(
      String network, String transaction, String resource, String facilitator, byte[] sig) {
    if (sig == null || sig.length != 65) {
      return Optional.empty();
    }
    byte v = sig[64];
    if (v == 0 || v == 1) {
      v += 27;
    }
    if (v != 27 && v != 28) {
      return Optional.empty();
    }
    byte[] r = java.util.Arrays.copyOfRange(sig, 0, 32);
    byte[] s = java.util.Arrays.copyOfRange(sig, 32, 64);
    // high s is malleable: refused, as for receipts and EIP-3009
    if (new java.math.BigInteger(1, s).compareTo(Sign.CURVE_PARAMS.getN().shiftRight(1)) > 0) {
      return Optional.empty();
    }
    try {
      java.math.BigInteger pub =
          Sign.signedPrefixedMessageToKey(
              message(network, transaction, resource, facilitator).getBytes(StandardCharsets.UTF_8),
              new Sign.SignatureData(v, r, s));
      return Optional.of(
          org.web3j.crypto.Keys.toChecksumAddress(org.web3j.crypto.Keys.getAddress(pub)));
    } catch (java.security.SignatureException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
