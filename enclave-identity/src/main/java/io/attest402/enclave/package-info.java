/**
 * The facilitator's identity inside its TEE.
 *
 * <p>Start-up (off the event loop; quoting is blocking file I/O):
 *
 * <pre>{@code
 * TeeBackends.Options opts = TeeBackends.Options.defaults(dataDir);          // real /dev/attestation, configfs
 * EnclaveIdentity id = EnclaveIdentity.startVerified(teeMode, opts, null);    // auto|gramine|tdx|simulated
 * EnclaveKey key = id.key();                         // settlement TxSignService and receipt signer
 * ReceiptSigner receipts = new ReceiptSigner(key.address(), key::signDigestRsv);   // x402-core
 * QuoteRateLimiter limiter = QuoteRateLimiter.perMinute(30, clock);
 * }</pre>
 *
 * {@code GET /attestation}: {@code id.startupDocument()}; with {@code ?nonce=HEX32}: check {@code
 * limiter.tryAcquire()} (else 429 with {@code Retry-After: limiter.retryAfter()}), then {@code
 * id.document(KeyBinding.parseNonce(hex))} (IllegalArgumentException = 400); serialise with Jackson
 * ({@link io.attest402.enclave.AttestationDocument#toJson()}). Clients check documents with {@link
 * io.attest402.enclave.AttestationChecker}.
 */
package io.attest402.enclave;
