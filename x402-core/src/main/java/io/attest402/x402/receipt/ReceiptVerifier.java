package io.attest402.x402.receipt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.math.BigInteger;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.Arrays;
import java.util.Objects;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * Verifies one receipt against the facilitator's attested identity: by address (signature recovery;
 * what a payer has from the attestation document) or by public key (standard ES256K verification
 * through nimbus-jose-jwt with the BouncyCastle provider, plus the address check). Accepted only
 * when the header is {@code alg=ES256K, typ=attest402-receipt+jws}, {@code kid} equals the {@code
 * signer} claim, the signer is the expected one, the signature is valid and canonical (low s), and
 * the claims are well formed. Stateless.
 */
public final class ReceiptVerifier {
  private ReceiptVerifier() {}

  /** Verifies {@code compactJws} as signed by {@code expectedAddress}; returns its claims. */
  public static Receipt verify(String compactJws, String expectedAddress) throws ReceiptException {
    Objects.requireNonNull(expectedAddress, "expectedAddress");
    Parsed p = parse(compactJws);
    checkSigner(p, expectedAddress);
    byte[] digest = Es256k.sha256(p.jws.getSigningInput());
    if (!Es256k.recoversTo(p.rs, digest, expectedAddress)) {
      throw new ReceiptException(
          "receipt seq "
              + p.receipt.seq()
              + ": signature is not valid for "
              + expectedAddress
              + " (altered or signed by another key)");
    }
    return p.receipt;
  }

  /**
   * Verifies {@code compactJws} with the 65-byte uncompressed secp256k1 {@code publicKey} (ES256K
   * via nimbus and BouncyCastle) and checks that the signer claim is that key's address.
   */
  public static Receipt verify(String compactJws, byte[] publicKey) throws ReceiptException {
    if (publicKey == null || publicKey.length != 65 || publicKey[0] != 0x04) {
      throw new IllegalArgumentException("public key must be 65 bytes 0x04 || X || Y");
    }
    String address =
        Keys.toChecksumAddress(
            Keys.getAddress(Numeric.toHexStringNoPrefix(Arrays.copyOfRange(publicKey, 1, 65))));
    Parsed p = parse(compactJws);
    checkSigner(p, address);
    try {
      ECPublicKey key =
          new ECKey.Builder(
                  Curve.SECP256K1,
                  Base64URL.encode(Arrays.copyOfRange(publicKey, 1, 33)),
                  Base64URL.encode(Arrays.copyOfRange(publicKey, 33, 65)))
              .build()
              .toECPublicKey(BouncyCastleProviderSingleton.getInstance());
      ECDSAVerifier verifier = new ECDSAVerifier(key);
      verifier.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
      if (!p.jws.verify(verifier)) {
        throw new ReceiptException(
            "receipt seq "
                + p.receipt.seq()
                + ": ES256K signature does not verify with "
                + "the attested public key (altered or signed by another key)");
      }
    } catch (JOSEException | IllegalStateException e) {
      throw new ReceiptException(
          "receipt seq " + p.receipt.seq() + ": cannot verify ES256K signature: " + e.getMessage(),
          e);
    }
    return p.receipt;
  }

  /** SHA-256 of the compact JWS (lowercase hex): what the next receipt carries as {@code prev}. */
  public static String hash(String compactJws) {
    return Es256k.hash(compactJws);
  }

  /**
   * The claims of a receipt without checking its signature (for diagnostics, e.g. to name the seq
   * of a receipt whose signature failed). Never trust the result without {@link #verify}.
   */
  public static Receipt readUnverified(String compactJws) throws ReceiptException {
    return parse(compactJws).receipt;
  }

  private record Parsed(JWSObject jws, Receipt receipt, byte[] rs) {}

  private static Parsed parse(String compactJws) throws ReceiptException {
    if (compactJws == null) {
      throw new ReceiptException("receipt is missing");
    }
    JWSObject jws;
    try {
      jws = JWSObject.parse(compactJws.strip());
    } catch (ParseException e) {
      throw new ReceiptException("receipt is not a compact JWS: " + e.getMessage(), e);
    }
    JWSHeader h = jws.getHeader();
    if (!JWSAlgorithm.ES256K.equals(h.getAlgorithm())) {
      throw new ReceiptException("receipt alg is " + h.getAlgorithm() + ", expected ES256K");
    }
    if (h.getType() == null || !Es256k.TYPE.equals(h.getType().getType())) {
      throw new ReceiptException("receipt typ is " + h.getType() + ", expected " + Es256k.TYPE);
    }
    if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
      throw new ReceiptException("receipt has critical header parameters " + h.getCriticalParams());
    }
    Receipt r;
    try {
      r = Es256k.JSON.readValue(jws.getPayload().toBytes(), Receipt.class);
    } catch (IOException | RuntimeException e) {
      throw new ReceiptException("receipt claims are malformed: " + e.getMessage(), e);
    }
    if (r == null) {
      throw new ReceiptException("receipt claims are empty");
    }
    if (h.getKeyID() == null || !h.getKeyID().equalsIgnoreCase(r.signer())) {
      throw new ReceiptException(
          "receipt seq "
              + r.seq()
              + ": header kid "
              + h.getKeyID()
              + " differs from signer claim "
              + r.signer());
    }
    byte[] rs = jws.getSignature().decode();
    if (rs.length != 64) {
      throw new ReceiptException(
          "receipt seq " + r.seq() + ": ES256K signature must be 64 bytes r||s, got " + rs.length);
    }
    if (new BigInteger(1, Arrays.copyOfRange(rs, 32, 64)).compareTo(Es256k.HALF_N) > 0) {
      throw new ReceiptException(
          "receipt seq " + r.seq() + ": signature has a high s (non-canonical, malleated)");
    }
    return new Parsed(jws, r, rs);
  }

  private static void checkSigner(Parsed p, String expectedAddress) throws ReceiptException {
    if (!p.receipt.signer().equalsIgnoreCase(expectedAddress)) {
      throw new ReceiptException(
          "receipt seq "
              + p.receipt.seq()
              + " is signed as "
              + p.receipt.signer()
              + ", not the attested facilitator "
              + expectedAddress);
    }
  }
}
