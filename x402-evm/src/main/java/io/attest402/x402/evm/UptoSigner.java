package io.attest402.x402.evm;

import io.attest402.x402.types.PaymentRequirements;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.Clock;

/**
 * Signs an {@code upto} offer as the official client does ({@code @x402/evm} 2.27.0 {@code
 * createUptoPermit2Payload}): a Permit2 {@code PermitWitnessTransferFrom} of at most {@code
 * requirements.amount} of the asset to the upto proxy, nonce 32 random bytes (decimal), {@code
 * deadline = now + maxTimeoutSeconds}, witness {@code {to: payTo, facilitator:
 * extra.facilitatorAddress, validAfter: 0}}, under Permit2's domain on the offer's chain.
 */
public final class UptoSigner {
  private UptoSigner() {}

  public static final String SCHEME = "upto";

  /**
   * @throws IllegalArgumentException when the offer is not upto on an eip155 network, lacks {@code
   *     extra.facilitatorAddress}, or its asset, payTo or facilitator are not addresses
   */
  public static Permit2Payload sign(
      Eip3009Signer payer, PaymentRequirements r, Clock clock, SecureRandom random) {
    if (!SCHEME.equals(r.scheme())) {
      throw new IllegalArgumentException("not an upto offer: " + r.scheme());
    }
    String facilitator = r.extraString("facilitatorAddress");
    if (facilitator == null) {
      throw new IllegalArgumentException(
          "upto offer lacks extra.facilitatorAddress: the server must take it from its"
              + " facilitator's /supported upto kind");
    }
    for (String[] a :
        new String[][] {{"asset", r.asset()}, {"payTo", r.payTo()}, {"facilitator", facilitator}}) {
      if (!Addresses.isAddress(a[1])) {
        throw new IllegalArgumentException(a[0] + " is not an address: " + a[1]);
      }
    }
    if (r.maxTimeoutSeconds() <= 0) {
      throw new IllegalArgumentException(
          "maxTimeoutSeconds must be positive, not " + r.maxTimeoutSeconds());
    }
    long chainId = Networks.chainId(r.network());
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    long now = Math.floorDiv(clock.millis(), 1000L);
    Permit2Payload.Authorization a =
        new Permit2Payload.Authorization(
            payer.address(),
            Addresses.checksum(r.asset()),
            r.amount(),
            Permit2.UPTO_PROXY,
            new BigInteger(1, nonce),
            BigInteger.valueOf(now + r.maxTimeoutSeconds()),
            Addresses.checksum(r.payTo()),
            BigInteger.ZERO,
            Addresses.checksum(facilitator));
    return new Permit2Payload(payer.signDigest(Permit2.digest(chainId, a)), a);
  }
}
