package io.attest402.facilitator.credential;

import java.time.Duration;
import java.util.Objects;

/**
 * The payer-settled path's settings.
 *
 * @param minConfirmations blocks that must include or follow the transfer's block (1: mined)
 * @param lifetime how long an issued credential is valid
 */
public record CredentialOptions(int minConfirmations, Duration lifetime) {
  /** 2 confirmations: a one-block reorg cannot take back a transfer that bought a credential. */
  public static final int DEFAULT_MIN_CONFIRMATIONS = 2;

  public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);

  public CredentialOptions {
    Objects.requireNonNull(lifetime, "lifetime");
    if (minConfirmations < 1 || minConfirmations > 1000) {
      throw new IllegalArgumentException("credential confirmations must be 1..1000");
    }
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("credential lifetime must be more than 0 and at most 1 h");
    }
  }

  public static CredentialOptions defaults() {
    return new CredentialOptions(DEFAULT_MIN_CONFIRMATIONS, DEFAULT_LIFETIME);
  }
}
