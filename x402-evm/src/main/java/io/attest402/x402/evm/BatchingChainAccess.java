package io.attest402.x402.evm;

import io.attest402.contracts.ContractArtifact;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.utils.Numeric;

/**
 * {@link ChainAccess} that lets concurrent {@code eth_call}s share one round trip: calls arriving
 * within a short window (while others are in flight) go to the node as one deployless {@code
 * eth_call} of the {@code IsolatedCalls} creation code (contracts module), which runs each call in
 * its own reverted sub-context with the same gas cap as a call of its own and returns every
 * outcome. The answers do not change:
 *
 * <ul>
 *   <li>each call's effects are rolled back before the next runs, so no call sees another's
 *       transfer, used authorization, deployed wallet or warmed slot (Multicall3's {@code
 *       tryAggregate} would let them leak: a payer funded by an earlier call of the batch would
 *       verify);
 *   <li>each gets {@code callGasLimit} minus the intrinsic gas of a transaction carrying its data,
 *       what its own {@code eth_call} would have for execution;
 *   <li>a successful call's return data is what its own {@code eth_call} returns; any call that
 *       does not succeed in the batch, and every call of a batch that fails or cannot be decoded,
 *       is sent again on its own, so reverts, their messages and node failures are exactly the
 *       direct answer.
 * </ul>
 *
 * <p>One difference a contract could observe: {@code msg.sender} of a batched call is its
 * sub-context's fresh address (no code, like the zero address a direct {@code eth_call} has);
 * {@code tx.origin} is the zero address in both. {@code getCode} is not batched.
 *
 * <p>Blocking, like the delegate: the first call of a window waits for it (only when other calls
 * are in flight; alone, a call goes straight to the node) and sends the batch; the others wait for
 * their result.
 */
public final class BatchingChainAccess implements ChainAccess {
  /** Gas of one sub-context besides its call (CREATE, copying, decoding), generously. */
  static final long PER_CALL_OVERHEAD_GAS = 150_000;

  /** Calldata bytes of a batched call at most (longer calls go on their own). */
  static final int MAX_BATCHED_DATA = 1024;

  /** Gas of one batch at most (under the 30M block gas limit that anvil caps eth_call at). */
  static final long MAX_BATCH_GAS = 25_000_000;

  private static final String CREATION_CODE =
      ContractArtifact.load("IsolatedCalls").bytecode().substring(2);

  private final Web3jChainAccess direct;
  private final long windowNanos;
  private final int maxBatch;
  private final BigInteger callGasLimit;
  private final Object lock = new Object();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong batchedCalls = new AtomicLong();
  private Batch open;

  /**
   * @param direct the node; its call gas limit (required) caps every batched call
   * @param window how long the first call of a batch waits for others (a few ms)
   * @param maxBatch calls per batch at most; a full batch goes at once
   */
  public BatchingChainAccess(Web3jChainAccess direct, Duration window, int maxBatch) {
    this.direct = Objects.requireNonNull(direct, "direct");
    this.callGasLimit =
        Objects.requireNonNull(
            direct.callGasLimit(), "batching needs a call gas limit (the cap of every call)");
    if (window.isNegative() || maxBatch < 2) {
      throw new IllegalArgumentException("window >= 0 and maxBatch >= 2 required");
    }
    this.windowNanos = window.toNanos();
    // a batch's gas stays within what nodes allow one eth_call (anvil: the block gas limit)
    long perCall = callGasLimit.longValueExact() + PER_CALL_OVERHEAD_GAS + 200L * MAX_BATCHED_DATA;
    this.maxBatch = (int) Math.min(maxBatch, MAX_BATCH_GAS / perCall);
  }

  @Override
  public String getCode(String address) {
    return direct.getCode(address);
  }

  /** Not batched: a batch runs as one deployless call, whose sender is not the one named. */
  @Override
  public CallResult callFrom(String from, String to, String data) {
    return direct.callFrom(from, to, data);
  }

  @Override
  public java.math.BigInteger transactionCount(String address) {
    return direct.transactionCount(address);
  }

  @Override
  public Eip1559Fees eip1559Fees() {
    return direct.eip1559Fees();
  }

