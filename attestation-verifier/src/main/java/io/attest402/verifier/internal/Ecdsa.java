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

/** ECDSA P-256 / SHA-256 with raw r||s signatures (the DCAP wire format). */
public final class Ecdsa {
    private static final ECParameterSpec P256;

    static {
        try {
            AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec("secp256r1"));
            P256 = p.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Ecdsa() {
    }

    public static ECParameterSpec p256() {
        return P256;
    }

    /** The P-256 public key X||Y (64 bytes, no 0x04 prefix). */
    public static PublicKey publicKey(byte[] xy) throws GeneralSecurityException {
        if (xy.length != 64) {
            throw new GeneralSecurityException("attestation key must be 64 bytes");
        }
        ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)),
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

    public static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }
}
