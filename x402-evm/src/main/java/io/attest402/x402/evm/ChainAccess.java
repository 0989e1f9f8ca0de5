package io.attest402.x402.evm;

/**
 * The few chain reads the exact/EVM verifier needs, so it can be tested without a node.
 * Implementations throw {@link ChainAccessException} when the node cannot be reached or answers
 * nonsense; a call that reverts is a normal {@link CallResult}, not an exception.
 */
public interface ChainAccess {

  /** {@code eth_getCode(address, latest)}: 0x-hex runtime code, {@code "0x"} when there is none. */
  String getCode(String address);

  /** {@code eth_call({to, data}, latest)} with no sender. */
  CallResult call(String to, String data);

  /**
   * {@code eth_call({from, to, data}, latest)}: a call whose outcome depends on {@code msg.sender}
   * (the {@code upto} proxy only lets the facilitator the payer named settle).
   *
   * @throws UnsupportedOperationException when this access cannot name a sender
   */
  default CallResult callFrom(String from, String to, String data) {
    throw new UnsupportedOperationException("eth_call with a sender is not supported here");
  }

  /**
   * {@code eth_getTransactionCount(address, latest)}: the nonce a transaction {@code address} signs
   * now would take (the payer's own approval of {@code erc20ApprovalGasSponsoring}).
   *
   * @throws UnsupportedOperationException when this access cannot read it
   */
  default java.math.BigInteger transactionCount(String address) {
    throw new UnsupportedOperationException("eth_getTransactionCount is not supported here");
  }

  /**
   * EIP-1559 fees for a transaction sent now, as viem's {@code estimateFeesPerGas} gives them: the
   * latest block's base fee × 1.2 plus {@code eth_maxPriorityFeePerGas} (when the node lacks it,
   * the gas price less the base fee, at least 0).
   *
   * @throws UnsupportedOperationException when this access cannot read them
   */
  default Eip1559Fees eip1559Fees() {
    throw new UnsupportedOperationException("fee estimates are not supported here");
  }

  /** {@code maxFeePerGas} and {@code maxPriorityFeePerGas}, wei. */
  record Eip1559Fees(
      java.math.BigInteger maxFeePerGas, java.math.BigInteger maxPriorityFeePerGas) {}

  /** The outcome of an {@code eth_call}. */
  record CallResult(boolean success, String returnData, String errorMessage, String revertData) {
    public static CallResult ok(String returnData) {
      return new CallResult(true, returnData == null ? "0x" : returnData, null, null);
    }

    public static CallResult reverted(String message, String revertData) {
      return new CallResult(
          false, "0x", message == null ? "execution reverted" : message, revertData);
    }
  }

  /** The node could not answer (transport failure, timeout, malformed JSON-RPC). */
  class ChainAccessException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChainAccessException(String message, Throwable cause) {
      super(message, cause);
    }

    public ChainAccessException(String message) {
      super(message);
    }
  }
}
