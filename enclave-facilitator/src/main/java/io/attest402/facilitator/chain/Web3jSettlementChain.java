package io.attest402.facilitator.chain;

import io.attest402.x402.evm.Eip3009Calls;
import io.attest402.x402.evm.Hex;
import io.attest402.x402.evm.Web3jChainAccess;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.BatchRequest;
import org.web3j.protocol.core.BatchResponse;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthGetTransactionReceipt;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * {@link SettlementChain} over web3j's HTTP client with every call bounded by one timeout (connect,
 * read, write and the whole call). Blocking: call it from worker threads, never from an event loop.
 */
public final class Web3jSettlementChain implements SettlementChain, AutoCloseable {
  private static final BigInteger DEFAULT_TIP =
      BigInteger.valueOf(1_000_000_000L); // 1 gwei when the node has none

  private final Web3j web3j;
  private final long chainId;

  /** How errors name the node: never its URL, which often carries an API key. */
  private final String rpcLabel;

  private final String rpcUrl;

  /**
   * @param rpcUrl the node's URL, used only to strip it (and its host) from error messages
   * @param rpcLabel how error messages name this node ("rpc #1"), never its URL
   */
  public Web3jSettlementChain(Web3j web3j, long chainId, String rpcUrl, String rpcLabel) {
    this.web3j = web3j;
    this.chainId = chainId;
    this.rpcUrl = rpcUrl;
    this.rpcLabel = rpcLabel;
  }

  public String label() {
    return rpcLabel;
  }

  /** A web3j client whose every call gives up after {@code timeout}. */
  public static Web3j boundedWeb3j(String rpcUrl, Duration timeout) {
    long ms = timeout.toMillis();
    OkHttpClient http =
        new OkHttpClient.Builder()
            .connectTimeout(Math.min(ms, 5_000), TimeUnit.MILLISECONDS)
            .readTimeout(ms, TimeUnit.MILLISECONDS)
            .writeTimeout(ms, TimeUnit.MILLISECONDS)
            .callTimeout(ms, TimeUnit.MILLISECONDS)
            .connectionPool(new ConnectionPool(64, 2, TimeUnit.MINUTES))
            .retryOnConnectionFailure(false)
            .build();
    return Web3j.build(new HttpService(rpcUrl, http, false));
  }

  public Web3j web3j() {
    return web3j;
  }

  @Override
  public long chainId() {
    return chainId;
  }

  private <T extends Response<?>> T send(
      String what, org.web3j.protocol.core.Request<?, T> request) {
    T r;
    try {
      r = request.send();
    } catch (IOException | RuntimeException e) {
      throw new RpcUnavailableException(what + " failed at " + rpcLabel + ": " + describe(e), e);
    }
    if (r == null) {
      throw new RpcUnavailableException(what + ": empty answer from " + rpcLabel);
    }
    return r;
  }

