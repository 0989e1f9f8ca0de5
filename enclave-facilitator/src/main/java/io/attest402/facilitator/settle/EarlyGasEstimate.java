package io.attest402.facilitator.settle;

import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.x402.evm.Addresses;
import io.attest402.x402.evm.Eip3009Calls;
import io.attest402.x402.evm.Erc6492;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Hex;
import java.math.BigInteger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code eth_estimateGas} of an EIP-3009 settlement started when the settle request arrives, so
 * it runs beside the re-verification and the claim instead of after them (on a fast chain it was
 * the longest step of preparing a settlement). Nothing about the estimate changes: the same call
 * (the calldata is derived from the payload as the verifier derives it, and the settle path uses
 * the early answer only when its own calldata, built after verification, is byte for byte the same;
 * else it estimates again), from the same signer, with the same gas cap, and a revert or a cap
 * overrun is reported to the settle path exactly as a late estimate's. An estimate is a read: one
 * started for a request that then fails verification or is refused is dropped. Bounded: at most
 * {@link #MAX_THREADS} run at once; past that the settle path estimates on its own thread as
 * before.
 */
final class EarlyGasEstimate {
  static final int MAX_THREADS = 64;

  private final String target;
  private final String data;
  private final CompletableFuture<BigInteger> gas;

  private EarlyGasEstimate(String target, String data, CompletableFuture<BigInteger> gas) {
    this.target = target;
    this.data = data;
    this.gas = gas;
  }

  /** A bounded pool of daemon threads for early estimates. */
  static ExecutorService executor() {
    return new ThreadPoolExecutor(
        0,
        MAX_THREADS,
        30,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(r, "settlement-gas-estimate");
          t.setDaemon(true);
          return t;
        },
        new ThreadPoolExecutor.AbortPolicy());
  }

  /**
   * Starts the estimate of the EIP-3009 settlement call of {@code payload} on {@code asset} from
   * {@code from}; null when it cannot be derived here (not an EIP-3009 payload, a malformed one,
   * the pool busy), in which case the settle path estimates as before.
   */
  static EarlyGasEstimate start(
      ExecutorService pool,
      SettlementChain chain,
      String from,
      String asset,
      com.fasterxml.jackson.databind.JsonNode payload,
      BigInteger gasCap) {
    String data;
    try {
      if (ExactEvmPayload.isPermit2(payload)) {
        return null;
      }
      ExactEvmPayload ep = ExactEvmPayload.fromJson(payload);
      // the verifier's classification: an ERC-6492 wrapper with a factory settles its inner
      // signature
      String sig = ep.signature();
      String inner =
          Erc6492.parse(sig)
              .filter(w -> !w.factory().equalsIgnoreCase(Addresses.ZERO))
              .map(Erc6492.Wrapped::innerSignature)
              .orElse(sig);
      data = Eip3009Calls.settlementCalldata(ep.authorization(), Hex.decode(inner));
    } catch (RuntimeException malformed) {
      return null; // the settle path reports it precisely
    }
    CompletableFuture<BigInteger> gas = new CompletableFuture<>();
    try {
      pool.execute(
          () -> {
            try {
              gas.complete(chain.estimateGas(from, asset, data, gasCap));
            } catch (SettlementChain.RevertedException | RuntimeException e) {
              gas.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException busy) {
      return null;
    }
    return new EarlyGasEstimate(asset, data, gas);
  }

  /** Whether this estimate is of exactly the call {@code (to, calldata)}. */
  boolean isFor(String to, String calldata) {
    return target.equalsIgnoreCase(to) && data.equalsIgnoreCase(calldata);
  }

  /**
   * The estimate, waiting for it; its revert as {@link SettlementChain.RevertedException} and a
   * node failure as the {@link RuntimeException} a direct call throws.
   */
  BigInteger await() throws SettlementChain.RevertedException {
    try {
      return gas.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof SettlementChain.RevertedException r) {
        throw r;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw e;
    }
  }
}
