package io.attest402.x402.receipt;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/** secp256k1 helpers shared by signer and verifiers. */
final class Es256k {
  static final String TYPE = "attest402-receipt+jws";
  static final BigInteger N = Sign.CURVE_PARAMS.getN();
  static final BigInteger HALF_N = N.shiftRight(1);
  static final ObjectMapper JSON =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
          .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

  private Es256k() {}

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SHA-256 of the compact JWS, lowercase hex: the next receipt's {@code prev}. */
  static String hash(String compactJws) {
    return HexFormat.of().formatHex(sha256(compactJws.getBytes(StandardCharsets.US_ASCII)));
  }

  /**
   * Normalises a signer's output (65 bytes r||s||v or 64 bytes r||s) to 64 bytes r||s with low s.
   */
  static byte[] toLowSRs(byte[] sig) {
    if (sig == null || (sig.length != 64 && sig.length != 65)) {
      throw new IllegalStateException("digest signer must return 64 (r||s) or 65 (r||s||v) bytes");
    }
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    if (s.compareTo(HALF_N) > 0) {
      s = N.subtract(s);
    }
    byte[] out = new byte[64];
    put32(r, out, 0);
    put32(s, out, 32);
    return out;
  }

  private static void put32(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }

  /**
   * True when some recovery id recovers {@code address} from the r||s signature over {@code
   * digest}.
   */
  static boolean recoversTo(byte[] rs, byte[] digest, String address) {
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(rs, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, 32, 64));
    if (r.signum() == 0 || s.signum() == 0 || r.compareTo(N) >= 0 || s.compareTo(N) >= 0) {
      return false;
    }
    for (int recId = 0; recId < 2; recId++) {
      BigInteger pub = Sign.recoverFromSignature(recId, new ECDSASignature(r, s), digest);
      if (pub != null && ("0x" + Keys.getAddress(pub)).equalsIgnoreCase(address)) {
        return true;
      }
    }
    return false;
  }
}
