package io.attest402.enclave;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.web3j.crypto.Sign;

/**
 * Freshness without a new quote: the facilitator answers {@code GET /attestation?nonce=HEX32} with
 * its startup quote plus this ES256K signature by the attested key over the caller's nonce and the
 * time. The key never leaves the enclave, so a valid signature over a nonce the caller just chose
 * proves the attested enclave is live now, as a fresh quote would, without a quoting round trip
 * (and so without a global quote budget).
 *
 * <p>Signed digest: {@code SHA-256(DOMAIN || 0x00 || nonce (32 bytes) || time (unix seconds, uint64
 * big-endian))}; signature {@code r || s || v} (65 bytes hex, low-s, v = 27/28), verified by
 * recovering the signer's public key and comparing it with the key the quote binds.
 *
 * @param domain always {@link #DOMAIN}
 * @param nonce the caller's 32-byte nonce, lowercase hex
 * @param time when the enclave signed, unix seconds
 * @param signature {@code r || s || v}, lowercase hex
 */
public record FreshnessProof(String domain, String nonce, long time, String signature) {
  public static final String DOMAIN = "attest402-attestation-freshness-v1";

  /** Default tolerance on either side of the verifier's clock. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(2);

  /** Signs {@code nonce32} at {@code at} with the enclave key. */
  public static FreshnessProof sign(EnclaveKey key, byte[] nonce32, Instant at) {
    if (nonce32 == null || nonce32.length != KeyBinding.NONCE_BYTES) {
      throw new IllegalArgumentException("nonce must be 32 bytes");
    }
    long t = at.getEpochSecond();
    byte[] sig = key.signDigestRsv(digest(nonce32, t));
    HexFormat hex = HexFormat.of();
    return new FreshnessProof(DOMAIN, hex.formatHex(nonce32), t, hex.formatHex(sig));
  }

  /** The digest the enclave signs. */
  public static byte[] digest(byte[] nonce32, long unixSeconds) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(DOMAIN.getBytes(StandardCharsets.US_ASCII));
      d.update((byte) 0);
      d.update(nonce32);
      d.update(ByteBuffer.allocate(8).putLong(unixSeconds).array());
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks this proof for the caller's {@code expectedNonce}, signed by {@code publicKey65} within
   * {@code window} of {@code now}. Empty when it holds, else the reason.
   */
  @JsonIgnore
  public Optional<String> problem(
      byte[] expectedNonce, byte[] publicKey65, Instant now, Duration window) {
    if (!DOMAIN.equals(domain)) {
      return Optional.of("freshness proof has domain " + domain + ", expected " + DOMAIN);
    }
    byte[] n;
    byte[] sig;
    try {
      n = HexFormat.of().parseHex(AttestationDocument.strip0x(nonce));
      sig = HexFormat.of().parseHex(AttestationDocument.strip0x(signature));
    } catch (RuntimeException e) {
      return Optional.of("freshness proof nonce or signature is not hex");
    }
    if (!Arrays.equals(n, expectedNonce)) {
      return Optional.of(
          "freshness proof answers nonce "
              + HexFormat.of().formatHex(n)
              + ", not the requested "
              + HexFormat.of().formatHex(expectedNonce));
    }
    long skew = now.getEpochSecond() - time;
    if (Math.abs(skew) > window.getSeconds()) {
      return Optional.of(
          "freshness proof was signed at "
              + Instant.ofEpochSecond(time)
              + ", "
              + Math.abs(skew)
              + " s "
              + (skew > 0 ? "before" : "after")
              + " now ("
              + now
              + "); allowed window "
              + window.getSeconds()
              + " s");
    }
    if (sig.length != 65) {
      return Optional.of(
          "freshness signature is " + sig.length + " bytes, expected 65 (r || s || v)");
    }
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    if (s.compareTo(Sign.CURVE_PARAMS.getN().shiftRight(1)) > 0) {
      return Optional.of("freshness signature is not low-s");
    }
    BigInteger recovered;
    try {
      recovered =
          Sign.signedMessageHashToKey(
              digest(n, time),
              new Sign.SignatureData(
                  sig[64], Arrays.copyOfRange(sig, 0, 32), Arrays.copyOfRange(sig, 32, 64)));
    } catch (RuntimeException | java.security.SignatureException e) {
      return Optional.of("freshness signature does not verify: " + e.getMessage());
    }
    if (!recovered.equals(new BigInteger(1, Arrays.copyOfRange(publicKey65, 1, 65)))) {
      return Optional.of("freshness signature is not by the attested key");
    }
    return Optional.empty();
  }
}
