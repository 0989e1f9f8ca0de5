package io.attest402.contracts.chain;

import io.attest402.contracts.ContractArtifact;
import io.attest402.contracts.generated.TestPermitToken;
import io.attest402.contracts.generated.TestPlainToken;
import io.attest402.contracts.generated.TestUSDC;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Numeric;

/**
 * Deploys attest402's contracts (TestUSDC, the three ERC-8004 registries, SettlementLog, the
 * EIP-2612-only TestPermitToken, the plain-ERC-20 TestPlainToken) to any EVM chain.
 */
public final class Deployer {
  /** USDC each funded dev account receives: 1,000,000 USDC (6 decimals). */
  public static final BigInteger DEV_USDC =
      BigInteger.valueOf(1_000_000L).multiply(BigInteger.TEN.pow(6));

  /** TestPermitToken's EIP-712 domain (OpenZeppelin's ERC20Permit: version "1") and decimals. */
  public static final Deployment.Token PERMIT_TOKEN = new Deployment.Token("Permit Dollar", "1", 6);

  /**
   * TestPlainToken: no EIP-712 domain of its own (neither EIP-3009 nor EIP-2612); the name and
   * version offers carry in {@code extra} are its ERC-20 name and "1".
   */
  public static final Deployment.Token PLAIN_TOKEN = new Deployment.Token("Plain Dollar", "1", 6);

  private final Web3j web3j;
  private final Credentials deployer;
  private final long chainId;
  private final TransactionManager tx;

  public Deployer(Web3j web3j, Credentials deployer, long chainId) {
    this.web3j = web3j;
    this.deployer = deployer;
    this.chainId = chainId;
    this.tx =
        new RawTransactionManager(
            web3j, deployer, chainId, new PollingTransactionReceiptProcessor(web3j, 100, 1200));
  }

  /**
   * Deploys every contract and returns where they are; {@code accounts} left empty (real chains
   * carry no keys).
   */
  public Deployment deployAll(String rpcUrl) {
    String usdc = deployContract(ContractArtifact.TEST_USDC, new Address(deployer.getAddress()));
    String identity = deployContract(ContractArtifact.IDENTITY_REGISTRY);
    String reputation = deployContract(ContractArtifact.REPUTATION_REGISTRY, new Address(identity));
    String validation = deployContract(ContractArtifact.VALIDATION_REGISTRY, new Address(identity));
    String settlementLog = deployContract(ContractArtifact.SETTLEMENT_LOG);
    String permitToken =
        deployContract(ContractArtifact.TEST_PERMIT_TOKEN, new Address(deployer.getAddress()));
    String plainToken =
        deployContract(ContractArtifact.TEST_PLAIN_TOKEN, new Address(deployer.getAddress()));
    return new Deployment(
        chainId,
        "eip155:" + chainId,
        rpcUrl,
        new Deployment.Contracts(
            usdc, identity, reputation, validation, settlementLog, permitToken, plainToken),
        new Deployment.Token("USD Coin", "2", 6),
        null);
  }

