package io.attest402.enclave;

import java.math.BigInteger;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

/**
 * Recoverable secp256k1 signatures with the recovery id known from the signing itself: the same RFC
 * 6979 deterministic ECDSA (HMAC-SHA256 nonces) as BouncyCastle's {@code ECDSASigner} behind
 * web3j's {@link Sign#signMessage(byte[], ECKeyPair, boolean)}, so the very same bytes, but {@code
 * v} comes from the parity of the nonce point {@code R = kG} (flipped when s is lowered) instead of
 * web3j's search, which recovers the public key for each candidate id (up to four point recoveries,
 * each dearer than the signature). The one case this does not cover, {@code R.x ≥ n} (recovery ids
 * 2 and 3, probability about 2^-128), falls back to web3j.
 */
final class RecoverableSigning {
  private static final ECDomainParameters CURVE =
      new ECDomainParameters(
          Sign.CURVE_PARAMS.getCurve(),
          Sign.CURVE_PARAMS.getG(),
          Sign.CURVE_PARAMS.getN(),
          Sign.CURVE_PARAMS.getH());
  private static final BigInteger N = CURVE.getN();
  private static final BigInteger HALF_N = N.shiftRight(1);
  private static final FixedPointCombMultiplier BASE = new FixedPointCombMultiplier();

  private RecoverableSigning() {}

  /** {@link Sign#signMessage(byte[], ECKeyPair, boolean)} with {@code needToHash = false}. */
  static Sign.SignatureData signDigest(byte[] digest32, ECKeyPair key) {
    if (digest32.length != 32) {
      throw new IllegalArgumentException("digest must be 32 bytes, got " + digest32.length);
    }
    BigInteger d = key.getPrivateKey();
    BigInteger e = new BigInteger(1, digest32); // 256-bit digest, 256-bit n: no truncation
    HMacDSAKCalculator k = new HMacDSAKCalculator(new SHA256Digest());
    k.init(N, d, digest32);
    while (true) {
      BigInteger nonce = k.nextK();
      ECPoint p = BASE.multiply(CURVE.getG(), nonce).normalize();
      BigInteger x = p.getAffineXCoord().toBigInteger();
      BigInteger r = x.mod(N);
      if (r.signum() == 0) {
        continue;
      }
      BigInteger s = nonce.modInverse(N).multiply(e.add(d.multiply(r))).mod(N);
      if (s.signum() == 0) {
        continue;
      }
      if (x.compareTo(N) >= 0) {
        return Sign.signMessage(digest32, key, false); // recovery id 2 or 3: web3j's search
      }
      int recId = p.getAffineYCoord().toBigInteger().testBit(0) ? 1 : 0;
      if (s.compareTo(HALF_N) > 0) {
        s = N.subtract(s); // (r, n - s) is the signature for -R: the other parity
        recId ^= 1;
      }
      return new Sign.SignatureData(
          (byte) (27 + recId), Numeric.toBytesPadded(r, 32), Numeric.toBytesPadded(s, 32));
    }
  }

  /** {@link TransactionEncoder#signMessage(RawTransaction, long, org.web3j.crypto.Credentials)}. */
  static byte[] signTransaction(RawTransaction tx, long chainId, ECKeyPair key) {
    if (tx.getType().isLegacy()) {
      byte[] encoded = TransactionEncoder.encode(tx, chainId);
      Sign.SignatureData sig = signDigest(org.web3j.crypto.Hash.sha3(encoded), key);
      return TransactionEncoder.encode(
          tx, TransactionEncoder.createEip155SignatureData(sig, chainId));
    }
    if (!tx.getType().isEip1559()) {
      return TransactionEncoder.signMessage(tx, chainId, org.web3j.crypto.Credentials.create(key));
    }
    byte[] encoded = TransactionEncoder.encode(tx);
    return TransactionEncoder.encode(tx, signDigest(org.web3j.crypto.Hash.sha3(encoded), key));
  }
}
