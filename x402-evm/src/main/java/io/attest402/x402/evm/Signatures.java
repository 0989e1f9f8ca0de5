package io.attest402.x402.evm;

import java.math.BigInteger;
import java.util.Optional;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * secp256k1 signatures over 32-byte digests in Ethereum's 65-byte {@code r || s || v} form.
 *
 * <p>Signing always produces low-s signatures with {@code v} 27/28. Recovery accepts {@code v} as
 * 27/28 or as the raw recovery id 0/1 (viem does the same) and can be told to refuse high-s
 * signatures, which USDC's and OpenZeppelin's ECDSA refuse on chain.
 */
public final class Signatures {
  private Signatures() {}

  /** secp256k1 group order n. */
  public static final BigInteger N = Sign.CURVE_PARAMS.getN();

  public static final BigInteger HALF_N = N.shiftRight(1);

  /** Whether recovery insists on low s. */
  public enum SPolicy {
    ALLOW_HIGH_S,
    REQUIRE_LOW_S
  }

  /** A parsed 65-byte signature with v normalised to 27/28. */
  public record Rsv(int v, byte[] r, byte[] s) {
    public int recoveryId() {
      return v - 27;
    }

    public BigInteger rValue() {
      return new BigInteger(1, r);
    }

    public BigInteger sValue() {
      return new BigInteger(1, s);
    }

    public boolean isLowS() {
      return sValue().compareTo(HALF_N) <= 0;
    }

    /** {@code r || s || v} with v 27/28. */
    public byte[] toBytes() {
      byte[] out = new byte[65];
      System.arraycopy(r, 0, out, 0, 32);
      System.arraycopy(s, 0, out, 32, 32);
      out[64] = (byte) v;
      return out;
    }
  }

  /** Signs a digest (no further hashing): low-s, v 27/28, returned as 0x hex of 65 bytes. */
  public static String sign(byte[] digest, ECKeyPair key) {
    if (digest.length != 32) {
      throw new IllegalArgumentException("digest must be 32 bytes");
    }
    Sign.SignatureData sd = Sign.signMessage(digest, key, false);
    byte[] out = new byte[65];
    System.arraycopy(sd.getR(), 0, out, 0, 32);
    System.arraycopy(sd.getS(), 0, out, 32, 32);
    out[64] = sd.getV()[0];
    return Numeric.toHexString(out);
  }

  /**
   * Splits a 65-byte signature, normalising v: 0/1 become 27/28; anything other than 0, 1, 27, 28
   * is refused.
   */
  public static Optional<Rsv> parse(byte[] sig) {
    if (sig.length != 65) {
      return Optional.empty();
    }
    int v = sig[64] & 0xff;
    if (v == 0 || v == 1) {
      v += 27;
    }
    if (v != 27 && v != 28) {
      return Optional.empty();
    }
    byte[] r = new byte[32];
    byte[] s = new byte[32];
    System.arraycopy(sig, 0, r, 0, 32);
    System.arraycopy(sig, 32, s, 0, 32);
    return Optional.of(new Rsv(v, r, s));
  }

  /**
   * ecrecover: the address (EIP-55 checksummed) that signed {@code digest}, or empty when the
   * signature is not 65 bytes, has a bad v, r or s out of range, s high under {@link
   * SPolicy#REQUIRE_LOW_S}, or recovers nothing.
   */
  public static Optional<String> recover(byte[] digest, byte[] sig, SPolicy policy) {
    Optional<Rsv> parsed = parse(sig);
    if (parsed.isEmpty() || digest.length != 32) {
      return Optional.empty();
    }
    Rsv rsv = parsed.get();
    BigInteger r = rsv.rValue();
    BigInteger s = rsv.sValue();
    if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) {
      return Optional.empty();
    }
    if (policy == SPolicy.REQUIRE_LOW_S && !rsv.isLowS()) {
      return Optional.empty();
    }
    try {
      BigInteger pub =
          Sign.recoverFromSignature(rsv.recoveryId(), new ECDSASignature(r, s), digest);
      if (pub == null) {
        return Optional.empty();
      }
      return Optional.of(Keys.toChecksumAddress(Keys.getAddress(pub)));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** ecrecover with low s required. */
  public static Optional<String> recover(byte[] digest, byte[] sig) {
    return recover(digest, sig, SPolicy.REQUIRE_LOW_S);
  }
}
