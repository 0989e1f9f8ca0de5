package io.attest402.contracts.chain;

import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** Small checks on transaction outcomes. */
public final class Transactions {
  private Transactions() {}

  /** Throws with the revert reason when the receipt says the transaction failed. */
  public static TransactionReceipt requireSuccess(TransactionReceipt receipt, String what) {
    if (!receipt.isStatusOK()) {
      String reason = receipt.getRevertReason();
      throw new IllegalStateException(
          what
              + " reverted in tx "
              + receipt.getTransactionHash()
              + (reason == null ? "" : ": " + reason));
    }
    return receipt;
  }
}
