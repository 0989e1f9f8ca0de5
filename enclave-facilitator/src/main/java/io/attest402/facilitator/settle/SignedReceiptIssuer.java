package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.EnclaveKey;
import io.attest402.x402.receipt.Receipt;
import io.attest402.x402.receipt.ReceiptSigner;
import io.attest402.x402.receipt.SignedReceipt;
import io.attest402.x402.types.Wire;
import java.util.Optional;

/**
 * Signs a receipt (x402-core's ES256K compact JWS) for every final settlement outcome with the
 * enclave key: the journal sequence number is the receipt's {@code seq}, and its {@code prev} is
 * the hash of the receipt before, so {@code GET /receipts?from=0} is a hash chain anyone can audit
 * with {@code ReceiptChainVerifier}. The stored and served value is {@code {"seq": n, "jws":
 * "<compact JWS>", "hash": "<sha-256 hex of the JWS>"}}.
 */
public final class SignedReceiptIssuer implements ReceiptIssuer {
  private final ReceiptSigner signer;

  public SignedReceiptIssuer(ReceiptSigner signer) {
    this.signer = signer;
  }

  /** Receipts signed by {@code key} (digests only; the key never leaves its holder). */
  public static SignedReceiptIssuer of(EnclaveKey key) {
    return new SignedReceiptIssuer(new ReceiptSigner(key.address(), key::signDigestRsv));
  }

  @Override
  public Optional<JsonNode> issue(JournaledOutcome f, JsonNode previous) {
    String prev =
        previous == null || !previous.path("hash").isTextual()
            ? Receipt.ZERO_HASH
            : previous.path("hash").textValue();
    if (f.sequence() == 0) {
      prev = Receipt.ZERO_HASH;
    }
    SignedReceipt r = signer.sign(f.receipt(), f.sequence(), prev);
    ObjectNode o = Wire.newObject();
    o.put("seq", f.sequence());
    o.put("jws", r.jws());
    o.put("hash", r.hash());
    return Optional.of(o);
  }
}
