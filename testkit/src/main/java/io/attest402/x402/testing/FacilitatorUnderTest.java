package io.attest402.x402.testing;

import io.attest402.contracts.chain.Chain;

/**
 * A facilitator the interop tests run against: today the official one (Node); once ours exists, it
 * is added to {@link Facilitators#all()} and every interop test runs against both.
 */
public interface FacilitatorUnderTest {
  String name();

  /** Starts it on {@code chain}, settling with dev account {@code settlerAccount}. */
  Running start(Chain chain, int settlerAccount);

  /** A started facilitator. */
  interface Running extends AutoCloseable {
    String url();

    /** The address that pays gas for settlements. */
    String signer();

    @Override
    void close();
  }
}
