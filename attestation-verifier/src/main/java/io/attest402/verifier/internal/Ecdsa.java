package io.attest402.verifier.internal;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;

/** ECDSA P-256 / SHA-256 with raw r||s signatures (the DCAP wire format). */
public final class Ecdsa {
  private static final ECParameterSpec P256;

  /**
   * BouncyCastle's dedicated P-256 arithmetic: several times faster than the JDK's for
   * verification.
   */
  private static final X9ECParameters BC_P256 = CustomNamedCurves.getByName("secp256r1");

  private static final ECDomainParameters BC_DOMAIN =
      new ECDomainParameters(BC_P256.getCurve(), BC_P256.getG(), BC_P256.getN(), BC_P256.getH());

  static {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec("secp256r1"));
      P256 = p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private Ecdsa() {}

  public static ECParameterSpec p256() {
    return P256;
  }

  /** The P-256 public key X||Y (64 bytes, no 0x04 prefix). */
  public static PublicKey publicKey(byte[] xy) throws GeneralSecurityException {
    if (xy.length != 64) {
      throw new GeneralSecurityException("attestation key must be 64 bytes");
    }
    ECPoint w =
        new ECPoint(
            new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)),
            new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, P256));
  }

  public static byte[] rawPublicKey(PublicKey key) {
    ECPoint w = ((ECPublicKey) key).getW();
    byte[] out = new byte[64];
    put32(w.getAffineX(), out, 0);
    put32(w.getAffineY(), out, 32);
    return out;
  }

  private static void put32(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int len = Math.min(b.length, 32);
    System.arraycopy(b, b.length - len, out, off + 32 - len, len);
  }

  /** Verifies a raw r||s signature; false on any mismatch or malformed input. */
  public static boolean verify(PublicKey key, byte[] data, byte[] rawSignature) {
    if (rawSignature.length != 64) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initVerify(key);
      s.update(data);
      return s.verify(rawSignature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /**
   * A P-256 public key X||Y (64 bytes) for {@link #verify(ECPublicKeyParameters, byte[], byte[])};
   * keep it to reuse its precomputed multiples. IllegalArgumentException when the point is not on
   * the curve.
   */
  public static ECPublicKeyParameters verificationKey(byte[] xy) {
    if (xy.length != 64) {
      throw new IllegalArgumentException("P-256 public key must be 64 bytes");
    }
    org.bouncycastle.math.ec.ECPoint q =
        BC_P256
            .getCurve()
            .createPoint(
                new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)),
                new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
    if (!q.isValid() || q.isInfinity()) {
      throw new IllegalArgumentException("not a point on P-256");
    }
    return new ECPublicKeyParameters(q, BC_DOMAIN);
  }

  /**
   * Verifies a raw r||s SHA-256 ECDSA signature with BouncyCastle; false on any mismatch or
   * malformed input.
   */
  public static boolean verify(ECPublicKeyParameters key, byte[] data, byte[] rawSignature) {
    if (rawSignature.length != 64) {
      return false;
    }
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(rawSignature, 0, 32));
    BigInteger sv = new BigInteger(1, Arrays.copyOfRange(rawSignature, 32, 64));
    BigInteger n = BC_DOMAIN.getN();
    if (r.signum() == 0 || sv.signum() == 0 || r.compareTo(n) >= 0 || sv.compareTo(n) >= 0) {
      return false;
    }
    try {
      byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(data);
      ECDSASigner signer = new ECDSASigner();
      signer.init(false, key);
      return signer.verifySignature(hash, r, sv);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  public static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(key);
    s.update(data);
    return s.sign();
  }
}
