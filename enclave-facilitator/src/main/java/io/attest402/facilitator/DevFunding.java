package io.attest402.facilitator;

import io.attest402.facilitator.chain.Web3jSettlementChain;
import io.attest402.facilitator.config.NetworkConfig;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.Transfer;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.utils.Convert;

/**
 * On dev chains: gives the facilitator account gas from the deployment's (public) deployer account.
 */
public final class DevFunding {
  public static final BigDecimal AMOUNT_ETH = BigDecimal.TEN;

  private DevFunding() {}

  /** The account's balance before, and whether this funded it. */
  public record Result(BigInteger balanceBefore, boolean funded, String txHash) {}

  /**
   * How often a funding transfer that lost its deployer nonce to a concurrent funder is retried.
   */
  static final int NONCE_RETRIES = 20;

  /**
   * Sends the transfer; replicas started together fund their signers from the one deployer account
   * and may take the same pending nonce: a send refused for its nonce ("nonce too low", "already
   * known", "replacement transaction underpriced") is sent again with a fresh pending nonce after a
   * random pause, so that parallel starts take turns.
   */
  private static TransactionReceipt send(Transfer t, String account) throws Exception {
    java.util.Random jitter = new java.util.Random();
    for (int attempt = 1; ; attempt++) {
      try {
        return t.sendFunds(account, AMOUNT_ETH, Convert.Unit.ETHER).send();
      } catch (Exception e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
        boolean lostNonce =
            m.contains("nonce too low")
                || m.contains("already known")
                || m.contains("replacement transaction underpriced")
                || m.contains("nonce has already been used");
        if (!lostNonce || attempt >= NONCE_RETRIES) {
          throw e;
        }
        Thread.sleep(20 + jitter.nextInt(200));
      }
    }
  }

  public static Result fundIfEmpty(NetworkConfig n, String account, Duration rpcTimeout)
      throws Exception {
    Web3j web3j = Web3jSettlementChain.boundedWeb3j(n.rpcUrl(), rpcTimeout);
    try {
      BigInteger balance =
          web3j
              .ethGetBalance(account, org.web3j.protocol.core.DefaultBlockParameterName.LATEST)
              .send()
              .getBalance();
      if (balance.signum() > 0 || n.devFunderKey() == null) {
        return new Result(balance, false, null);
      }
      Credentials funder = Credentials.create(n.devFunderKey());
      RawTransactionManager tm =
          new RawTransactionManager(
              web3j, funder, n.chainId(), new PollingTransactionReceiptProcessor(web3j, 200, 150));
      TransactionReceipt r = send(new Transfer(web3j, tm), account);
      if (!r.isStatusOK()) {
        throw new IllegalStateException(
            "funding transaction " + r.getTransactionHash() + " reverted");
      }
      return new Result(balance, true, r.getTransactionHash());
    } finally {
      web3j.shutdown();
    }
  }
}
