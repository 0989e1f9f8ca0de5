package io.attest402.demo.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.erc8004.trust.TrustCheck;
import io.attest402.erc8004.trust.TrustDecision;
import io.attest402.erc8004.trust.TrustPolicy;
import io.attest402.erc8004.trust.TrustQuery;
import io.attest402.x402.client.TrustHook;
import java.math.BigInteger;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The ERC-8004 trust policy as the paying client's trust hook: the offer's facts (payTo, network)
 * plus what the 402's {@code attest402} extension names (provider agentId, facilitator URL and
 * agentId) go to {@link TrustPolicy}; any failed check refuses the payment with every reason. An
 * {@code upto} offer's {@code extra.facilitatorAddress} goes as the bound signer, which must be one
 * the checked facilitator's attestation binds.
 */
public final class Erc8004TrustHook implements TrustHook {
  /** The 402 extension a provider of our stack adds (see {@code SummaryProvider.EXTENSION}). */
  public static final String EXTENSION = "attest402";

  private final TrustPolicy policy;
  private final java.util.List<String> demanded;
  private final AtomicReference<TrustDecision> last = new AtomicReference<>();

  public Erc8004TrustHook(TrustPolicy policy) {
    this(policy, java.util.List.of());
  }

  /**
   * A hook for a payer that demands the facilitators at {@code demanded}: the facilitator it checks
   * is the first of the 402's {@code facilitators} that it demands (the one its payment can settle
   * through), not the one the 402 names first.
   */
  public Erc8004TrustHook(TrustPolicy policy, java.util.List<String> demanded) {
    this.policy = Objects.requireNonNull(policy);
    this.demanded = demanded.stream().map(Erc8004TrustHook::norm).toList();
  }

  static String norm(String url) {
    return url.replaceAll("/+$", "").toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * The facilitator entry of the 402's {@code attest402} info this payer checks: the first listed
   * one it demands, else {@code info.facilitator}.
   */
  public static JsonNode checkedFacilitator(JsonNode info, java.util.List<String> demanded) {
    if (info == null) {
      return null;
    }
    java.util.List<String> wanted = demanded.stream().map(Erc8004TrustHook::norm).toList();
    if (!wanted.isEmpty()) {
      for (JsonNode f : info.path("facilitators")) {
        if (f.path("url").isTextual() && wanted.contains(norm(f.path("url").asText()))) {
          return f;
        }
      }
    }
    return info.path("facilitator");
  }

  @Override
  public Decision evaluate(Request request) {
    JsonNode info =
        request.paymentRequired().extensions() == null
            ? null
            : request.paymentRequired().extensions().path(EXTENSION).path("info");
    BigInteger providerAgentId = id(info, "provider");
    JsonNode facilitator = checkedFacilitator(info, demanded);
    BigInteger facilitatorAgentId = facilitator == null ? null : id(facilitator.path("agentId"));
    String facilitatorUrl =
        facilitator == null || !facilitator.path("url").isTextual()
            ? null
            : facilitator.path("url").asText();
    TrustDecision decision =
        policy.evaluate(
            new TrustQuery(
                providerAgentId,
                request.chosen().payTo(),
                request.chosen().network(),
                facilitatorUrl,
                facilitatorAgentId,
                // only the signer an upto offer names can settle it: it must be the attested one's
                "upto".equals(request.chosen().scheme())
                    ? request.chosen().extraString("facilitatorAddress")
                    : null));
    last.set(decision);
    return decision.trusted()
        ? Decision.allow()
        : Decision.refuse(
            decision.failures().stream().map(c -> c.name() + ": " + c.detail()).toList());
  }

  /** The most recent decision (every check with its outcome), for reporting. */
  public TrustDecision lastDecision() {
    return last.get();
  }

  private static BigInteger id(JsonNode info, String who) {
    if (info == null) {
      return null;
    }
    return id(info.path(who).path("agentId"));
  }

  private static BigInteger id(JsonNode v) {
    try {
      return v.isTextual() || v.isIntegralNumber() ? new BigInteger(v.asText()) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static String describe(TrustCheck c) {
    return c.status() + " " + c.name() + ": " + c.detail();
  }
}
