package io.attest402.x402.receipt;

import java.util.Objects;

/**
 * A receipt with its compact JWS and that JWS's hash (SHA-256 of the ASCII compact serialisation,
 * lowercase hex), which the next receipt carries as {@code prev}.
 */
public record SignedReceipt(Receipt receipt, String jws, String hash) {
  public SignedReceipt {
    Objects.requireNonNull(receipt, "receipt");
    Objects.requireNonNull(jws, "jws");
    Objects.requireNonNull(hash, "hash");
  }
}
