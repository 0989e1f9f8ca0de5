package io.attest402.x402.evm;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Objects;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthGetCode;

/**
 * {@link ChainAccess} over a web3j client (blocking; call it off event loops). With a call gas
 * limit every {@code eth_call} (ERC-1271 checks, the simulation) runs with at most that much gas,
 * so a contract that burns gas answers "out of gas" (a call result) instead of costing the node, or
 * later a settlement, millions of gas.
 */
public final class Web3jChainAccess implements ChainAccess {
  private final Web3j web3j;
  private final BigInteger callGasLimit;

  public Web3jChainAccess(Web3j web3j) {
    this(web3j, null);
  }

  /**
   * @param callGasLimit gas limit of every {@code eth_call}; null: the node's default
   */
  public Web3jChainAccess(Web3j web3j, BigInteger callGasLimit) {
    this.web3j = web3j;
    this.callGasLimit = callGasLimit;
  }

  @Override
  public String getCode(String address) {
    try {
      EthGetCode r = web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send();
      if (r.hasError()) {
        throw new ChainAccessException("eth_getCode " + address + ": " + r.getError().getMessage());
      }
      String code = r.getCode();
      return code == null || code.isEmpty() ? "0x" : code;
    } catch (IOException | RuntimeException e) {
      throw failure("eth_getCode " + address, e);
    }
  }

  @Override
  public CallResult call(String to, String data) {
    return call(to, data, callGasLimit);
  }

  /** The gas limit of every {@link #call}, null when the node's default applies. */
  public BigInteger callGasLimit() {
    return callGasLimit;
  }

  /**
   * {@code eth_call({to, data, gas}, latest)}; {@code to} null runs {@code data} as creation code
   * (a deployless call, as {@link BatchingChainAccess} sends its batches).
   */
  public CallResult call(String to, String data, BigInteger gas) {
    return call(null, to, data, gas);
  }

  @Override
  public CallResult callFrom(String from, String to, String data) {
    return call(Objects.requireNonNull(from, "from"), to, data, callGasLimit);
  }

  private CallResult call(String from, String to, String data, BigInteger gas) {
    try {
      Transaction tx =
          gas == null
              ? Transaction.createEthCallTransaction(from, to, data)
              : new Transaction(from, null, null, gas, to, null, data);
      EthCall r = web3j.ethCall(tx, DefaultBlockParameterName.LATEST).send();
      if (r.hasError()) {
        Response.Error err = r.getError();
        if (isExecutionError(err)) {
          return CallResult.reverted(err.getMessage(), err.getData());
        }
        throw new ChainAccessException("eth_call to " + to + ": " + err.getMessage());
      }
      return CallResult.ok(r.getValue());
    } catch (IOException | RuntimeException e) {
      throw failure("eth_call to " + to, e);
    }
  }

  @Override
  public BigInteger transactionCount(String address) {
    try {
      var r = web3j.ethGetTransactionCount(address, DefaultBlockParameterName.LATEST).send();
      if (r.hasError()) {
        throw new ChainAccessException(
            "eth_getTransactionCount " + address + ": " + r.getError().getMessage());
      }
      return r.getTransactionCount();
    } catch (IOException | RuntimeException e) {
      throw failure("eth_getTransactionCount " + address, e);
    }
  }

  @Override
  public Eip1559Fees eip1559Fees() {
    try {
      var block = web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send();
      if (block.hasError() || block.getBlock() == null) {
        throw new ChainAccessException("eth_getBlockByNumber latest: no block");
      }
      String baseHex = block.getBlock().getBaseFeePerGasRaw();
      if (baseHex == null) {
        throw new ChainAccessException("the latest block has no baseFeePerGas: not EIP-1559");
      }
      BigInteger base = org.web3j.utils.Numeric.decodeQuantity(baseHex);
      BigInteger priority;
      var p = web3j.ethMaxPriorityFeePerGas().send();
      if (!p.hasError() && p.getResult() != null) {
        priority = p.getMaxPriorityFeePerGas();
      } else {
        var gasPrice = web3j.ethGasPrice().send();
        if (gasPrice.hasError()) {
          throw new ChainAccessException("eth_gasPrice: " + gasPrice.getError().getMessage());
        }
        priority = gasPrice.getGasPrice().subtract(base).max(BigInteger.ZERO);
      }
      // viem's default baseFeeMultiplier 1.2, as base * 12 / 10
      BigInteger maxFee =
          base.multiply(BigInteger.valueOf(12)).divide(BigInteger.TEN).add(priority);
      return new Eip1559Fees(maxFee, priority);
    } catch (IOException | RuntimeException e) {
      throw failure("fee estimate", e);
    }
  }

  /**
   * Any exception out of the web3j client is a node failure: I/O and timeouts, but also its
   * unchecked ones (an HTTP error status from the node or a proxy in front of it is a {@code
   * ClientConnectionException}).
   */
  private static ChainAccessException failure(String what, Exception e) {
    return e instanceof ChainAccessException c
        ? c
        : new ChainAccessException(what + " failed: " + e.getMessage(), e);
  }

  /**
   * True when a node's JSON-RPC error reports an execution failure (revert, invalid opcode, out of
   * gas) rather than an RPC problem: code 3, or -32000/-32015 with such a message, as nodes differ
   * (anvil says "OutOfGas", geth "out of gas"). Execution errors are call results.
   */
  public static boolean isExecutionError(Response.Error err) {
    String msg =
        err.getMessage() == null ? "" : err.getMessage().toLowerCase(java.util.Locale.ROOT);
    return err.getCode() == 3
        || msg.contains("revert")
        || msg.contains("execution")
        || msg.contains("invalid opcode")
        || msg.contains("out of gas")
        || msg.contains("outofgas")
        || msg.contains("gas required exceeds")
        || msg.contains("intrinsic gas too low");
  }
}