  /**
   * On a dev chain: deploys, mints {@link #DEV_USDC} to every dev account but the deployer's, and
   * records every dev account with its (public) key. {@code devAccounts} maps the deployment file's
   * role names to the chain's dev keys, {@code "deployer"} among them.
   */
  public Deployment deployDev(String rpcUrl, Map<String, Credentials> devAccounts) {
    Deployment d = deployAll(rpcUrl);
    Map<String, Deployment.Account> accounts = new LinkedHashMap<>();
    TestUSDC token = TestUSDC.load(d.contracts().usdc(), web3j, tx, gas(2_000_000));
    TestPermitToken permitToken =
        TestPermitToken.load(d.contracts().permitToken(), web3j, tx, gas(2_000_000));
    TestPlainToken plainToken =
        TestPlainToken.load(d.contracts().plainToken(), web3j, tx, gas(2_000_000));
    for (var role : devAccounts.entrySet()) {
      Credentials c = role.getValue();
      accounts.put(
          role.getKey(),
          new Deployment.Account(
              c.getAddress(),
              Numeric.toHexStringWithPrefixZeroPadded(c.getEcKeyPair().getPrivateKey(), 64)));
      if (!c.getAddress().equalsIgnoreCase(deployer.getAddress())) {
        try {
          TransactionReceipt r = token.mint(c.getAddress(), DEV_USDC).send();
          Transactions.requireSuccess(r, "mint USDC to " + role.getKey());
          r = permitToken.mint(c.getAddress(), DEV_USDC).send();
          Transactions.requireSuccess(r, "mint TestPermitToken to " + role.getKey());
          r = plainToken.mint(c.getAddress(), DEV_USDC).send();
          Transactions.requireSuccess(r, "mint TestPlainToken to " + role.getKey());
        } catch (Exception e) {
          throw new IllegalStateException("cannot mint dev USDC: " + e.getMessage(), e);
        }
      }
    }
    return new Deployment(d.chainId(), d.network(), d.rpcUrl(), d.contracts(), d.usdc(), accounts);
  }

  /** Deploys one artifact with constructor arguments; returns its address. */
  public String deployContract(String artifactName, Type<?>... constructorArgs) {
    ContractArtifact artifact = ContractArtifact.load(artifactName);
    String data = artifact.bytecode() + FunctionEncoder.encodeConstructor(List.of(constructorArgs));
    try {
      EthEstimateGas estimate =
          web3j
              .ethEstimateGas(
                  Transaction.createContractTransaction(deployer.getAddress(), null, null, data))
              .send();
      if (estimate.hasError()) {
        throw new IllegalStateException(
            "deploying " + artifactName + " would fail: " + estimate.getError().getMessage());
      }
      BigInteger gasLimit =
          estimate.getAmountUsed().multiply(BigInteger.valueOf(12)).divide(BigInteger.TEN);
      EthSendTransaction sent =
          tx.sendTransaction(gasPrice(), gasLimit, null, data, BigInteger.ZERO, true);
      if (sent.hasError()) {
        throw new IllegalStateException(
            "deploying " + artifactName + ": " + sent.getError().getMessage());
      }
      TransactionReceipt receipt =
          new PollingTransactionReceiptProcessor(web3j, 100, 1200)
              .waitForTransactionReceipt(sent.getTransactionHash());
      Transactions.requireSuccess(receipt, "deploy " + artifactName);
      String code =
          web3j
              .ethGetCode(receipt.getContractAddress(), DefaultBlockParameterName.LATEST)
              .send()
              .getCode();
      if (code == null || code.equals("0x")) {
        throw new IllegalStateException(
            artifactName + " deployed but has no code at " + receipt.getContractAddress());
      }
      return receipt.getContractAddress();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "RPC failure while deploying " + artifactName + ": " + e.getMessage(), e);
    } catch (org.web3j.protocol.exceptions.TransactionException e) {
      throw new IllegalStateException(
          "no receipt for the deployment of " + artifactName + ": " + e.getMessage(), e);
    }
  }

  private StaticGasProvider gas(long limit) {
    try {
      return new StaticGasProvider(gasPrice(), BigInteger.valueOf(limit));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Twice the latest base fee plus the node's suggested tip (its gas price before London). Not
   * twice {@code eth_gasPrice}: on a quiet chain the node suggests the tips of our own last
   * transactions, so doubling it compounded with every deployment (past 1,900 gwei on anvil).
   */
  private BigInteger gasPrice() throws IOException {
    BigInteger base =
        web3j
            .ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false)
            .send()
            .getBlock()
            .getBaseFeePerGas();
    if (base == null) {
      return web3j.ethGasPrice().send().getGasPrice();
    }
    return base.multiply(BigInteger.TWO)
        .add(web3j.ethMaxPriorityFeePerGas().send().getMaxPriorityFeePerGas());
  }
}
