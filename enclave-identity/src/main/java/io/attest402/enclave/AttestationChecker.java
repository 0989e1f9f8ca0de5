package io.attest402.enclave;

import io.attest402.enclave.tee.Measurement;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.Quote;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.Verdict;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;

/**
 * Client-side check of a facilitator's {@link AttestationDocument}, for payers and the TEE validator: the quote
 * verifies with the attestation-verifier under the caller's {@link VerificationPolicy} (simulated quotes only when
 * the policy allows them), its report data binds the served public key (and the caller's nonce, when one was
 * requested), the address derives from that key, and what the document says about itself (TEE type, simulated
 * flag, measurement, report data) agrees with the quote. Stateless and thread-safe.
 */
public final class AttestationChecker {
  private AttestationChecker() {
  }

  /**
   * The verdict. {@code ok} only when every check passed; {@code reasons} lists each failure in words.
   * {@code address} is the attested signer address (null when the key is unusable); {@code verdict} the
   * verifier's own verdict (null when the quote could not be decoded).
   */
  public record Result(boolean ok, List<String> reasons, String address, byte[] publicKey, boolean simulated,
      String teeType, Measurement measurement, Verdict verdict) {
    public Result {
      reasons = List.copyOf(reasons);
    }

    public String summary() {
      return ok ? "attestation OK: " + teeType + (simulated ? " (SIMULATED)" : "") + " signer " + address
          : "attestation REJECTED: " + String.join("; ", reasons);
    }
  }

