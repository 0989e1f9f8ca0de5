package io.attest402.contracts.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.ContractArtifact;
import io.attest402.contracts.chain.Chain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
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

  private static final String ERROR_STRING = "0x08c379a0";
  private static final String PANIC = "0x4e487b71";

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

  /** Decodes revert data. */
  public static String decode(String hex) {
    if (hex.startsWith(ERROR_STRING)) {
      List<Type> out =
          FunctionReturnDecoder.decode(
              hex.substring(ERROR_STRING.length()),
              List.of(castRef(new TypeReference<Utf8String>() {})));
      return (String) out.get(0).getValue();
    }
    if (hex.startsWith(PANIC)) {
      List<Type> out =
          FunctionReturnDecoder.decode(
              hex.substring(PANIC.length()), List.of(castRef(new TypeReference<Uint256>() {})));
      return "Panic(0x" + ((BigInteger) out.get(0).getValue()).toString(16) + ")";
    }
    String selector = hex.length() >= 10 ? hex.substring(0, 10) : hex;
    for (String artifact :
        List.of(
            ContractArtifact.IDENTITY_REGISTRY,
            ContractArtifact.REPUTATION_REGISTRY,
            ContractArtifact.VALIDATION_REGISTRY,
            ContractArtifact.TEST_USDC,
            ContractArtifact.TEST_SMART_WALLET)) {
      for (JsonNode entry : ContractArtifact.load(artifact).abi()) {
        if (!"error".equals(entry.path("type").asText())) {
          continue;
        }
        List<String> types = new ArrayList<>();
        entry.path("inputs").forEach(i -> types.add(i.path("type").asText()));
        String signature = entry.path("name").asText() + "(" + String.join(",", types) + ")";
        if (!Numeric.toHexString(
                Hash.sha3(signature.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .substring(0, 10)
            .equals(selector)) {
          continue;
        }
        List<TypeReference<Type>> refs = new ArrayList<>();
        for (String t : types) {
          try {
            refs.add(castRef(TypeReference.makeTypeReference(t)));
          } catch (ClassNotFoundException ex) {
            throw new IllegalStateException(ex);
          }
        }
        List<String> args = new ArrayList<>();
        for (Type<?> v : FunctionReturnDecoder.decode(hex.substring(10), refs)) {
          Object value = v.getValue();
          args.add(value instanceof byte[] b ? Numeric.toHexString(b) : value.toString());
        }
        return entry.path("name").asText() + "(" + String.join(",", args) + ")";
      }
    }
    return hex;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static TypeReference<Type> castRef(TypeReference<?> ref) {
    return (TypeReference) ref;
  }
}