  @Override
  public CallResult call(String to, String data) {
    Objects.requireNonNull(to, "to");
    inFlight.incrementAndGet();
    try {
      Pending p = new Pending(to, Numeric.cleanHexPrefix(data == null ? "0x" : data));
      Batch mine;
      boolean leader;
      synchronized (lock) {
        if (open == null) {
          if (inFlight.get() == 1 || maxBatch < 2 || p.data.length() > 2 * MAX_BATCHED_DATA) {
            mine = null;
            leader = false;
          } else {
            open = new Batch();
            mine = open;
            leader = true;
          }
        } else if (p.data.length() > 2 * MAX_BATCHED_DATA) {
          mine = null;
          leader = false;
        } else {
          mine = open;
          leader = false;
        }
        if (mine != null) {
          mine.calls.add(p);
          if (mine.calls.size() >= maxBatch) {
            open = null; // full: this caller sends it now
            leader = true;
          }
        }
      }
      if (mine == null) {
        return direct.call(to, data);
      }
      if (leader) {
        if (mine.calls.size() < maxBatch) {
          long deadline = System.nanoTime() + windowNanos;
          for (long left = windowNanos;
              left > 0 && !mine.sent.get() && !Thread.currentThread().isInterrupted(); ) {
            LockSupport.parkNanos(left);
            left = deadline - System.nanoTime();
          }
          synchronized (lock) {
            if (open == mine) {
              open = null;
            }
          }
        }
        if (mine.sent.compareAndSet(false, true)) {
          try {
            send(mine);
          } finally {
            // whatever went wrong, no caller waits forever: unanswered calls ask on their own
            synchronized (lock) {
              mine.calls.forEach(c -> c.result.complete(null));
            }
          }
        }
      }
      CallResult r;
      try {
        r = p.result.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ChainAccessException("interrupted waiting for a batched eth_call", e);
      } catch (ExecutionException e) {
        r = null;
      }
      // not a success in the batch: the call's own eth_call gives the exact answer
      return r != null ? r : direct.call(to, data);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** Batches sent so far (a batch of one is a direct call and not counted). */
  public long batches() {
    return batches.get();
  }

  /** Calls that went in those batches. */
  public long batchedCalls() {
    return batchedCalls.get();
  }

  private void send(Batch b) {
    List<Pending> calls;
    synchronized (lock) {
      calls = List.copyOf(b.calls);
    }
    if (calls.size() == 1) {
      calls.get(0).result.complete(null);
      return;
    }
    batches.incrementAndGet();
    batchedCalls.addAndGet(calls.size());
    List<CallResult> results;
    try {
      results = runIsolated(calls.stream().map(p -> new Multicall3.Call(p.to, p.data)).toList());
    } catch (RuntimeException e) {
      results = null; // node failure or an answer that does not decode: each asks on its own
    }
    for (int i = 0; i < calls.size(); i++) {
      calls.get(i).result.complete(results == null ? null : results.get(i));
    }
  }

  /**
   * One deployless {@code eth_call} running {@code calls} in order, each isolated: the results of
   * the calls that succeeded, null for the others.
   *
   * @throws RuntimeException when the batch itself fails or its answer does not decode
   */
  List<CallResult> runIsolated(List<Multicall3.Call> calls) {
    List<Address> targets = new ArrayList<>();
    List<DynamicBytes> datas = new ArrayList<>();
    List<Uint256> gasLimits = new ArrayList<>();
    long gas = 100_000;
    for (Multicall3.Call c : calls) {
      String data = Numeric.cleanHexPrefix(c.callData());
      targets.add(new Address(c.target()));
      datas.add(new DynamicBytes(Numeric.hexStringToByteArray(data)));
      // what its own eth_call has for execution: the cap less a transaction's intrinsic gas
      long own = Math.max(0, callGasLimit.longValueExact() - 21_000 - calldataGas(data));
      gasLimits.add(new Uint256(own));
      gas += own + PER_CALL_OVERHEAD_GAS + 200L * (data.length() / 2);
    }
    String args =
        FunctionEncoder.encodeConstructor(
            List.<Type>of(
                new DynamicArray<>(Address.class, targets),
                new DynamicArray<>(DynamicBytes.class, datas),
                new DynamicArray<>(Uint256.class, gasLimits)));
    CallResult r = direct.call(null, "0x" + CREATION_CODE + args, BigInteger.valueOf(gas));
    if (!r.success()) {
      throw new IllegalStateException("batch reverted: " + r.errorMessage());
    }
    return decode(r.returnData(), calls.size());
  }

  /** EIP-2028 calldata gas: 4 per zero byte, 16 per other byte. */
  static long calldataGas(String hex) {
    long g = 0;
    for (int i = 0; i + 1 < hex.length(); i += 2) {
      g += hex.charAt(i) == '0' && hex.charAt(i + 1) == '0' ? 4 : 16;
    }
    return g;
  }

  /** {@code (bool[], bytes[])}: successes as results, the rest null (asked again on their own). */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static List<CallResult> decode(String hex, int n) {
    List<Type> out =
        FunctionReturnDecoder.decode(
            hex,
            List.of(
                (TypeReference) new TypeReference<DynamicArray<Bool>>() {},
                (TypeReference) new TypeReference<DynamicArray<DynamicBytes>>() {}));
    if (out.size() != 2) {
      throw new IllegalStateException("batch answer does not decode");
    }
    List<Bool> ok = ((DynamicArray<Bool>) out.get(0)).getValue();
    List<DynamicBytes> ret = ((DynamicArray<DynamicBytes>) out.get(1)).getValue();
    if (ok.size() != n || ret.size() != n) {
      throw new IllegalStateException("batch answered " + ok.size() + " of " + n + " calls");
    }
    List<CallResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      results.add(
          ok.get(i).getValue() ? CallResult.ok(Numeric.toHexString(ret.get(i).getValue())) : null);
    }
    return results;
  }

  private static final class Pending {
    final String to;
    final String data;
    final CompletableFuture<CallResult> result = new CompletableFuture<>();

    Pending(String to, String data) {
      this.to = to;
      this.data = data;
    }
  }

  private static final class Batch {
    final List<Pending> calls = new ArrayList<>();
    final AtomicBoolean sent = new AtomicBoolean();
  }
}
