package io.attest402.x402.evm;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.DynamicStruct;
import org.web3j.abi.datatypes.Function;
import org.web3j.utils.Numeric;

/**
 * Multicall3 {@code tryAggregate(false, calls)} at its canonical address, as the official
 * facilitator batches its diagnostic reads. On a chain without Multicall3 (a bare anvil) the call
 * returns no data, which fails decoding: {@link #tryAggregate} then throws, as viem's multicall
 * does, and callers fall back to their generic outcome.
 */
public final class Multicall3 {
  private Multicall3() {}

  public static final String ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11";

  /** One call: target and calldata. */
  public record Call(String target, String callData) {}

  /** One result: whether the sub-call succeeded, and what it returned. */
  public record Result(boolean success, byte[] returnData) {}

  /** The ABI tuple {@code (address target, bytes callData)}. */
  public static final class CallStruct extends DynamicStruct {
    public CallStruct(Address target, DynamicBytes callData) {
      super(target, callData);
    }
  }

  public static String encodeTryAggregate(List<Call> calls) {
    List<CallStruct> structs = new ArrayList<>();
    for (Call c : calls) {
      structs.add(
          new CallStruct(
              new Address(c.target()),
              new DynamicBytes(Numeric.hexStringToByteArray(c.callData()))));
    }
    Function f =
        new Function(
            "tryAggregate",
            List.of(new Bool(false), new DynamicArray<>(CallStruct.class, structs)),
            List.of());
    return FunctionEncoder.encode(f);
  }

  /**
   * Runs the calls through Multicall3.
   *
   * @throws IllegalStateException when the aggregate call reverts or its answer cannot be decoded
   *     (no Multicall3)
   */
  public static List<Result> tryAggregate(ChainAccess chain, List<Call> calls) {
    ChainAccess.CallResult r = chain.call(ADDRESS, encodeTryAggregate(calls));
    if (!r.success()) {
      throw new IllegalStateException("multicall reverted: " + r.errorMessage());
    }
    List<Result> results = decodeResults(Numeric.hexStringToByteArray(r.returnData()));
    if (results.size() != calls.size()) {
      throw new IllegalStateException(
          "multicall returned " + results.size() + " results for " + calls.size() + " calls");
    }
    return results;
  }

  /** Decodes {@code (bool success, bytes returnData)[]} with bounds checks. */
  static List<Result> decodeResults(byte[] data) {
    if (data.length < 64) {
      throw new IllegalStateException(
          "multicall returned "
              + data.length
              + " bytes: not a result array"
              + " (is Multicall3 deployed?)");
    }
    int arrayOffset = word(data, 0);
    int n = word(data, arrayOffset);
    int base = arrayOffset + 32;
    List<Result> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int tupleOffset = base + word(data, base + 32 * i);
      int successWord = word(data, tupleOffset);
      if (successWord != 0 && successWord != 1) {
        throw new IllegalStateException(
            "multicall result " + i + " has a non-boolean success flag");
      }
      int bytesOffset = tupleOffset + word(data, tupleOffset + 32);
      int len = word(data, bytesOffset);
      int start = bytesOffset + 32;
      if (start + len > data.length || start + len < start) {
        throw new IllegalStateException("multicall result " + i + " overruns the returned data");
      }
      out.add(new Result(successWord == 1, Arrays.copyOfRange(data, start, start + len)));
    }
    return out;
  }

  private static int word(byte[] data, int offset) {
    if (offset < 0 || offset + 32 > data.length) {
      throw new IllegalStateException("multicall answer truncated at offset " + offset);
    }
    BigInteger v = new BigInteger(1, Arrays.copyOfRange(data, offset, offset + 32));
    if (v.bitLength() > 30) {
      throw new IllegalStateException("multicall answer has an implausible offset/length " + v);
    }
    return v.intValue();
  }
}
