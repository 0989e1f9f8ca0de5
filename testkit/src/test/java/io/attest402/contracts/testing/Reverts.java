package io.attest402.contracts.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.RevertData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.TransactionException;
import org.web3j.utils.Numeric;

/**
 * Asserting reverts and decoding their reasons: {@code Error(string)} as its text, {@code
 * Panic(uint256)} as "Panic(0x..)", and custom errors as "Name(arg,...)" using the error
 * definitions in the compiled ABIs (so no selector is written by hand).
 */
public final class Reverts {
  private Reverts() {}

  /**
   * The decoded revert reason of {@code call} run by eth_call from {@code from}; fails if it does
   * not revert.
   */
  public static String callRevertReason(
      Chain chain, String from, String contract, RemoteFunctionCall<?> call) {
    try {
      EthCall result =
          chain
              .web3j()
              .ethCall(
                  Transaction.createEthCallTransaction(from, contract, call.encodeFunctionCall()),
                  DefaultBlockParameterName.LATEST)
              .send();
      return reasonOf(result);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Asserts that {@code call} reverts with {@code expectedReason}: first by eth_call (the decoded
   * revert data), then by sending it as a transaction (a receipt with status 0, whose replayed
   * reason must match too). {@code call} must come from a wrapper bound to {@code from}'s
   * transaction manager.
   */
  public static TransactionReceipt assertReverts(
      Chain chain,
      String from,
      String contract,
      RemoteFunctionCall<TransactionReceipt> call,
      String expectedReason) {
    assertEquals(
        expectedReason, callRevertReason(chain, from, contract, call), "revert reason (eth_call)");
    return assertTransactionReverts(chain, call, expectedReason);
  }

  /**
   * Sends {@code call} and asserts a failed receipt; the reason is recovered by replaying the mined
   * transaction (same sender, target and input) on the state of the block before it, and decoded.
   */
  public static TransactionReceipt assertTransactionReverts(
      Chain chain, RemoteFunctionCall<TransactionReceipt> call, String expectedReason) {
    TransactionException e =
        assertThrows(TransactionException.class, call::send, "expected the transaction to revert");
    TransactionReceipt receipt =
        e.getTransactionReceipt()
            .orElseThrow(() -> new AssertionError("revert without a receipt: " + e.getMessage()));
    assertFalse(receipt.isStatusOK(), "receipt status");
    assertEquals(
        expectedReason, replayRevertReason(chain, receipt), "revert reason (mined transaction)");
    return receipt;
  }

  /**
   * The decoded revert reason of a failed mined transaction, replayed on its parent block's state.
   */
  public static String replayRevertReason(Chain chain, TransactionReceipt receipt) {
    try {
      var tx =
          chain
              .web3j()
              .ethGetTransactionByHash(receipt.getTransactionHash())
              .send()
              .getTransaction()
              .orElseThrow(
                  () -> new AssertionError("no transaction " + receipt.getTransactionHash()));
      EthCall result =
          chain
              .web3j()
              .ethCall(
                  Transaction.createFunctionCallTransaction(
                      tx.getFrom(),
                      null,
                      null,
                      tx.getGas(),
                      tx.getTo(),
                      tx.getValue(),
                      tx.getInput()),
                  org.web3j.protocol.core.DefaultBlockParameter.valueOf(
                      receipt.getBlockNumber().subtract(BigInteger.ONE)))
              .send();
      return reasonOf(result);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String reasonOf(EthCall result) {
    if (!result.hasError()) {
      fail("expected a revert, but eth_call returned " + result.getValue());
    }
    // web3j keeps the error's "data" as raw JSON text, i.e. a quoted hex string.
    Object data = result.getError().getData();
    String hex = data == null ? "" : data.toString().replace("\"", "").trim();
    if (!hex.startsWith("0x")) {
      fail("revert without data: " + result.getError().getMessage());
    }
    return decode(hex);
  }

  /** Asserts that a view call reverts (eth_call) with {@code expectedReason}. */
  public static void assertCallReverts(
      Chain chain, String contract, RemoteFunctionCall<?> call, String expectedReason) {
    assertEquals(
        expectedReason,
        callRevertReason(chain, "0x0000000000000000000000000000000000000001", contract, call),
        "revert reason");
  }

  /** Decodes revert data with {@link RevertData}: the reason, Panic(0x..), Name(arg,...). */
  public static String decode(String hex) {
    RevertData.Decoded d = RevertData.decode(hex);
    if (d.reason() != null) {
      return d.reason();
    }
    if (d.name().equals("Panic")) {
      return "Panic(0x" + ((BigInteger) d.args().get(0)).toString(16) + ")";
    }
    if (!d.known()) {
      return hex;
    }
    List<String> args = new ArrayList<>();
    for (Object value : d.args()) {
      args.add(value instanceof byte[] b ? Numeric.toHexString(b) : value.toString());
    }
    return d.name() + "(" + String.join(",", args) + ")";
  }
}
