package io.attest402.erc8004.reputation;

import io.attest402.erc8004.ContractRpc;
import io.attest402.erc8004.Events;
import io.attest402.erc8004.RegistryException;
import io.attest402.erc8004.files.FeedbackFile.ProofOfPayment;
import java.math.BigInteger;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.web3j.crypto.WalletUtils;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Checks a feedback file's {@code proofOfPayment} against the chain: the transaction exists and
 * succeeded, and its receipt holds an ERC-20 {@code Transfer} log of an accepted asset from the
 * stated payer to the stated payee. The transaction's sender is not looked at: an x402 payment is
 * settled by a facilitator calling {@code transferWithAuthorization}, so the payer appears only in
 * the Transfer log.
 */
public final class PaymentProofVerifier {
  private final ContractRpc rpc;
  private final Set<String> assets;
  private final int minConfirmations;
  private final BigInteger minAmount;

  /**
   * @param assets ERC-20 contracts whose transfers count as payment (e.g. the deployment's USDC)
   * @param minConfirmations blocks on top of the payment's block, counting it (1 = mined)
   * @param minAmount smallest amount (base units) that counts; at least 1
   */
  public PaymentProofVerifier(
      ContractRpc rpc, Set<String> assets, int minConfirmations, BigInteger minAmount) {
    this.rpc = rpc;
    Set<String> a = new LinkedHashSet<>();
    assets.forEach(x -> a.add(x.toLowerCase(Locale.ROOT)));
    if (a.isEmpty()) {
      throw new IllegalArgumentException("at least one accepted asset is required");
    }
    this.assets = Set.copyOf(a);
    this.minConfirmations = Math.max(1, minConfirmations);
    this.minAmount = minAmount.max(BigInteger.ONE);
  }

  public PaymentProofVerifier(ContractRpc rpc, String asset) {
    this(rpc, Set.of(asset), 1, BigInteger.ONE);
  }

  /**
   * Checks {@code proof}; when {@code expectedPayer} / {@code expectedPayee} are given (the
   * reviewer, the agent's wallet), the proof must name them too.
   */
  public ProofCheck check(ProofOfPayment proof, String expectedPayer, String expectedPayee) {
    if (proof == null) {
      return ProofCheck.fail(null, "no proofOfPayment");
    }
    String tx = proof.txHash();
    if (tx == null || !tx.matches("0x[0-9a-fA-F]{64}")) {
      return ProofCheck.fail(tx, "txHash is not a 32-byte 0x-hex hash");
    }
    if (!isAddress(proof.fromAddress()) || !isAddress(proof.toAddress())) {
      return ProofCheck.fail(tx, "fromAddress / toAddress are not 0x addresses");
    }
    Optional<Long> chain = chainId(proof.chainId());
    if (chain.isEmpty() || chain.get() != rpc.chainId()) {
      return ProofCheck.fail(
          tx, "chainId " + proof.chainId() + " is not this chain (" + rpc.chainId() + ")");
    }
    if (expectedPayer != null && !proof.fromAddress().equalsIgnoreCase(expectedPayer)) {
      return ProofCheck.fail(
          tx, "payer " + proof.fromAddress() + " is not the reviewer " + expectedPayer);
    }
    if (expectedPayee != null && !proof.toAddress().equalsIgnoreCase(expectedPayee)) {
      return ProofCheck.fail(
          tx, "payee " + proof.toAddress() + " is not the agent's wallet " + expectedPayee);
    }
    TransactionReceipt receipt;
    try {
      Optional<TransactionReceipt> r = rpc.receipt(tx);
      if (r.isEmpty()) {
        return ProofCheck.fail(tx, "transaction " + tx + " not found on chain " + rpc.chainId());
      }
      receipt = r.get();
    } catch (RegistryException e) {
      return ProofCheck.fail(tx, "cannot read the receipt: " + e.getMessage());
    }
    if (!receipt.isStatusOK()) {
      return ProofCheck.fail(tx, "transaction " + tx + " failed (reverted)");
    }
    long block = receipt.getBlockNumber().longValueExact();
    long confirmations = rpc.blockNumber() - block + 1;
    if (confirmations < minConfirmations) {
      return ProofCheck.fail(
          tx, "only " + confirmations + " of " + minConfirmations + " confirmations");
    }
    BigInteger total = BigInteger.ZERO;
    String asset = null;
    for (Log log : receipt.getLogs()) {
      List<String> t = log.getTopics();
      if (t.size() == 3
          && t.get(0).equalsIgnoreCase(Events.TRANSFER)
          && assets.contains(log.getAddress().toLowerCase(Locale.ROOT))
          && topicAddress(t.get(1)).equalsIgnoreCase(proof.fromAddress())
          && topicAddress(t.get(2)).equalsIgnoreCase(proof.toAddress())) {
        BigInteger amount =
            log.getData() == null || log.getData().equals("0x")
                ? BigInteger.ZERO
                : Numeric.toBigInt(log.getData());
        if (asset == null || asset.equalsIgnoreCase(log.getAddress())) {
          asset = log.getAddress();
          total = total.add(amount);
        }
      }
    }
    if (asset == null) {
      return ProofCheck.fail(
          tx,
          "no transfer of an accepted asset from "
              + proof.fromAddress()
              + " to "
              + proof.toAddress()
              + " in "
              + tx);
    }
    if (total.compareTo(minAmount) < 0) {
      return new ProofCheck(
          false, "transferred " + total + " < minimum " + minAmount, tx, asset, total, block);
    }
    return new ProofCheck(
        true, "paid " + total + " of " + asset + " in block " + block, tx, asset, total, block);
  }

  private static String topicAddress(String topic) {
    return "0x" + topic.substring(topic.length() - 40);
  }

  private static boolean isAddress(String a) {
    return a != null && a.startsWith("0x") && WalletUtils.isValidAddress(a);
  }

  /** "31337", "0x7a69" or "eip155:31337". */
  static Optional<Long> chainId(String s) {
    if (s == null) {
      return Optional.empty();
    }
    String v = s.trim();
    if (v.startsWith("eip155:")) {
      v = v.substring(7);
    }
    try {
      return Optional.of(
          v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
