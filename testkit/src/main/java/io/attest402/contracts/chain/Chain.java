package io.attest402.contracts.chain;

import io.attest402.contracts.ContractArtifact;
import io.attest402.contracts.generated.TestUSDC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.abi.datatypes.Address;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.ContractGasProvider;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * A running local chain with our contracts deployed: anvil, a web3j client, the deployment and the
 * dev accounts. Closing it stops anvil.
 */
public final class Chain implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Chain.class);

  /** Where Multicall3 lives on public chains. */
  public static final String MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11";

  /** Uniswap's Permit2, at the same address on every chain. */
  public static final String PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3";

  /** x402's Permit2 proxies for {@code exact} and {@code upto}, as {@code @x402/evm} names them. */
  public static final String X402_EXACT_PERMIT2_PROXY =
      "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";

  public static final String X402_UPTO_PERMIT2_PROXY = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";

  private final Anvil anvil;
  private final Web3j web3j;
  private final Deployment deployment;

  private Chain(Anvil anvil, Web3j web3j, Deployment deployment) {
    this.anvil = anvil;
    this.web3j = web3j;
    this.deployment = deployment;
  }

  /**
   * Starts anvil on a free port, deploys every contract, funding the dev accounts, and places
   * Permit2 and the x402 Permit2 proxies at their canonical addresses.
   */
  public static Chain start() {
    return start(Anvil.Options.defaults());
  }

  public static Chain start(Anvil.Options options) {
    Anvil anvil = Anvil.start(options);
    try {
      Web3j web3j = Web3j.build(new HttpService(anvil.rpcUrl()));
      Deployer deployer =
          new Deployer(web3j, DevAccounts.account(DevAccounts.DEPLOYER), anvil.chainId());
      Deployment d = deployer.deployDev(anvil.rpcUrl(), DevAccounts.roles());
      Chain chain = new Chain(anvil, web3j, d);
      chain.placePermit2(deployer);
      return chain;
    } catch (RuntimeException e) {
      anvil.close();
      throw e;
    }
  }

  /**
   * Places our Permit2 and x402 Permit2 proxies at the canonical addresses: each is deployed once
   * (the proxies with the canonical Permit2 address as constructor argument, which their runtime
   * code keeps) and its runtime code set at the canonical address with {@code anvil_setCode}. No
   * constructor state is needed there (Permit2 computes its domain from {@code address(this)}).
   */
  private void placePermit2(Deployer deployer) {
    place(PERMIT2, deployer.deployContract(ContractArtifact.PERMIT2));
    place(
        X402_EXACT_PERMIT2_PROXY,
        deployer.deployContract(ContractArtifact.X402_EXACT_PERMIT2_PROXY, new Address(PERMIT2)));
    place(
        X402_UPTO_PERMIT2_PROXY,
        deployer.deployContract(ContractArtifact.X402_UPTO_PERMIT2_PROXY, new Address(PERMIT2)));
  }

  private void place(String canonical, String deployedCopy) {
    try {
      String code =
          web3j.ethGetCode(deployedCopy, DefaultBlockParameterName.LATEST).send().getCode();
      call("anvil_setCode", List.of(canonical, code));
      String placed =
          web3j.ethGetCode(canonical, DefaultBlockParameterName.LATEST).send().getCode();
      if (!code.equalsIgnoreCase(placed)) {
        throw new IllegalStateException("anvil_setCode did not place code at " + canonical);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Places Multicall3 at its canonical address ({@code interop/install-multicall3.mjs}), so that
   * tools that diagnose through it (the official x402 facilitator does) behave as on public chains.
   * Both local stacks ({@code chain} and the demo) call this. Optional: without it those tools fall
   * back to generic errors, so a failure only warns and returns empty.
   */
  public Optional<String> placeMulticall3() {
    try (NodeScript script =
        NodeScript.start(
            "install-multicall3.mjs",
            List.of(),
            Map.of(
                "RPC_URL",
                rpcUrl(),
                "CHAIN_ID",
                Long.toString(chainId()),
                "PRIVATE_KEY",
                deployment.account("deployer").privateKey()),
            Duration.ofSeconds(60))) {
      return Optional.of(script.ready().path("address").asText());
    } catch (RuntimeException e) {
      log.warn(
          "Multicall3 not placed ({}); the official facilitator's diagnostics will be generic on this chain",
          String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
      return Optional.empty();
    }
  }

  public Anvil anvil() {
    return anvil;
  }

  public Web3j web3j() {
    return web3j;
  }

  public Deployment deployment() {
    return deployment;
  }

  public String rpcUrl() {
    return anvil.rpcUrl();
  }

  public long chainId() {
    return anvil.chainId();
  }

  /** Dev account {@code i} (0..9); see {@link DevAccounts} for the roles. */
  public Credentials account(int i) {
    return DevAccounts.account(i);
  }

  /**
   * A transaction manager for {@code who} that waits for receipts briskly (anvil mines instantly).
   */
  public TransactionManager txManager(Credentials who) {
    return new RawTransactionManager(
        web3j, who, chainId(), new PollingTransactionReceiptProcessor(web3j, 50, 600));
  }

  /**
   * Gas settings fine for anvil: the suggested gas price as it is (a multiple would feed back into
   * anvil's tip suggestion and compound), 5M gas. Test blocks stay far below half full, so the base
   * fee never rises under it.
   */
  public ContractGasProvider gas() {
    try {
      return new StaticGasProvider(
          web3j.ethGasPrice().send().getGasPrice(), BigInteger.valueOf(5_000_000));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code who}'s balance of the deployment's USDC, in token units. */
  public BigInteger usdcBalance(String who) {
    try {
      return TestUSDC.load(
              deployment.contracts().usdc(),
              web3j,
              new ReadonlyTransactionManager(web3j, who),
              new DefaultGasProvider())
          .balanceOf(who)
          .send();
    } catch (Exception e) {
      throw new IllegalStateException("USDC balanceOf " + who + " failed: " + e.getMessage(), e);
    }
  }

  /** How many transactions {@code address} has had mined (its next nonce at the latest block). */
  public long nonce(String address) {
    try {
      return web3j
          .ethGetTransactionCount(address, DefaultBlockParameterName.LATEST)
          .send()
          .getTransactionCount()
          .longValueExact();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The receipt of a mined transaction; fails, naming it, when the chain has none. */
  public TransactionReceipt receipt(String transactionHash) {
    try {
      return web3j
          .ethGetTransactionReceipt(transactionHash)
          .send()
          .getTransactionReceipt()
          .orElseThrow(
              () -> new IllegalStateException("no receipt for transaction " + transactionHash));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The latest block's timestamp (chain time, which tests may move). */
  public long latestTimestamp() {
    try {
      return web3j
          .ethGetBlockByNumber(org.web3j.protocol.core.DefaultBlockParameterName.LATEST, false)
          .send()
          .getBlock()
          .getTimestamp()
          .longValueExact();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code evm_snapshot}: returns an id for {@link #revert}. */
  public String snapshot() {
    return call("evm_snapshot", List.of()).getResult().toString();
  }

  /** {@code evm_revert} to a snapshot (which anvil then forgets). */
  public void revert(String snapshotId) {
    Object ok = call("evm_revert", List.of(snapshotId)).getResult();
    if (!Boolean.TRUE.equals(ok)) {
      throw new IllegalStateException("evm_revert " + snapshotId + " failed");
    }
  }

  /** Moves chain time forward and mines a block. */
  public void increaseTime(long seconds) {
    call("evm_increaseTime", List.of(seconds));
    mine();
  }

  public void mine() {
    call("evm_mine", List.of());
  }

  /** Turns automine on or off (off: transactions wait in the mempool until {@link #mine}). */
  public void setAutomine(boolean on) {
    call("evm_setAutomine", List.of(on));
  }

  /** A raw JSON-RPC call, for anvil's test methods. */
  public Response<Object> call(String method, List<?> params) {
    try {
      @SuppressWarnings({"unchecked", "rawtypes"})
      Request<?, RawResponse> request =
          new Request(method, params, new HttpService(anvil.rpcUrl()), RawResponse.class);
      RawResponse r = request.send();
      if (r.hasError()) {
        throw new IllegalStateException(method + " failed: " + r.getError().getMessage());
      }
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JSON-RPC response with an untyped result. */
  public static final class RawResponse extends Response<Object> {}

  @Override
  public void close() {
    web3j.shutdown();
    anvil.close();
  }
}
