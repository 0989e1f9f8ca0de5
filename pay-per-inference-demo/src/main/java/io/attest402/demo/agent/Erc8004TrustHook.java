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
 * agentId) go to {@link TrustPolicy}; any failed check refuses the payment with every reason.
 */
public final class Erc8004TrustHook implements TrustHook {
  /** The 402 extension a provider of our stack adds (see {@code SummaryProvider.EXTENSION}). */
  public static final String EXTENSION = "attest402";

  private final TrustPolicy policy;
  private final AtomicReference<TrustDecision> last = new AtomicReference<>();

  public Erc8004TrustHook(TrustPolicy policy) {
    this.policy = Objects.requireNonNull(policy);
  }

  @Override
  public Decision evaluate(Request request) {
    JsonNode info =
        request.paymentRequired().extensions() == null
            ? null
            : request.paymentRequired().extensions().path(EXTENSION).path("info");
    BigInteger providerAgentId = id(info, "provider");
    BigInteger facilitatorAgentId = id(info, "facilitator");
    String facilitatorUrl =
        info == null || !info.path("facilitator").path("url").isTextual()
            ? null
            : info.path("facilitator").path("url").asText();
    TrustDecision decision =
        policy.evaluate(
            new TrustQuery(
                providerAgentId,
                request.chosen().payTo(),
                request.chosen().network(),
                facilitatorUrl,
                facilitatorAgentId));
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
    JsonNode v = info.path(who).path("agentId");
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
