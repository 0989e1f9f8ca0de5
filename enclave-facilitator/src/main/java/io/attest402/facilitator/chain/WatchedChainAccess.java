package io.attest402.facilitator.chain;

import io.attest402.x402.evm.ChainAccess;

/**
 * A {@link ChainAccess} that remembers, per thread, whether a node call failed. The verifier treats some failed
 * lookups as answers ({@code eth_getCode} failing reads as "no code", which then fails the signature check); an answer
 * reached while the node was failing is not one to give, so the facilitator asks {@link #failure()} after each
 * verification and reports the node as unavailable instead.
 */
public final class WatchedChainAccess implements ChainAccess {
  private static final ThreadLocal<ChainAccessException> FAILURE = new ThreadLocal<>();
  private final ChainAccess delegate;

  public WatchedChainAccess(ChainAccess delegate) {
    this.delegate = delegate;
  }

  /** Clears this thread's record; call before a verification. */
  public static void reset() {
    FAILURE.remove();
  }

  /** The first node failure on this thread since {@link #reset()}, or null. */
  public static ChainAccessException failure() {
    return FAILURE.get();
  }

  private static <T extends RuntimeException> T record(T e) {
    if (FAILURE.get() == null) {
      FAILURE.set(e instanceof ChainAccessException c ? c : new ChainAccessException(e.getMessage(), e));
    }
    return e;
  }

  @Override
  public String getCode(String address) {
    try {
      return delegate.getCode(address);
    } catch (RuntimeException e) {
      throw record(e);
    }
  }

  @Override
  public CallResult call(String to, String data) {
    try {
      return delegate.call(to, data);
    } catch (RuntimeException e) {
      throw record(e);
    }
  }
}
