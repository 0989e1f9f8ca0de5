package io.attest402.facilitator.chain;

import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The chain operations settlement needs, each bounded in time. Implementations throw {@link
 * RpcUnavailableException} when the node does not answer; an answer that is an error (a revert, a
 * refused transaction) is a normal result.
 */
public interface SettlementChain {
  long chainId();

  /** {@code eth_getTransactionCount(account, pending|latest)}. */
  long nonce(String account, boolean pending);

  /** The node's view of fees: latest base fee and suggested tip, or the legacy gas price. */
  FeeMarket feeMarket();

  /**
   * {@code eth_estimateGas} of a call from {@code from}, with at most {@code gasCap} gas.
   *
   * @throws RevertedException when the call would revert or needs more than {@code gasCap} (nothing
   *     was sent)
   */
  BigInteger estimateGas(String from, String to, String data, BigInteger gasCap)
      throws RevertedException;

  /** {@code eth_chainId} as the node reports it. */
  long reportedChainId();

  /** {@code eth_sendRawTransaction}; never throws for node answers, only classifies them. */
  SendResult sendRaw(String signedTxHex);

  /** Receipts of those of {@code txHashes} that are mined, in one round trip. */
  Map<String, TransactionReceipt> receipts(Collection<String> txHashes);

  /** EIP-3009 {@code authorizationState(authorizer, nonce)} of {@code asset}. */
  boolean authorizationState(String asset, String authorizer, String nonce32Hex);

  /** Whether Permit2 has {@code owner}'s unordered {@code nonce} marked used. */
  boolean permit2NonceUsed(String owner, BigInteger nonce);

  /** The transaction that used an authorization ({@code AuthorizationUsed} log) and its sender. */
  record UsedBy(String txHash, String from) {}

  /**
   * The transaction whose {@code AuthorizationUsed(authorizer, nonce)} log {@code asset} emitted
   * within the last {@code lookbackBlocks} blocks, and who sent it; empty when none is found there.
   */
  default java.util.Optional<UsedBy> authorizationUsedBy(
      String asset, String authorizer, String nonce32Hex, long lookbackBlocks) {
    return java.util.Optional.empty();
  }

  /** ERC-20 {@code allowance(owner, Permit2)} of {@code token}. */
  default BigInteger permit2Allowance(String token, String owner) {
    throw new UnsupportedOperationException("permit2Allowance");
  }

  /** Native balance (wei). */
  BigInteger balance(String account);

  long blockNumber();

  /** The call would revert; {@code getMessage()} is the node's revert text. */
  final class RevertedException extends Exception {
    private static final long serialVersionUID = 1L;

    public RevertedException(String message) {
      super(message);
    }
  }
}
