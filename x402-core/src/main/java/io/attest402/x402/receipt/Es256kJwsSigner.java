package io.attest402.x402.receipt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.util.Objects;
import java.util.Set;

/**
 * A nimbus {@link JWSSigner} for ES256K (RFC 8812) over a {@link DigestSigner}, so the enclave key
 * signs JWTs without being a JCA key: low-s {@code r || s}, each signature checked to recover to
 * {@code address} before it is returned (a miswired signer fails loudly), unless the caller has
 * checked the signer's wiring already ({@link ReceiptSigner} checks its first signature).
 */
public final class Es256kJwsSigner implements JWSSigner {
  private final String address;
  private final DigestSigner signer;
  private final boolean checkEach;
  private final JCAContext jca = new JCAContext();

  public Es256kJwsSigner(String address, DigestSigner signer) {
    this(address, signer, true);
  }

  Es256kJwsSigner(String address, DigestSigner signer, boolean checkEach) {
    this.address = Objects.requireNonNull(address, "address");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.checkEach = checkEach;
  }

  @Override
  public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
    if (!JWSAlgorithm.ES256K.equals(header.getAlgorithm())) {
      throw new JOSEException("only ES256K");
    }
    byte[] digest = Es256k.sha256(signingInput);
    byte[] rs = Es256k.toLowSRs(signer.signDigest(digest));
    if (checkEach && !Es256k.recoversTo(rs, digest, address)) {
      throw new JOSEException("the digest signer's signature does not belong to " + address);
    }
    return Base64URL.encode(rs);
  }

  @Override
  public Set<JWSAlgorithm> supportedJWSAlgorithms() {
    return Set.of(JWSAlgorithm.ES256K);
  }

  @Override
  public JCAContext getJCAContext() {
    return jca;
  }
}
