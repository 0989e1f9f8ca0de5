package io.attest402.x402.receipt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import java.util.Objects;

/**
 * Signs receipts as compact JWS, ES256K (RFC 8812): the signature is {@code r || s} (64 bytes, low
 * s) over SHA-256 of the JWS signing input, produced by a {@link DigestSigner} so the private key
 * never has to be a JCA key here (the enclave key signs digests). The first signature is checked to
 * recover to the configured address before its receipt is returned, so a miswired signer (one
 * holding another key) fails loudly on the first receipt instead of emitting unverifiable ones;
 * later signatures are not recovered again (a recovery costs more than the signature). Thread-safe
 * when the DigestSigner is.
 *
 * <p>Wiring with the enclave key: {@code new ReceiptSigner(key.address(), key::signDigestRsv)}.
 */
public final class ReceiptSigner {
  private final String address;
  private final DigestSigner signer;
  private volatile boolean wiringChecked;

  public ReceiptSigner(String signerAddress, DigestSigner signer) {
    this.address = Objects.requireNonNull(signerAddress, "signerAddress");
    this.signer = Objects.requireNonNull(signer, "signer");
    if (!signerAddress.matches("0x[0-9a-fA-F]{40}")) {
      throw new IllegalArgumentException("signer address must be 0x + 40 hex digits");
    }
  }

  public String address() {
    return address;
  }

  /**
   * Signs the receipt for {@code facts} at journal position {@code seq}, linking to the receipt
   * before it.
   *
   * @param prevHash SHA-256 hex of the previous receipt's compact JWS ({@link
   *     SignedReceipt#hash()}), or {@link Receipt#ZERO_HASH} for seq 0
   */
  public SignedReceipt sign(SettlementFacts facts, long seq, String prevHash) {
    if (seq == 0 && !Receipt.ZERO_HASH.equals(prevHash)) {
      throw new IllegalArgumentException("the receipt with seq 0 links to the zero hash");
    }
    Receipt receipt = Receipt.of(facts, seq, prevHash, address);
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256K)
            .type(new JOSEObjectType(Es256k.TYPE))
            .keyID(address)
            .build();
    try {
      JWSObject jws = new JWSObject(header, new Payload(Es256k.JSON.writeValueAsString(receipt)));
      // the first signature is recovered and must be the address's (a signer holding another key
      // fails on the first receipt); later ones are not recovered again: a recovery costs more
      // than the signature, and the wiring does not change
      boolean check = !wiringChecked;
      jws.sign(new Es256kJwsSigner(address, signer, check));
      if (check) {
        wiringChecked = true;
      }
      String compact = jws.serialize();
      return new SignedReceipt(receipt, compact, Es256k.hash(compact));
    } catch (JsonProcessingException | JOSEException e) {
      throw new IllegalStateException("cannot sign receipt: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "ReceiptSigner[" + address + "]";
  }
}
