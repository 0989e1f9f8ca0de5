package io.attest402.erc8004.trust;

import io.attest402.verifier.VerificationPolicy;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What a payer requires before it pays. Immutable; build with {@link #builder()}.
 *
 * <ul>
 *   <li>{@code attestationPolicy}: the facilitator's live attestation must verify under it and bind
 *       its signer key (null: not checked);
 *   <li>{@code minPaymentBackedCount} / {@code minPaymentBackedScore}: the provider's
 *       payment-backed reputation (tags optional);
 *   <li>{@code trustedValidators}: when non-empty, the facilitator agent must hold a {@code
 *       tee-attestation} validation of at least {@code minValidationResponse} from one of them, at
 *       most {@code maxValidationAge} old (null: any age);
 *   <li>{@code requireActive}: the provider's registration file must not say {@code active: false};
 *   <li>{@code pccs}: the PCS/PCCS to fetch the facilitator quote's collateral from (null: verify
 *       the collateral the facilitator serves, which is the same Intel-signed data).
 * </ul>
 */
public record TrustRequirements(
    VerificationPolicy attestationPolicy,
    long minPaymentBackedCount,
    BigDecimal minPaymentBackedScore,
    String reputationTag1,
    String reputationTag2,
    Set<String> trustedValidators,
    int minValidationResponse,
    Duration maxValidationAge,
    boolean requireActive,
    URI pccs) {

  public TrustRequirements {
    trustedValidators = Set.copyOf(trustedValidators);
  }

  /**
   * Strict attestation policy (no simulation), no reputation minimum, no validators, active
   * required. Its attestation policy pins no measurement, so a {@link TrustPolicy} refuses it until
   * one is pinned (or any measurement is allowed explicitly).
   */
  public static TrustRequirements defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder {
    private VerificationPolicy attestationPolicy = VerificationPolicy.defaults();
    private long minCount;
    private BigDecimal minScore;
    private String tag1;
    private String tag2;
    private final Set<String> validators = new LinkedHashSet<>();
    private int minValidationResponse = 100;
    private Duration maxValidationAge;
    private boolean requireActive = true;
    private URI pccs;

    public Builder attestationPolicy(VerificationPolicy p) {
      this.attestationPolicy = p;
      return this;
    }

    public Builder minPaymentBackedCount(long n) {
      this.minCount = n;
      return this;
    }

    public Builder minPaymentBackedScore(BigDecimal s) {
      this.minScore = s;
      return this;
    }

    public Builder reputationTags(String tag1, String tag2) {
      this.tag1 = tag1;
      this.tag2 = tag2;
      return this;
    }

    public Builder trustValidator(String address) {
      this.validators.add(address);
      return this;
    }

    public Builder minValidationResponse(int r) {
      this.minValidationResponse = r;
      return this;
    }

    public Builder maxValidationAge(Duration d) {
      this.maxValidationAge = d;
      return this;
    }

    public Builder requireActive(boolean r) {
      this.requireActive = r;
      return this;
    }

    /**
     * Fetch collateral for the facilitator's quote from this PCS/PCCS instead of using the served
     * copy.
     */
    public Builder pccs(URI url) {
      this.pccs = url;
      return this;
    }

    public TrustRequirements build() {
      return new TrustRequirements(
          attestationPolicy,
          minCount,
          minScore,
          tag1,
          tag2,
          validators,
          minValidationResponse,
          maxValidationAge,
          requireActive,
          pccs);
    }
  }
}
