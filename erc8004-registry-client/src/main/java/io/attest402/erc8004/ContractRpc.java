package io.attest402.erc8004;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthGetTransactionReceipt;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignService;
import org.web3j.tx.RawTransactionManager;

/**
 * eth_call and transactions with typed reverts: every write is first simulated with {@code
 * eth_call} from the sender (a revert is reported with its reason and no gas is spent), then gas is
 * estimated, the transaction signed and sent, and its receipt awaited; a mined failure is replayed
 * at its block to recover the reason.
 */
public final class ContractRpc {
  private static final ConcurrentHashMap<String, Object> SENDER_LOCKS = new ConcurrentHashMap<>();

  private final Web3j web3j;
  private final long chainId;
  private final Duration receiptTimeout;
  private final long pollMillis;

  public ContractRpc(Web3j web3j, long chainId) {
    this(web3j, chainId, Duration.ofMinutes(3), 100);
  }

  public ContractRpc(Web3j web3j, long chainId, Duration receiptTimeout, long pollMillis) {
    this.web3j = web3j;
    this.chainId = chainId;
    this.receiptTimeout = receiptTimeout;
    this.pollMillis = pollMillis;
  }

  public Web3j web3j() {
    return web3j;
  }

  public long chainId() {
    return chainId;
  }

  /** A view call at the latest block; reverts become {@link RevertException}. */
  @SuppressWarnings("rawtypes")
  public List<Type> call(String to, Function f) {
    return call(to, f, null, DefaultBlockParameterName.LATEST);
  }

  @SuppressWarnings("rawtypes")
  public List<Type> call(String to, Function f, String from, DefaultBlockParameter block) {
    String data = FunctionEncoder.encode(f);
    EthCall r =
        send(
            web3j.ethCall(Transaction.createEthCallTransaction(from, to, data), block),
            f.getName());
    if (r.hasError()) {
      throw revertOrRpc(f.getName(), r.getError());
    }
    String value = r.getValue();
    if (value == null || value.equals("0x")) {
      if (f.getOutputParameters().isEmpty()) {
        return List.of();
      }
      throw new RegistryException(
          f.getName() + ": empty answer from " + to + " (no contract there?)");
    }
    try {
      return FunctionReturnDecoder.decode(value, f.getOutputParameters());
    } catch (RuntimeException e) {
      throw new RegistryException(
          f.getName() + ": cannot decode the answer of " + to + ": " + e.getMessage(), e);
    }
  }

  /**
   * Simulates, sends and awaits a transaction from {@code signer}; throws {@link RevertException}
   * on revert.
   */
  public TransactionReceipt send(TxSignService signer, String to, Function f) {
    return send(signer, to, FunctionEncoder.encode(f), f.getName());
  }