  private String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : " " + RpcUrls.redact(m, rpcUrl));
  }

  private <T extends Response<?>> T sendOk(
      String what, org.web3j.protocol.core.Request<?, T> request) {
    T r = send(what, request);
    if (r.hasError()) {
      throw new RpcUnavailableException(what + ": " + r.getError().getMessage());
    }
    return r;
  }

  @Override
  public long nonce(String account, boolean pending) {
    return sendOk(
            "eth_getTransactionCount",
            web3j.ethGetTransactionCount(
                account,
                pending ? DefaultBlockParameterName.PENDING : DefaultBlockParameterName.LATEST))
        .getTransactionCount()
        .longValueExact();
  }

  @Override
  public long reportedChainId() {
    return sendOk("eth_chainId", web3j.ethChainId()).getChainId().longValueExact();
  }

  @Override
  public FeeMarket feeMarket() {
    EthBlock.Block block =
        sendOk(
                "eth_getBlockByNumber",
                web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false))
            .getBlock();
    if (block == null) {
      throw new RpcUnavailableException("eth_getBlockByNumber(latest) returned no block");
    }
    String baseRaw = block.getBaseFeePerGasRaw();
    if (baseRaw == null || baseRaw.isEmpty()) {
      BigInteger gasPrice = sendOk("eth_gasPrice", web3j.ethGasPrice()).getGasPrice();
      return new FeeMarket(null, null, gasPrice);
    }
    BigInteger base = Numeric.decodeQuantity(baseRaw);
    BigInteger tip;
    var r = send("eth_maxPriorityFeePerGas", web3j.ethMaxPriorityFeePerGas());
    tip = r.hasError() || r.getResult() == null ? DEFAULT_TIP : r.getMaxPriorityFeePerGas();
    if (tip.signum() <= 0) {
      tip = BigInteger.ONE;
    }
    return new FeeMarket(base, tip, null);
  }

  @Override
  public BigInteger estimateGas(String from, String to, String data, BigInteger gasCap)
      throws RevertedException {
    EthEstimateGas r =
        send(
            "eth_estimateGas",
            web3j.ethEstimateGas(new Transaction(from, null, null, gasCap, to, null, data)));
    if (r.hasError()) {
      Response.Error err = r.getError();
      String msg = err.getMessage() == null ? "execution reverted" : err.getMessage();
      if (isExecutionError(err)) {
        throw new RevertedException(msg);
      }
      throw new RpcUnavailableException("eth_estimateGas: " + msg);
    }
    BigInteger gas = r.getAmountUsed();
    if (gasCap != null && gas.compareTo(gasCap) > 0) {
      throw new RevertedException("gas required exceeds the cap: needs " + gas + ", cap " + gasCap);
    }
    return gas;
  }

  /**
   * {@link Web3jChainAccess#isExecutionError}, and also "gas required exceeds" (an estimate that
   * cannot fit).
   */
  private static boolean isExecutionError(Response.Error err) {
    String m = err.getMessage() == null ? "" : err.getMessage().toLowerCase(java.util.Locale.ROOT);
    return Web3jChainAccess.isExecutionError(err) || m.contains("gas required exceeds");
  }

  @Override
  public SendResult sendRaw(String signedTxHex) {
    EthSendTransaction r;
    try {
      r = web3j.ethSendRawTransaction(signedTxHex).send();
    } catch (IOException | RuntimeException e) {
      return new SendResult(SendResult.Kind.UNKNOWN, describe(e));
    }
    if (r == null) {
      return new SendResult(SendResult.Kind.UNKNOWN, "empty answer");
    }
    if (r.hasError()) {
      SendResult refused = SendResult.classify(r.getError().getMessage());
      if (refused.kind() == SendResult.Kind.NONCE_TOO_LOW) {
        return usedByItself(signedTxHex, refused);
      }
      return refused;
    }
    return new SendResult(SendResult.Kind.ACCEPTED, "");
  }

  /**
   * A nonce "too low" may be taken by this very transaction: the settle path and the reconciler
   * both broadcast a journaled transaction, and on an automining node the first send is mined
   * before the second arrives. Treated as taken by someone else, the settlement would be signed
   * again at a new nonce and sent twice. Only when the chain does not know this transaction is the
   * nonce someone else's; when that cannot be read, the outcome is left to the reconciler.
   */
  private SendResult usedByItself(String signedTxHex, SendResult refused) {
    try {
      boolean known =
          web3j.ethGetTransactionByHash(Hash.sha3(signedTxHex)).send().getTransaction().isPresent();
      return known
          ? new SendResult(SendResult.Kind.ALREADY_KNOWN, "nonce used by this transaction")
          : refused;
    } catch (IOException | RuntimeException e) {
      return new SendResult(
          SendResult.Kind.UNKNOWN, refused.message() + "; lookup failed: " + describe(e));
    }
  }

  @Override
  public Map<String, TransactionReceipt> receipts(Collection<String> txHashes) {
    Map<String, TransactionReceipt> out = new LinkedHashMap<>();
    if (txHashes.isEmpty()) {
      return out;
    }
    List<String> hashes = new ArrayList<>(txHashes);
    for (int from = 0; from < hashes.size(); from += 100) {
      List<String> chunk = hashes.subList(from, Math.min(hashes.size(), from + 100));
      BatchRequest batch = web3j.newBatch();
      chunk.forEach(h -> batch.add(web3j.ethGetTransactionReceipt(h)));
      BatchResponse resp;
      try {
        resp = batch.send();
      } catch (IOException | RuntimeException e) {
        throw new RpcUnavailableException(
            "eth_getTransactionReceipt failed at " + rpcLabel + ": " + describe(e), e);
      }
      for (Response<?> r : resp.getResponses()) {
        if (r instanceof EthGetTransactionReceipt g && !g.hasError() && g.getResult() != null) {
          TransactionReceipt tr = g.getResult();
          if (tr.getBlockNumberRaw() != null && tr.getTransactionHash() != null) {
            out.put(Hex.lower(tr.getTransactionHash()), tr);
          }
        }
      }
    }
    return out;
  }

  @Override
  public boolean authorizationState(String asset, String authorizer, String nonce32Hex) {
    String data =
        Eip3009Calls.encode(Eip3009Calls.authorizationState(authorizer, Hex.decode(nonce32Hex)));
    EthCall r =
        sendOk(
            "authorizationState",
            web3j.ethCall(
                Transaction.createEthCallTransaction(null, asset, data),
                DefaultBlockParameterName.LATEST));
    if (r.isReverted()) {
      throw new RpcUnavailableException(
          "authorizationState reverted on " + asset + ": " + r.getRevertReason());
    }
    String v = r.getValue();
    return v != null && !Hex.strip(v).isEmpty() && Numeric.toBigInt(v).signum() != 0;
  }

  /** topic0 of EIP-3009's {@code AuthorizationUsed(address indexed, bytes32 indexed)}. */
  private static final String AUTHORIZATION_USED =
      org.web3j.crypto.Hash.sha3String("AuthorizationUsed(address,bytes32)");

  @Override
  public java.util.Optional<UsedBy> authorizationUsedBy(
      String asset, String authorizer, String nonce32Hex, long lookbackBlocks) {
    long latest = blockNumber();
    org.web3j.protocol.core.methods.request.EthFilter f =
        new org.web3j.protocol.core.methods.request.EthFilter(
            org.web3j.protocol.core.DefaultBlockParameter.valueOf(
                BigInteger.valueOf(Math.max(0, latest - lookbackBlocks))),
            DefaultBlockParameterName.LATEST,
            asset);
    f.addSingleTopic(AUTHORIZATION_USED);
    f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
    f.addSingleTopic(nonce32Hex.toLowerCase(java.util.Locale.ROOT));
    var logs = sendOk("eth_getLogs", web3j.ethGetLogs(f)).getLogs();
    for (var r : logs) {
      if (r.get() instanceof org.web3j.protocol.core.methods.response.Log l
          && l.getTransactionHash() != null) {
        String tx = l.getTransactionHash().toLowerCase(java.util.Locale.ROOT);
        var t =
            sendOk("eth_getTransactionByHash", web3j.ethGetTransactionByHash(tx)).getTransaction();
        return java.util.Optional.of(
            new UsedBy(tx, t.map(x -> x.getFrom()).orElse("").toLowerCase(java.util.Locale.ROOT)));
      }
    }
    return java.util.Optional.empty();
  }

  @Override
  public boolean permit2NonceUsed(String owner, BigInteger nonce) {
    EthCall r =
        sendOk(
            "nonceBitmap",
            web3j.ethCall(
                Transaction.createEthCallTransaction(
                    null,
                    io.attest402.x402.evm.Permit2.ADDRESS,
                    io.attest402.x402.evm.Permit2.nonceBitmapCalldata(owner, nonce)),
                DefaultBlockParameterName.LATEST));
    String v = r.getValue();
    if (r.isReverted() || v == null || Hex.strip(v).isEmpty()) {
      throw new RpcUnavailableException(
          "Permit2 nonceBitmap gave no answer: " + (r.isReverted() ? r.getRevertReason() : v));
    }
    return io.attest402.x402.evm.Permit2.nonceUsed(Numeric.toBigInt(v), nonce);
  }

  @Override
  public BigInteger permit2Allowance(String token, String owner) {
    EthCall r =
        sendOk(
            "allowance",
            web3j.ethCall(
                Transaction.createEthCallTransaction(
                    null, token, io.attest402.x402.evm.Permit2.allowanceCalldata(owner)),
                DefaultBlockParameterName.LATEST));
    String v = r.getValue();
    if (r.isReverted() || v == null || Hex.strip(v).isEmpty()) {
      throw new RpcUnavailableException(
          "allowance gave no answer: " + (r.isReverted() ? r.getRevertReason() : v));
    }
    return Numeric.toBigInt(v);
  }

  @Override
  public BigInteger balance(String account) {
    return sendOk("eth_getBalance", web3j.ethGetBalance(account, DefaultBlockParameterName.LATEST))
        .getBalance();
  }

  @Override
  public long blockNumber() {
    return sendOk("eth_blockNumber", web3j.ethBlockNumber()).getBlockNumber().longValueExact();
  }

  @Override
  public void close() {
    web3j.shutdown();
  }
}
