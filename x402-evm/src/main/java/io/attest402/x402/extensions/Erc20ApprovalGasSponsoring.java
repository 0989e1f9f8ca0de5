package io.attest402.x402.extensions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.security.SignatureException;
import java.util.Locale;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.SignedRawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.crypto.transaction.type.Transaction1559;
import org.web3j.crypto.transaction.type.TransactionType;
import org.web3j.utils.Numeric;

/**
 * The {@code erc20ApprovalGasSponsoring} extension as {@code @x402/evm} 2.27 and {@code
 * @x402/extensions} read it: a server declares it in its 402 ({@link #declaration()}); a Permit2
 * payer of a token with neither EIP-3009 nor EIP-2612 and without a Permit2 allowance adds {@code
 * info}: its own signed EIP-1559 transaction {@code approve(Permit2, MaxUint256)} on the token,
 * which the facilitator broadcasts (funding its gas) before it settles the payment.
 *
 * <p>{@link #check} is the official field and transaction check ({@code
 * validateErc20ApprovalForPayment}, same order and reasons) plus attest402's own refusals of what
 * the official code would broadcast and pay for although the payment cannot then settle or the
 * payer keeps the funding: an approval below the payment, another chain, a value, a gas limit above
 * {@link #MAX_APPROVAL_GAS}.
 */
public final class Erc20ApprovalGasSponsoring {
  private Erc20ApprovalGasSponsoring() {}

  public static final String KEY = "erc20ApprovalGasSponsoring";
  public static final String VERSION = "1";

  /** {@code approve(address,uint256)}. */
  public static final String APPROVE_SELECTOR = "0x095ea7b3";

  /**
   * The most gas a sponsored approval may ask for (the official client signs 70,000; an ERC-20
   * approve takes about 46,000): the facilitator funds {@code gasLimit × maxFeePerGas}.
   */
  public static final BigInteger MAX_APPROVAL_GAS = BigInteger.valueOf(100_000);

  /**
   * The gas limit the official client signs its approval with ({@code ERC20_APPROVE_GAS_LIMIT}).
   */
  public static final BigInteger CLIENT_GAS_LIMIT = BigInteger.valueOf(70_000);

  /** The official client's fees when the node gives no estimate: 1 gwei, tip 0.1 gwei. */
  public static final BigInteger DEFAULT_MAX_FEE_PER_GAS = BigInteger.valueOf(1_000_000_000L);

  public static final BigInteger DEFAULT_MAX_PRIORITY_FEE_PER_GAS =
      BigInteger.valueOf(100_000_000L);

  /** The payer's info, fields as on the wire (strings). */
  public record Info(
      String from,
      String asset,
      String spender,
      String amount,
      String signedTransaction,
      String version) {
    /** The official format check ({@code validateErc20ApprovalGasSponsoringInfo}). */
    public boolean wellFormed() {
      return GasSponsoringInfo.approvalWellFormed(from, asset, spender, amount, version)
          && GasSponsoringInfo.HEX.matcher(signedTransaction).matches();
    }
  }

  /**
   * The payer's approval, decoded and checked: the raw transaction to broadcast, its nonce, gas
   * limit and fee cap (what the facilitator funds), and the amount approved.
   */
  public record Approval(
      String rawTransaction,
      BigInteger nonce,
      BigInteger gasLimit,
      BigInteger maxFeePerGas,
      BigInteger approvedAmount) {
    /** Wei the payer's account needs for the approval: {@code gasLimit × maxFeePerGas}. */
    public BigInteger maxCost() {
      return gasLimit.multiply(maxFeePerGas);
    }
  }

  /** {@link #check}'s answer: an approval, or a reason and message. */
  public record Checked(Approval approval, String reason, String message) {
    static Checked refuse(String reason, String message) {
      return new Checked(null, reason, message);
    }

    public boolean ok() {
      return approval != null;
    }
  }

  /** What a 402 declares: the official {@code declareErc20ApprovalGasSponsoringExtension()}. */
  public static ObjectNode declaration() {
    ObjectNode d = Wire.newObject();
    ObjectNode info = d.putObject("info");
    info.put(
        "description",
        "The facilitator broadcasts a pre-signed ERC-20 approve() transaction to grant Permit2"
            + " allowance.");
    info.put("version", VERSION);
    ObjectNode schema = d.putObject("schema");
    schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    schema.put("type", "object");
    ObjectNode props = schema.putObject("properties");
    String[][] fields = {
      {"from", "^0x[a-fA-F0-9]{40}$"},
      {"asset", "^0x[a-fA-F0-9]{40}$"},
      {"spender", "^0x[a-fA-F0-9]{40}$"},
      {"amount", "^[0-9]+$"},
      {"signedTransaction", "^0x[a-fA-F0-9]+$"},
      {"version", "^[0-9]+(\\.[0-9]+)*$"}
    };
    var required = schema.putArray("required");
    for (String[] f : fields) {
      ObjectNode p = props.putObject(f[0]);
      p.put("type", "string");
      p.put("pattern", f[1]);
      required.add(f[0]);
    }
    return d;
  }

