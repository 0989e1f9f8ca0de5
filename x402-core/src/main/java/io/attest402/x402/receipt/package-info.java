/**
 * Signed settlement receipts: every settlement outcome becomes a compact JWS (ES256K, RFC 8812)
 * over the settlement facts plus the journal sequence number and the SHA-256 of the previous
 * receipt's compact JWS, so the receipts form a hash chain anyone can audit for gaps and rewrites.
 * Signing goes through a {@link io.attest402.x402.receipt.DigestSigner}, so the key can stay inside
 * the enclave; verification needs only the attested address or public key.
 */
package io.attest402.x402.receipt;
