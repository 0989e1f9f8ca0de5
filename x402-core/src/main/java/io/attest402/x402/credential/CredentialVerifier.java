package io.attest402.x402.credential;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.math.BigInteger;
import java.text.ParseException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import org.web3j.crypto.Sign;

/**
 * Verifies a credential offline against the facilitators' attested keys the caller trusts: {@code
 * alg ES256K}, {@code typ attest402-credential+jwt}, {@code kid} and {@code iss} naming one of
 * those keys by address, a valid canonical (low-s) signature by that key, every claim present and
 * well formed, not expired. What it was paid for (resource, price, payTo, asset, network) is the
 * caller's check. Stateless.
 */
public final class CredentialVerifier {
  /** Longest JWT accepted (a credential is about 900 characters). */
  public static final int MAX_LENGTH = 4096;

  private static final BigInteger HALF_N = Sign.CURVE_PARAMS.getN().shiftRight(1);

  private CredentialVerifier() {}

  public static Credential verify(String compact, Collection<byte[]> trustedKeys, Instant now)
      throws CredentialException {
    if (compact == null || compact.isEmpty()) {
      throw new CredentialException("credential is missing");
    }
    if (compact.length() > MAX_LENGTH) {
      throw new CredentialException("credential is longer than " + MAX_LENGTH + " characters");
    }
    SignedJWT jwt;
    JWTClaimsSet c;
    try {
      jwt = SignedJWT.parse(compact);
      c = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new CredentialException("credential is not a signed JWT: " + e.getMessage(), e);
    }
    JWSHeader h = jwt.getHeader();
    if (!JWSAlgorithm.ES256K.equals(h.getAlgorithm())) {
      throw new CredentialException("credential alg is " + h.getAlgorithm() + ", expected ES256K");
    }
    if (h.getType() == null || !Credential.TYPE.equals(h.getType().getType())) {
      throw new CredentialException(
          "credential typ is " + h.getType() + ", expected " + Credential.TYPE);
    }
    if (h.getCriticalParams() != null && !h.getCriticalParams().isEmpty()) {
      throw new CredentialException("credential has critical header parameters");
    }
    String kid = h.getKeyID();
    byte[] key =
        kid == null
            ? null
            : trustedKeys.stream()
                .filter(k -> Credential.address(k).equalsIgnoreCase(kid))
                .findFirst()
                .orElse(null);
    if (key == null) {
      throw new CredentialException(
          "credential is issued by " + kid + ", not a facilitator this server trusts");
    }
    byte[] rs = jwt.getSignature().decode();
    if (rs.length != 64
        || new BigInteger(1, Arrays.copyOfRange(rs, 32, 64)).compareTo(HALF_N) > 0) {
      throw new CredentialException("credential signature is not a canonical 64-byte ES256K r||s");
    }
    try {
      ECDSAVerifier v =
          new ECDSAVerifier(
              Credential.jwk(key).toECPublicKey(BouncyCastleProviderSingleton.getInstance()));
      v.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
      if (!jwt.verify(v)) {
        throw new CredentialException(
            "credential signature does not verify with the attested key of " + kid);
      }
    } catch (JOSEException e) {
      throw new CredentialException("cannot verify the credential: " + e.getMessage(), e);
    }
    if (!kid.equalsIgnoreCase(c.getIssuer())) {
      throw new CredentialException("credential iss " + c.getIssuer() + " differs from kid " + kid);
    }
    Date exp = c.getExpirationTime();
    Date iat = c.getIssueTime();
    if (exp == null || iat == null) {
      throw new CredentialException("credential lacks exp or iat");
    }
    if (!now.isBefore(exp.toInstant())) {
      throw new CredentialException("credential expired at " + exp.toInstant());
    }
    try {
      String amount = text(c, "amount");
      if (!amount.matches("[0-9]{1,78}")) {
        throw new CredentialException("credential amount is not a decimal integer");
      }
      return new Credential(
          c.getIssuer(),
          text(c, "payer"),
          text(c, "payTo"),
          text(c, "asset"),
          new BigInteger(amount),
          text(c, "network"),
          text(c, "tx"),
          text(c, "resource"),
          iat.toInstant(),
          exp.toInstant(),
          c.getJWTID() == null ? "" : c.getJWTID());
    } catch (ParseException e) {
      throw new CredentialException("credential claims are malformed: " + e.getMessage(), e);
    }
  }

  private static String text(JWTClaimsSet c, String name)
      throws ParseException, CredentialException {
    String v = c.getStringClaim(name);
    if (v == null || v.isEmpty()) {
      throw new CredentialException("credential lacks the " + name + " claim");
    }
    return v;
  }
}