  /** As {@link #send(TxSignService, String, Function)} with raw calldata. */
  public TransactionReceipt send(TxSignService signer, String to, String data, String what) {
    String from = signer.getAddress();
    Object lock =
        SENDER_LOCKS.computeIfAbsent(from.toLowerCase(java.util.Locale.ROOT), k -> new Object());
    synchronized (lock) {
      EthCall pre =
          send(
              web3j.ethCall(
                  Transaction.createEthCallTransaction(from, to, data),
                  DefaultBlockParameterName.PENDING),
              what);
      if (pre.hasError()) {
        throw revertOrRpc(what, pre.getError());
      }
      EthEstimateGas est =
          send(
              web3j.ethEstimateGas(
                  Transaction.createFunctionCallTransaction(from, null, null, null, to, data)),
              what);
      if (est.hasError()) {
        throw revertOrRpc(what, est.getError());
      }
      BigInteger gasLimit =
          est.getAmountUsed()
              .multiply(BigInteger.valueOf(13))
              .divide(BigInteger.TEN)
              .add(BigInteger.valueOf(20_000));
      RawTransactionManager tm = new RawTransactionManager(web3j, signer, chainId);
      EthSendTransaction sent;
      String fees;
      try {
        BigInteger baseFee =
            send(web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false), what)
                .getBlock()
                .getBaseFeePerGas();
        if (baseFee != null) {
          // EIP-1559: pay the base fee plus the suggested tip (never a multiple of eth_gasPrice,
          // which on some nodes
          // feeds back into the next suggestion).
          org.web3j.protocol.core.methods.response.EthMaxPriorityFeePerGas tipResp =
              send(web3j.ethMaxPriorityFeePerGas(), what);
          BigInteger tip =
              tipResp.hasError() || tipResp.getMaxPriorityFeePerGas() == null
                  ? BigInteger.valueOf(1_000_000_000L)
                  : tipResp.getMaxPriorityFeePerGas();
          BigInteger maxFee = baseFee.multiply(BigInteger.TWO).add(tip);
          fees = "maxFee " + maxFee + ", tip " + tip;
          sent =
              tm.sendEIP1559Transaction(
                  chainId, tip, maxFee, gasLimit, to, data, BigInteger.ZERO, false);
        } else {
          BigInteger gasPrice = send(web3j.ethGasPrice(), what).getGasPrice();
          fees = "gasPrice " + gasPrice;
          sent = tm.sendTransaction(gasPrice, gasLimit, to, data, BigInteger.ZERO, false);
        }
      } catch (IOException e) {
        throw new RegistryException(what + ": cannot send the transaction: " + e.getMessage(), e);
      }
      if (sent.hasError()) {
        RegistryException e = revertOrRpc(what, sent.getError());
        if (e instanceof RevertException) {
          throw e;
        }
        throw new RegistryException(
            e.getMessage() + " (from " + from + ", gas " + gasLimit + ", " + fees + ")");
      }
      TransactionReceipt receipt = awaitReceipt(sent.getTransactionHash(), what);
      if (!receipt.isStatusOK()) {
        EthCall replay =
            send(
                web3j.ethCall(
                    Transaction.createEthCallTransaction(from, to, data),
                    DefaultBlockParameter.valueOf(receipt.getBlockNumber())),
                what);
        RevertException why =
            replay.hasError() && replay.getError().getData() != null
                ? Reverts.decode(what, replay.getError().getData())
                : Reverts.decode(what, null);
        throw why.withTxHash(receipt.getTransactionHash());
      }
      return receipt;
    }
  }

  /**
   * The receipt of {@code txHash} once mined (polling), or a {@link RegistryException} after the
   * timeout.
   */
  public TransactionReceipt awaitReceipt(String txHash, String what) {
    long deadline = System.nanoTime() + receiptTimeout.toNanos();
    while (true) {
      Optional<TransactionReceipt> r = receipt(txHash);
      if (r.isPresent()) {
        return r.get();
      }
      if (System.nanoTime() > deadline) {
        throw new RegistryException(
            what + ": no receipt for " + txHash + " within " + receiptTimeout);
      }
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RegistryException(what + ": interrupted while waiting for " + txHash, e);
      }
    }
  }

  public Optional<TransactionReceipt> receipt(String txHash) {
    EthGetTransactionReceipt r =
        send(web3j.ethGetTransactionReceipt(txHash), "eth_getTransactionReceipt");
    if (r.hasError()) {
      throw new RegistryException(
          "eth_getTransactionReceipt " + txHash + ": " + r.getError().getMessage());
    }
    return r.getTransactionReceipt();
  }

  /**
   * {@code eth_getLogs} of {@code addresses} between two blocks (inclusive), split into ranges of
   * at most {@code maxRange} blocks as public RPCs require. {@code topics}: position 0.. filters,
   * null = any; a position's list is an OR.
   */
  public List<org.web3j.protocol.core.methods.response.Log> logs(
      List<String> addresses,
      List<List<String>> topics,
      long fromBlock,
      long toBlock,
      long maxRange) {
    List<org.web3j.protocol.core.methods.response.Log> out = new java.util.ArrayList<>();
    for (long start = fromBlock; start <= toBlock; start += maxRange) {
      long end = Math.min(toBlock, start + maxRange - 1);
      org.web3j.protocol.core.methods.request.EthFilter filter =
          new org.web3j.protocol.core.methods.request.EthFilter(
              DefaultBlockParameter.valueOf(BigInteger.valueOf(start)),
              DefaultBlockParameter.valueOf(BigInteger.valueOf(end)),
              addresses);
      for (List<String> position : topics) {
        if (position == null || position.isEmpty()) {
          filter.addNullTopic();
        } else if (position.size() == 1) {
          filter.addSingleTopic(position.get(0));
        } else {
          filter.addOptionalTopics(position.toArray(new String[0]));
        }
      }
      org.web3j.protocol.core.methods.response.EthLog r =
          send(web3j.ethGetLogs(filter), "eth_getLogs");
      if (r.hasError()) {
        throw new RegistryException(
            "eth_getLogs " + start + ".." + end + ": " + r.getError().getMessage());
      }
      for (org.web3j.protocol.core.methods.response.EthLog.LogResult<?> lr : r.getLogs()) {
        out.add((org.web3j.protocol.core.methods.response.Log) lr.get());
      }
    }
    return out;
  }

  /** The latest block number. */
  public long blockNumber() {
    return send(web3j.ethBlockNumber(), "eth_blockNumber").getBlockNumber().longValueExact();
  }

  /** A block header (no transactions), empty when the chain has no such block. */
  public Optional<org.web3j.protocol.core.methods.response.EthBlock.Block> block(long number) {
    org.web3j.protocol.core.methods.response.EthBlock b =
        send(
            web3j.ethGetBlockByNumber(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(number)), false),
            "eth_getBlock");
    if (b.hasError()) {
      throw new RegistryException(
          "eth_getBlockByNumber " + number + ": " + b.getError().getMessage());
    }
    return Optional.ofNullable(b.getBlock());
  }

  private static RegistryException revertOrRpc(String what, Response.Error error) {
    String data = error.getData();
    boolean looksLikeRevert =
        (data != null && data.replace("\"", "").startsWith("0x"))
            || (error.getMessage() != null
                && error.getMessage().toLowerCase(java.util.Locale.ROOT).contains("revert"));
    if (looksLikeRevert) {
      return Reverts.decode(what, data);
    }
    return new RegistryException(
        what + ": RPC error " + error.getCode() + ": " + error.getMessage());
  }

  static <T extends Response<?>> T send(
      org.web3j.protocol.core.Request<?, T> request, String what) {
    try {
      return request.send();
    } catch (IOException e) {
      throw new RegistryException(what + ": RPC unreachable: " + e.getMessage(), e);
    }
  }
}
