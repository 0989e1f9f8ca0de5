package io.attest402.facilitator.anchor;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.facilitator.settle.JournaledOutcome;
import io.attest402.facilitator.settle.ReceiptIssuer;
import java.util.Optional;

/**
 * A {@link ReceiptIssuer} that signs only while the {@link IntegrityGuard} allows it, and never at
 * a seq at or below one already anchored on chain (a restored journal would otherwise sign a second
 * receipt for an anchored seq). The refusal throws, so the journal transaction recording the
 * outcome rolls back and the settlement stays in flight.
 */
public final class AnchoredReceiptIssuer implements ReceiptIssuer {
  private final ReceiptIssuer delegate;
  private final IntegrityGuard guard;

  public AnchoredReceiptIssuer(ReceiptIssuer delegate, IntegrityGuard guard) {
    this.delegate = delegate;
    this.guard = guard;
  }

  @Override
  public Optional<JsonNode> issue(JournaledOutcome facts, JsonNode previous) {
    Optional<String> refused = guard.refuseReceipt(facts.sequence());
    if (refused.isPresent()) {
      throw new ReceiptRefusedException(
          "refusing to sign the receipt with seq " + facts.sequence() + ": " + refused.get());
    }
    return delegate.issue(facts, previous);
  }

  /** Signing was refused by the integrity guard. */
  public static final class ReceiptRefusedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ReceiptRefusedException(String message) {
      super(message);
    }
  }
}
