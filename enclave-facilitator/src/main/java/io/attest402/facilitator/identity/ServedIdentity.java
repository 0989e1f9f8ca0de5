package io.attest402.facilitator.identity;

import io.attest402.enclave.EnclaveIdentity;
import io.attest402.enclave.PerClientQuoteLimiter;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the facilitator serves about itself: its enclave identity at {@code GET /attestation}
 * (signed nonces unlimited; fresh quotes rate-limited per client, since each one costs a quoting
 * round trip to the TEE) and its ERC-8004 registration file at {@code GET
 * /.well-known/agent-registration.json} once it is registered.
 */
public record ServedIdentity(
    EnclaveIdentity enclave,
    PerClientQuoteLimiter freshQuotes,
    Supplier<Optional<String>> registrationFile) {
  public ServedIdentity {
    Objects.requireNonNull(enclave, "enclave");
    Objects.requireNonNull(freshQuotes, "freshQuotes");
    Objects.requireNonNull(registrationFile, "registrationFile");
  }
}
