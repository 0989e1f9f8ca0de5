package io.attest402.facilitator.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.tx.Transfer;
import org.web3j.utils.Convert;
import org.web3j.utils.Numeric;

@ExtendWith(ChainExtension.class)
class Web3jSettlementChainTest {
  static final BigInteger GWEI = BigInteger.TEN.pow(9);

  /**
   * The settle path and the reconciler may both broadcast one journaled transaction; on an
   * automining node the second send finds its nonce used by the first. That is this transaction,
   * not someone else's: answered as already known, so nobody signs the settlement again.
   */
  @Test
  void aNonceTakenByTheSameTransactionIsAlreadyKnownAndByAnotherIsTooLow(Chain chain)
      throws Exception {
    Credentials sender = Credentials.create(Keys.createEcKeyPair());
    Transfer.sendFunds(
            chain.web3j(),
            chain.account(0),
            sender.getAddress(),
            java.math.BigDecimal.ONE,
            Convert.Unit.ETHER)
        .send();
    long nonce =
        chain
            .web3j()
            .ethGetTransactionCount(sender.getAddress(), DefaultBlockParameterName.PENDING)
            .send()
            .getTransactionCount()
            .longValueExact();
    Web3jSettlementChain settlement =
        new Web3jSettlementChain(chain.web3j(), chain.chainId(), chain.rpcUrl(), "rpc #1");
    String tx = selfTransfer(chain, sender, nonce, GWEI.multiply(BigInteger.TEN));

    assertEquals(SendResult.Kind.ACCEPTED, settlement.sendRaw(tx).kind());
    assertEquals(SendResult.Kind.ALREADY_KNOWN, settlement.sendRaw(tx).kind());
    String other = selfTransfer(chain, sender, nonce, GWEI.multiply(BigInteger.valueOf(11)));
    assertEquals(SendResult.Kind.NONCE_TOO_LOW, settlement.sendRaw(other).kind());
  }

  private static String selfTransfer(Chain chain, Credentials who, long nonce, BigInteger maxFee) {
    RawTransaction raw =
        RawTransaction.createTransaction(
            chain.chainId(),
            BigInteger.valueOf(nonce),
            BigInteger.valueOf(21_000),
            who.getAddress(),
            BigInteger.ZERO,
            "0x",
            GWEI,
            maxFee);
    return Numeric.toHexString(TransactionEncoder.signMessage(raw, chain.chainId(), who));
  }
}
