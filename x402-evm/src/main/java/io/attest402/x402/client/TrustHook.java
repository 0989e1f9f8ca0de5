package io.attest402.x402.client;

import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import java.net.URI;
import java.util.List;

/**
 * Asked before every signature: may we pay this resource, on these terms? (The ERC-8004 identity,
 * reputation and facilitator-attestation policy plugs in here.) A hook that throws counts as a
 * refusal.
 */
@FunctionalInterface
public interface TrustHook {
  Decision evaluate(Request request);

  /**
   * The 402 being answered, the offer chosen under the spend policy, and the URL that asked for it.
   */
  record Request(URI url, PaymentRequired paymentRequired, PaymentRequirements chosen) {}

  /** Allow, or refuse with reasons. */
  record Decision(boolean allowed, List<String> reasons) {
    public Decision {
      reasons = List.copyOf(reasons);
    }

    public static Decision allow() {
      return new Decision(true, List.of());
    }

    public static Decision refuse(String... reasons) {
      return new Decision(false, List.of(reasons));
    }

    public static Decision refuse(List<String> reasons) {
      return new Decision(false, reasons);
    }
  }

  /** Trusts everyone (for {@code --trust none}). */
  static TrustHook allowAll() {
    return request -> Decision.allow();
  }
}
