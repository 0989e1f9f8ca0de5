package io.attest402.facilitator.anchor;

import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.SettlementLogView;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.Facilitator;
import io.attest402.facilitator.chain.Web3jSettlementChain;
import io.attest402.facilitator.settle.NetworkLane;
import io.attest402.facilitator.store.SettlementStore;
import java.io.PrintWriter;
import java.time.Clock;

/**
 * Composes receipt anchoring into a facilitator as {@link io.attest402.facilitator.FacilitatorNode}
 * starts it.
 */
public final class ReceiptAnchoring {
  private ReceiptAnchoring() {}

  /**
   * The guard for this deployment: unchecked (refusing until the anchor is read), or off without a
   * SettlementLog.
   */
  public static IntegrityGuard guardFor(Deployment d, AnchorOptions options, PrintWriter err) {
    if (!options.enabled()) {
      return IntegrityGuard.off("receipt anchoring disabled (--no-anchor)");
    }
    if (d.contracts().settlementLog() == null) {
      err.println(
          "WARNING: the deployment has no settlementLog contract: receipts are not anchored on chain, and a"
              + " restored or forked journal cannot be detected (redeploy with this version's `deploy`)");
      return IntegrityGuard.off(
          "the deployment has no settlementLog contract; receipts are not anchored");
    }
    return IntegrityGuard.unchecked();
  }

  /**
   * Reads the on-chain anchor and compares the journal with it (so the guard is decided before the
   * engine recovers anything), and hands guard and anchorer to the facilitator. Returns the
   * anchorer to {@link ReceiptAnchorer#start()} once the engine runs, or null when anchoring is
   * off.
   */
  public static ReceiptAnchorer wire(
      Deployment d,
      AnchorOptions options,
      Facilitator facilitator,
      IntegrityGuard guard,
      SettlementStore store,
      EnclaveKey key,
      Clock clock,
      PrintWriter out) {
    if (guard.state() == IntegrityGuard.State.OFF) {
      facilitator.useIntegrity(guard, null);
      return null;
    }
    NetworkLane lane = facilitator.engine().lane(d.network());
    if (lane == null || !(lane.chain() instanceof Web3jSettlementChain chain)) {
      throw new IllegalStateException(
          "receipt anchoring: the deployment's network "
              + d.network()
              + " is not served by this facilitator");
    }
    SettlementLogView view = new SettlementLogView(chain.web3j(), d.contracts().settlementLog());
    ReceiptAnchorer anchorer =
        new ReceiptAnchorer(
            view,
            lane,
            store,
            key,
            options,
            guard,
            clock,
            facilitator.metrics(),
            new io.attest402.facilitator.settle.FeePolicy(facilitator.engine().limits()));
    anchorer.check();
    facilitator.useIntegrity(guard, anchorer);
    switch (guard.state()) {
      case INTACT ->
          out.println(
              "receipt anchors: SettlementLog "
                  + view.address()
                  + " on "
                  + d.network()
                  + (guard.anchoredSeq() < 0
                      ? ", nothing anchored yet"
                      : ", anchored up to seq " + guard.anchoredSeq())
                  + "; journal at seq "
                  + store.lastSequence()
                  + "; anchoring every "
                  + options.every()
                  + " receipts or "
                  + options.interval().toSeconds()
                  + " s");
      case HALTED -> out.println("HALTED: " + guard.reason());
      default ->
          out.println(
              "receipt anchors: "
                  + guard.reason()
                  + "; verify and settle refused until it is read");
    }
    return anchorer;
  }
}
