package io.attest402.x402.credential;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.attest402.x402.receipt.DigestSigner;
import io.attest402.x402.receipt.Es256kJwsSigner;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.Objects;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

/**
 * A payer-settled credential: the facilitator's statement that {@code payer} paid {@code amount} of
 * {@code asset} to {@code payTo} on {@code network} in transaction {@code tx}, for {@code
 * resource}, usable until {@code expiresAt}. Carried as a JWT ({@code typ
 * attest402-credential+jwt}), ES256K-signed by the facilitator's attested key ({@code iss} and
 * {@code kid}: its address).
 */
public record Credential(
    String issuer,
    String payer,
    String payTo,
    String asset,
    BigInteger amount,
    String network,
    String tx,
    String resource,
    Instant issuedAt,
    Instant expiresAt,
    String id) {
  public static final String TYPE = "attest402-credential+jwt";

  public Credential {
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(payer, "payer");
    Objects.requireNonNull(payTo, "payTo");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(tx, "tx");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(id, "id");
  }

  /** This credential as a compact JWT signed by {@code signer} (the key of {@link #issuer}). */
  public String sign(DigestSigner signer) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(payer)
            .jwtID(id)
            .issueTime(Date.from(issuedAt))
            .expirationTime(Date.from(expiresAt))
            .claim("payer", payer)
            .claim("payTo", payTo)
            .claim("asset", asset)
            .claim("amount", amount.toString())
            .claim("network", network)
            .claim("tx", tx)
            .claim("resource", resource)
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256K)
                .type(new JOSEObjectType(TYPE))
                .keyID(issuer)
                .build(),
            claims);
    try {
      jwt.sign(new Es256kJwsSigner(issuer, signer));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign credential: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  /**
   * The 65-byte uncompressed secp256k1 {@code publicKey} as a public JWK ({@code kid}: address).
   */
  public static ECKey jwk(byte[] publicKey) {
    if (publicKey == null || publicKey.length != 65 || publicKey[0] != 0x04) {
      throw new IllegalArgumentException("public key must be 65 bytes 0x04 || X || Y");
    }
    return new ECKey.Builder(
            Curve.SECP256K1,
            com.nimbusds.jose.util.Base64URL.encode(Arrays.copyOfRange(publicKey, 1, 33)),
            com.nimbusds.jose.util.Base64URL.encode(Arrays.copyOfRange(publicKey, 33, 65)))
        .keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.ES256K)
        .keyID(address(publicKey))
        .build();
  }

  /** The JWKS document ({@code {"keys":[...]}}) of one key. */
  public static String jwks(byte[] publicKey) {
    return new JWKSet(jwk(publicKey)).toString(true);
  }

  /** The EIP-55 address of a 65-byte uncompressed public key. */
  public static String address(byte[] publicKey) {
    return Keys.toChecksumAddress(
        Keys.getAddress(Numeric.toHexStringNoPrefix(Arrays.copyOfRange(publicKey, 1, 65))));
  }
}
