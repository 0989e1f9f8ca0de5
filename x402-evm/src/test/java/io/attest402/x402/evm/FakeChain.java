package io.attest402.x402.evm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.DynamicStruct;
import org.web3j.utils.Numeric;

/** A scripted {@link ChainAccess}: code per address, and a call handler; records every request. */
final class FakeChain implements ChainAccess {
  final Map<String, String> codes = new HashMap<>();
  final List<String> log = new ArrayList<>();
  BiFunction<String, String, CallResult> calls = (to, data) -> CallResult.ok("0x");
  RuntimeException getCodeFailure;

  FakeChain code(String address, String code) {
    codes.put(address.toLowerCase(Locale.ROOT), code);
    return this;
  }

  @Override
  public String getCode(String address) {
    log.add("getCode " + address.toLowerCase(Locale.ROOT));
    if (getCodeFailure != null) {
      throw getCodeFailure;
    }
    return codes.getOrDefault(address.toLowerCase(Locale.ROOT), "0x");
  }

  @Override
  public CallResult call(String to, String data) {
    log.add("call " + to.toLowerCase(Locale.ROOT) + " " + data.substring(0, 10));
    return calls.apply(to, data);
  }

  long count(String prefix) {
    return log.stream().filter(s -> s.startsWith(prefix)).count();
  }

  /** The tuple (bool success, bytes returnData). */
  public static final class ResultStruct extends DynamicStruct {
    public ResultStruct(Bool success, DynamicBytes data) {
      super(success, data);
    }
  }

  /** ABI encoding of a tryAggregate answer. */
  static String aggregateAnswer(List<Multicall3.Result> results) {
    List<ResultStruct> structs = new ArrayList<>();
    for (Multicall3.Result r : results) {
      structs.add(new ResultStruct(new Bool(r.success()), new DynamicBytes(r.returnData())));
    }
    return "0x"
        + FunctionEncoder.encodeConstructor(
            List.of(new DynamicArray<>(ResultStruct.class, structs)));
  }

  static byte[] word(long v) {
    return Numeric.toBytesPadded(java.math.BigInteger.valueOf(v), 32);
  }

  static byte[] abiString(String s) {
    return Numeric.hexStringToByteArray(
        FunctionEncoder.encodeConstructor(List.of(new org.web3j.abi.datatypes.Utf8String(s))));
  }
}
