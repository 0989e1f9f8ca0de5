package io.attest402.facilitator.settle;

import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.SettleLimits;
import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.types.ErrorReasons;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * The facilitator's half of {@code erc20ApprovalGasSponsoring}, run on the settle path after the
 * settlement is claimed and before its transaction is estimated: the payer's signed {@code
 * approve(Permit2, amount)} is checked again ({@link Erc20ApprovalGasSponsoring#check}), skipped
 * when the payer's Permit2 allowance already covers the payment (a repeated approval costs the
 * facilitator nothing), refused when its nonce is not the payer's next one or its fee cap is above
 * the facilitator's own; otherwise the facilitator sends the payer the wei the approval can cost
 * ({@code gasLimit × maxFeePerGas} less the payer's balance; counted against the hourly gas budget
 * with the approval's gas), broadcasts the approval and waits for both to be mined, as the official
 * facilitator's {@code sendTransactions([signedApproval, settle])} does sequentially.
 *
 * <p>Neither transaction is a settlement transaction: they are not journaled; a crash between the
 * approval and the settlement leaves the payer approved (what it signed) and the claim dropped at
 * recovery, as any claim without a signed settlement.
 */
final class Erc20ApprovalSponsor {
  private static final Logger log = LoggerFactory.getLogger(Erc20ApprovalSponsor.class);
  static final BigInteger FUNDING_GAS = BigInteger.valueOf(21_000);

  private final SettleLimits limits;
  private final FacilitatorOptions options;
  private final FeePolicy feePolicy;

  Erc20ApprovalSponsor(FacilitatorOptions options, FeePolicy feePolicy) {
    this.options = options;
    this.limits = options.limits();
    this.feePolicy = feePolicy;
  }

  /**
   * Makes the payer's Permit2 allowance cover {@code amount}: nothing when it already does, else
   * the funded, broadcast and mined approval. Empty when the settlement may go on; else the reason
   * and message (the settlement is not sent).
   */
  Optional<String[]> sponsor(
      NetworkLane lane,
      SignerAccount signer,
      SettleGuard guard,
      String payer,
      String asset,
      BigInteger amount,
      Erc20ApprovalGasSponsoring.Info info) {
    SettlementChain chain = lane.chain();
    Erc20ApprovalGasSponsoring.Checked checked =
        Erc20ApprovalGasSponsoring.check(info, payer, asset, chain.chainId(), amount);
    if (!checked.ok()) {
      return refuse(checked.reason(), checked.message());
    }
    Erc20ApprovalGasSponsoring.Approval approval = checked.approval();
    if (chain.permit2Allowance(asset, payer).compareTo(amount) >= 0) {
      log.info(
          "network={} payer {}: Permit2 allowance in place, approval not sponsored",
          lane.network(),
          payer);
      return Optional.empty();
    }
    long payerNonce = chain.nonce(payer, true);
    if (approval.nonce().compareTo(BigInteger.valueOf(payerNonce)) != 0) {
      return refuse(
          ErrorReasons.ERC20_APPROVAL_TX_NONCE_MISMATCH,
          "the approval is signed at nonce "
              + approval.nonce()
              + " but the payer's account is at "
              + payerNonce
              + ": it would never be mined");
    }
    if (approval.maxFeePerGas().compareTo(limits.maxFeePerGas()) > 0) {
      return refuse(
          ErrorReasons.ERC20_APPROVAL_TX_FEE_TOO_HIGH,
          "the approval's maxFeePerGas "
              + approval.maxFeePerGas()
              + " wei is above this facilitator's cap of "
              + limits.maxFeePerGas()
              + " wei");
    }
    BigInteger shortfall = approval.maxCost().subtract(chain.balance(payer));
    guard.spendGas(
        approval
            .gasLimit()
            .add(shortfall.signum() > 0 ? FUNDING_GAS : BigInteger.ZERO)
            .longValueExact());
    if (shortfall.signum() > 0) {
      Optional<String[]> funded = fund(lane, signer, payer, shortfall);
      if (funded.isPresent()) {
        return funded;
      }
    }
    String hash = Hash.sha3(approval.rawTransaction()).toLowerCase(Locale.ROOT);
    SendResult sent = chain.sendRaw(approval.rawTransaction());
    if (!sent.inPool() && sent.kind() != SendResult.Kind.UNKNOWN) {
      return refuse(
          ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED,
          "the node refused the payer's approval: " + sent.message());
    }
    TransactionReceipt r = awaitReceipt(chain, hash);
    if (r == null) {
      return refuse(
          ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED,
          "the payer's approval " + hash + " was not mined in time: the payment was not settled");
    }
    if (!r.isStatusOK()) {
      return refuse(
          ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED,
          "the payer's approval " + hash + " reverted: the payment was not settled");
    }
    log.info("network={} payer {}: sponsored approval tx={} mined", lane.network(), payer, hash);
    return Optional.empty();
  }

  /** Sends {@code wei} from {@code signer} to {@code payer} and waits for it to be mined. */
  private Optional<String[]> fund(
      NetworkLane lane, SignerAccount signer, String payer, BigInteger wei) {
    SettlementChain chain = lane.chain();
    NonceManager nonces = signer.nonces();
    long nonce = nonces.reserve();
    try {
      Fees fees = feePolicy.fees(lane.feeMarket());
      long chainId = chain.chainId();
      RawTransaction tx =
          fees.legacy()
              ? RawTransaction.createEtherTransaction(
                  BigInteger.valueOf(nonce), fees.maxFeePerGas(), FUNDING_GAS, payer, wei)
              : RawTransaction.createEtherTransaction(
                  chainId,
                  BigInteger.valueOf(nonce),
                  FUNDING_GAS,
                  payer,
                  wei,
                  fees.maxPriorityFeePerGas(),
                  fees.maxFeePerGas());
      String raw = Numeric.toHexString(signer.key().sign(tx, chainId));
      String hash = Hash.sha3(raw).toLowerCase(Locale.ROOT);
      SendResult sent = chain.sendRaw(raw);
      if (!sent.inPool() && sent.kind() != SendResult.Kind.UNKNOWN) {
        return refuse(
            ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED,
            "the node refused the facilitator's gas funding for the approval: " + sent.message());
      }
      TransactionReceipt r = awaitReceipt(chain, hash);
      if (r == null || !r.isStatusOK()) {
        return refuse(
            ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED,
            "the facilitator's gas funding " + hash + " for the approval was not mined");
      }
      log.info(
          "network={} signer {} funded payer {} with {} wei for its approval: tx={}",
          lane.network(),
          signer.index(),
          payer,
          wei,
          hash);
      return Optional.empty();
    } catch (FeePolicy.FeeCapExceededException e) {
      return refuse(ErrorReasons.ERC20_APPROVAL_BROADCAST_FAILED, e.getMessage());
    } finally {
      // the funding is not a settlement transaction: its nonce is handed back and the manager
      // catches up with the chain, which counts it once it is pending or mined
      nonces.release(nonce);
      nonces.resync(chain.nonce(signer.address(), true));
    }
  }

  private TransactionReceipt awaitReceipt(SettlementChain chain, String hash) {
    long deadline = System.nanoTime() + options.receiptWait().toNanos();
    while (true) {
      TransactionReceipt r = chain.receipts(List.of(hash)).get(hash);
      if (r != null) {
        return r;
      }
      if (System.nanoTime() > deadline) {
        return null;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  private static Optional<String[]> refuse(String reason, String message) {
    return Optional.of(new String[] {reason, message});
  }
}