  /**
   * The payer's info as the official client writes it ({@code signErc20ApprovalTransaction}): its
   * address, the token and Permit2 checksummed, the amount {@code MaxUint256} and the signed
   * approval.
   */
  public static ObjectNode clientInfo(String from, String asset, String signedTransaction) {
    ObjectNode info = Wire.newObject();
    info.put("from", io.attest402.x402.evm.Addresses.checksum(from));
    info.put("asset", io.attest402.x402.evm.Addresses.checksum(asset));
    info.put("spender", Permit2.ADDRESS);
    info.put("amount", BigInteger.TWO.pow(256).subtract(BigInteger.ONE).toString());
    info.put("signedTransaction", signedTransaction);
    info.put("version", VERSION);
    return info;
  }

  /**
   * The payer's info, or null when the payment carries none or lacks a field (the official
   * extraction treats such a payment as one without the extension).
   */
  public static Info extract(PaymentPayload payment) {
    String[] f =
        GasSponsoringInfo.fields(
            payment, KEY, "from", "asset", "spender", "amount", "signedTransaction", "version");
    return f == null ? null : new Info(f[0], f[1], f[2], f[3], f[4], f[5]);
  }

  /**
   * Checks the payer's approval for a payment of {@code amount} of {@code asset} by {@code payer}
   * on {@code chainId}: the official checks in their order (format, {@code from}, {@code asset},
   * {@code spender}; the transaction: target, selector, calldata spender, signer), then attest402's
   * (the approved amount covers the payment, the chain, no value, EIP-1559 with at most {@link
   * #MAX_APPROVAL_GAS}).
   */
  public static Checked check(
      Info info, String payer, String asset, long chainId, BigInteger amount) {
    if (!info.wellFormed()) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_INVALID_FORMAT,
          "ERC-20 approval extension info failed schema validation");
    }
    if (!info.from().equalsIgnoreCase(payer)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_FROM_MISMATCH,
          "Expected from=" + payer + ", got " + info.from());
    }
    if (!info.asset().equalsIgnoreCase(asset)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_ASSET_MISMATCH,
          "Expected asset=" + asset + ", got " + info.asset());
    }
    if (!info.spender().equalsIgnoreCase(Permit2.ADDRESS)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_SPENDER_NOT_PERMIT2,
          "Expected spender=" + Permit2.ADDRESS + ", got " + info.spender());
    }
    RawTransaction tx;
    try {
      tx = TransactionDecoder.decode(info.signedTransaction());
    } catch (RuntimeException e) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_PARSE_FAILED, "Failed to parse the signed transaction");
    }
    if (tx.getTo() == null || !tx.getTo().equalsIgnoreCase(asset)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_WRONG_TARGET,
          "Transaction targets " + tx.getTo() + ", expected " + asset);
    }
    String data = tx.getData() == null ? "" : Numeric.cleanHexPrefix(tx.getData());
    if (!data.toLowerCase(Locale.ROOT).startsWith(APPROVE_SELECTOR.substring(2))) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_WRONG_SELECTOR,
          "Transaction calldata does not start with approve() selector " + APPROVE_SELECTOR);
    }
    if (data.length() < 8 + 128
        || !data.substring(8, 8 + 24).chars().allMatch(c -> c == '0')
        || !GasSponsoringInfo.HEX.matcher("0x" + data).matches()) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_INVALID_CALLDATA,
          "Failed to decode approve() calldata from the signed transaction");
    }
    String spender = "0x" + data.substring(8 + 24, 8 + 64);
    if (!spender.equalsIgnoreCase(Permit2.ADDRESS)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_WRONG_SPENDER,
          "approve() spender is " + spender + ", expected Permit2 " + Permit2.ADDRESS);
    }
    BigInteger approved = new BigInteger(data.substring(8 + 64, 8 + 128), 16);
    if (!(tx instanceof SignedRawTransaction signed)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_INVALID_SIGNATURE,
          "Failed to recover signer from the signed transaction");
    }
    String signer;
    try {
      signer = signed.getFrom();
    } catch (SignatureException | RuntimeException e) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_INVALID_SIGNATURE,
          "Failed to recover signer from the signed transaction");
    }
    if (signer == null || !signer.equalsIgnoreCase(payer)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_SIGNER_MISMATCH,
          "Transaction signed by " + signer + ", expected payer " + payer);
    }
    if (approved.compareTo(amount) < 0) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_AMOUNT_TOO_LOW,
          "approve() grants Permit2 "
              + approved
              + ", less than the payment's "
              + amount
              + ": the settlement would fail after the sponsored approval");
    }
    if (tx.getType() != TransactionType.EIP1559
        || !(tx.getTransaction() instanceof Transaction1559 t1559)) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_PARSE_FAILED,
          "the approval must be an EIP-1559 transaction, got " + tx.getType());
    }
    if (t1559.getChainId() != chainId) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_WRONG_CHAIN,
          "the approval is signed for chain "
              + t1559.getChainId()
              + ", the payment is on "
              + chainId);
    }
    if (tx.getValue() != null && tx.getValue().signum() != 0) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_HAS_VALUE,
          "the approval sends " + tx.getValue() + " wei with it: the facilitator funds gas only");
    }
    if (tx.getGasLimit().compareTo(MAX_APPROVAL_GAS) > 0) {
      return Checked.refuse(
          ErrorReasons.ERC20_APPROVAL_TX_GAS_TOO_HIGH,
          "the approval's gas limit "
              + tx.getGasLimit()
              + " is above the "
              + MAX_APPROVAL_GAS
              + " this facilitator funds");
    }
    return new Checked(
        new Approval(
            info.signedTransaction(),
            tx.getNonce(),
            tx.getGasLimit(),
            t1559.getMaxFeePerGas(),
            approved),
        null,
        null);
  }
}