  /**
   * Checks {@code doc}.
   *
   * @param collateral    collateral to verify with; null = use the collateral the document carries (its
   *                      signatures chain to the trust anchor, so a served copy is as good as a fetched one)
   * @param at            verification time
   * @param policy        the caller's policy (pin MRENCLAVE/MRSIGNER or MRTD/RTMRs here)
   * @param expectedNonce the 32-byte nonce the caller sent, or null when it asked for the startup document
   */
  public static Result check(AttestationDocument doc, Collateral collateral, Instant at, VerificationPolicy policy,
      byte[] expectedNonce) {
    Objects.requireNonNull(doc, "doc");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(policy, "policy");
    List<String> reasons = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    byte[] pub = null;
    String address = null;
    try {
      pub = doc.publicKeyBytes();
      if (!onSecp256k1(pub)) {
        reasons.add("served public key is not an uncompressed secp256k1 point");
        pub = null;
      } else {
        address = KeyBinding.address(pub);
        if (doc.signerAddress() == null || !address.equalsIgnoreCase(doc.signerAddress())) {
          reasons.add("signer address " + doc.signerAddress() + " does not derive from the served public "
              + "key (" + address + ")");
        }
      }
    } catch (RuntimeException e) {
      reasons.add("served public key is not hex: " + e.getMessage());
    }
    byte[] nonce = null;
    try {
      nonce = doc.nonceBytes();
      if (nonce.length != KeyBinding.NONCE_BYTES) {
        reasons.add("served nonce is " + nonce.length + " bytes, expected 32");
        nonce = null;
      }
    } catch (RuntimeException e) {
      reasons.add("served nonce is not hex");
    }
    byte[] expectedNonceBytes = expectedNonce == null ? new byte[KeyBinding.NONCE_BYTES] : expectedNonce;
    if (expectedNonce != null && nonce != null && !Arrays.equals(nonce, expectedNonce)) {
      reasons.add("document answers nonce " + hex.formatHex(nonce) + ", not the requested "
          + hex.formatHex(expectedNonce));
    }
    byte[] quote;
    try {
      quote = doc.quoteBytes();
    } catch (RuntimeException e) {
      reasons.add("quote is not base64");
      return new Result(false, reasons, address, pub, doc.simulated(), doc.teeType(), null, null);
    }
    Collateral c = collateral;
    if (c == null) {
      try {
        c = doc.collateralValue().orElse(null);
      } catch (QuoteVerificationException e) {
        reasons.add("served collateral is invalid: " + e.getMessage());
      }
    }
    Verdict verdict = null;
    Measurement measurement = null;
    if (c == null) {
      reasons.add("no collateral to verify the quote with (the document carries none; fetch it from Intel "
          + "PCS or a PCCS)");
    } else {
      verdict = new QuoteVerifier().verify(quote, c, at, policy);
      if (!verdict.ok()) {
        reasons.add("quote rejected: " + verdict.failure().map(f -> f.kind() + ": " + f.getMessage())
            .orElse("verification failed"));
      }
    }
    Quote q = verdict != null ? verdict.quote().orElse(null) : null;
    if (q == null) {
      try {
        q = Quote.parse(quote);
      } catch (QuoteVerificationException e) {
        if (verdict == null) {
          reasons.add("quote does not parse: " + e.getMessage());
        }
      }
    }
    if (q != null) {
      measurement = Measurement.of(q);
      byte[] rd = q.reportData();
      if (pub != null) {
        if (!Arrays.equals(Arrays.copyOf(rd, 32), KeyBinding.keyHash(pub))) {
          reasons.add("quote report data does not bind the served public key");
        }
      }
      if (!Arrays.equals(Arrays.copyOfRange(rd, 32, 64), expectedNonceBytes)) {
        reasons.add(expectedNonce == null
            ? "quote report data does not end in 32 zero bytes (startup quote expected)"
            : "quote report data does not carry the requested nonce");
      }
      if (doc.reportData() == null || !doc.reportData().equalsIgnoreCase(hex.formatHex(rd))) {
        reasons.add("served reportData differs from the quote's");
      }
      boolean sgx = q.teeType() == TeeType.SGX;
      if (doc.teeType() == null || doc.teeType().endsWith("sgx") != sgx || !(doc.teeType().endsWith("sgx")
          || doc.teeType().endsWith("tdx"))) {
        reasons.add("served teeType " + doc.teeType() + " does not match a " + q.teeType() + " quote");
      }
      if (doc.measurement() != null && !doc.measurement().equals(measurement)) {
        reasons.add("served measurement differs from the quote's");
      }
    }
    boolean simulated = verdict != null ? verdict.simulated() : doc.simulated();
    if (verdict != null && verdict.quote().isPresent() && verdict.simulated() != doc.simulated()) {
      reasons.add("document says simulated=" + doc.simulated() + " but the quote "
          + (verdict.simulated() ? "chains to the attest402 simulation CA" : "is not simulated"));
    }
    boolean verifierRejectedSimulation = verdict != null && verdict.failure()
        .filter(f -> f.kind() == QuoteVerificationException.Kind.SIMULATED_REJECTED).isPresent();
    if (doc.simulated() && !policy.allowSimulated() && !verifierRejectedSimulation) {
      reasons.add("document declares SIMULATED attestation and the policy does not allow simulated quotes");
    }
    return new Result(reasons.isEmpty(), reasons, address, pub, simulated || doc.simulated(), doc.teeType(),
        measurement, verdict);
  }

  /** {@link #check(AttestationDocument, Collateral, Instant, VerificationPolicy, byte[])} on served JSON. */
  public static Result check(String documentJson, Collateral collateral, Instant at, VerificationPolicy policy,
      byte[] expectedNonce) {
    AttestationDocument doc;
    try {
      doc = AttestationDocument.fromJson(documentJson);
    } catch (IllegalArgumentException e) {
      return new Result(false, List.of(e.getMessage()), null, null, false, null, null, null);
    }
    return check(doc, collateral, at, policy, expectedNonce);
  }

  private static boolean onSecp256k1(byte[] pub) {
    if (pub.length != 65 || pub[0] != 0x04) {
      return false;
    }
    try {
      X9ECParameters k1 = CustomNamedCurves.getByName("secp256k1");
      return k1.getCurve().createPoint(new BigInteger(1, Arrays.copyOfRange(pub, 1, 33)),
          new BigInteger(1, Arrays.copyOfRange(pub, 33, 65))).isValid();
    } catch (RuntimeException e) {
      return false;
    }
  }
}
