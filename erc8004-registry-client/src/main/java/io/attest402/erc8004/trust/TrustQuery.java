package io.attest402.erc8004.trust;

import java.math.BigInteger;
import java.util.Objects;

/**
 * The plain facts of an x402 offer a payer decides on (no x402 types: the x402-core trust hook maps
 * its PaymentRequirements onto this).
 *
 * @param providerAgentId the provider's agentId when the offer names it; null = look it up by
 *     {@code payTo}
 * @param payTo the offer's payTo address
 * @param network the offer's CAIP-2 network, e.g. {@code eip155:84532}
 * @param facilitatorUrl base URL of the facilitator the offer settles through (its {@code
 *     /attestation} is checked); null when the offer names none
 * @param facilitatorAgentId the facilitator's agentId; null when unknown
 * @param boundSigner the facilitator signer address the payment is bound to (an {@code upto}
 *     offer's {@code facilitatorAddress}: only that signer can settle it), which must be one the
 *     facilitator's attestation binds; null when the payment names none
 */
public record TrustQuery(
    BigInteger providerAgentId,
    String payTo,
    String network,
    String facilitatorUrl,
    BigInteger facilitatorAgentId,
    String boundSigner) {
  public TrustQuery {
    Objects.requireNonNull(payTo, "payTo");
    Objects.requireNonNull(network, "network");
  }

  /** A query for a payment bound to no particular signer. */
  public TrustQuery(
      BigInteger providerAgentId,
      String payTo,
      String network,
      String facilitatorUrl,
      BigInteger facilitatorAgentId) {
    this(providerAgentId, payTo, network, facilitatorUrl, facilitatorAgentId, null);
  }
}
