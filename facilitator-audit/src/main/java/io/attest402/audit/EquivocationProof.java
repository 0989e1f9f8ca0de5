package io.attest402.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.x402.receipt.Receipt;
import io.attest402.x402.receipt.ReceiptException;
import io.attest402.x402.receipt.ReceiptVerifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Two receipts with one seq and different content, both signed by one attested key: proof that the
 * key's holder signed two histories (a restored journal, or two copies running). Self-contained:
 * both compact JWS, the key, and the attestation document that binds it; {@link #check} needs
 * nothing else (no facilitator, no chain).
 */
public final class EquivocationProof {
  public static final String TYPE = "attest402-equivocation-proof-v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private EquivocationProof() {}

  /**
   * The proof document for receipts {@code a} and {@code b} (compact JWS) under {@code
   * attestation}.
   */
  public static ObjectNode of(String a, String b, AttestationDocument attestation) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", TYPE);
    o.put("signer", attestation.signerAddress());
    o.put("publicKey", attestation.publicKey());
    try {
      o.set("attestation", JSON.readTree(attestation.toJson()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    o.putArray("receipts").add(a).add(b);
    try {
      Receipt r = ReceiptVerifier.readUnverified(a);
      o.put("seq", r.seq());
    } catch (ReceiptException e) {
      throw new IllegalArgumentException("not a receipt: " + e.getMessage(), e);
    }
    o.put(
        "explanation",
        "both receipts verify under the attested key, carry the same seq and differ: the key signed "
            + "two different receipt chains");
    return o;
  }

  /** The verdict of {@link #check}: {@code ok} when the proof holds; {@code reasons} why not. */
  public record Verdict(boolean ok, List<String> reasons, Long seq, String signer) {}

  /**
   * Checks a proof: both receipts verify under the document's public key, the key's address is the
   * signer, the two have one seq and differ, and the attestation binds the key (under {@code
   * policy}, at {@code at}).
   */
  public static Verdict check(JsonNode proof, VerificationPolicy policy, Instant at) {
    List<String> reasons = new ArrayList<>();
    if (!TYPE.equals(proof.path("type").asText())) {
      reasons.add("not an " + TYPE);
      return new Verdict(false, reasons, null, null);
    }
    AttestationDocument doc;
    try {
      doc = AttestationDocument.fromJson(proof.path("attestation").toString());
    } catch (RuntimeException e) {
      reasons.add("attestation document unreadable: " + e.getMessage());
      return new Verdict(false, reasons, null, null);
    }
    // the document was bound to the auditor's nonce; for anyone else it proves the key binding, not
    // freshness
    byte[] nonce = doc.nonceBytes();
    boolean startup = nonce == null || java.util.Arrays.equals(nonce, new byte[nonce.length]);
    AttestationChecker.Result att =
        AttestationChecker.check(doc, null, at, policy, startup ? null : nonce);
    if (!att.ok()) {
      reasons.add("attestation does not hold: " + att.summary());
    }
    if (!doc.publicKey().equalsIgnoreCase(proof.path("publicKey").asText())
        || !doc.signerAddress().equalsIgnoreCase(proof.path("signer").asText())) {
      reasons.add("publicKey/signer are not the attested ones");
    }
    JsonNode rs = proof.path("receipts");
    if (!rs.isArray() || rs.size() != 2) {
      reasons.add("a proof holds exactly two receipts");
      return new Verdict(false, reasons, null, doc.signerAddress());
    }
    Receipt[] r = new Receipt[2];
    for (int i = 0; i < 2; i++) {
      try {
        r[i] = ReceiptVerifier.verify(rs.get(i).asText(), doc.publicKeyBytes());
      } catch (ReceiptException | RuntimeException e) {
        reasons.add("receipt " + i + " does not verify under the attested key: " + e.getMessage());
      }
    }
    Long seq = null;
    if (r[0] != null && r[1] != null) {
      seq = r[0].seq();
      if (r[0].seq() != r[1].seq()) {
        reasons.add("the receipts have different seqs (" + r[0].seq() + ", " + r[1].seq() + ")");
      }
      if (rs.get(0).asText().equals(rs.get(1).asText()) || r[0].equals(r[1])) {
        reasons.add("the two receipts are the same");
      }
    }
    return new Verdict(reasons.isEmpty(), reasons, seq, doc.signerAddress());
  }
}
