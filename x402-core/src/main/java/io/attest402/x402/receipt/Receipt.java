package io.attest402.x402.receipt;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.math.BigInteger;
import java.util.Objects;

/**
 * The claims of a signed receipt (the JWS payload), in this order:
 *
 * <pre>{@code
 * {"v":1,"seq":7,"prev":"<sha256 hex of receipt 6's compact JWS; 64 zeros for seq 0>",
 *  "signer":"0x<facilitator address>","network":"eip155:84532","txHash":"0x..","payer":"0x..","payTo":"0x..",
 *  "asset":"0x..","amount":"10000","nonce":"0x<EIP-3009 nonce>","block":123,"time":1767225600,
 *  "status":"settled"|"failed","error":"<reason, failed only>"}
 * }</pre>
 *
 * {@code txHash}, {@code block} and {@code error} are omitted when absent. An {@code upto} receipt
 * adds {@code "maxAmount":"<the maximum the payer signed>"} right after {@code amount} (then what
 * was charged); no other receipt has it, so theirs are byte-for-byte as before. The JWS header is
 * {@code {"alg":"ES256K","typ":"attest402-receipt+jws","kid":"<signer address>"}}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "v",
  "seq",
  "prev",
  "signer",
  "network",
  "txHash",
  "payer",
  "payTo",
  "asset",
  "amount",
  "maxAmount",
  "nonce",
  "block",
  "time",
  "status",
  "error",
  "sender"
})
public record Receipt(
    int v,
    long seq,
    String prev,
    String signer,
    String network,
    String txHash,
    String payer,
    String payTo,
    String asset,
    @JsonSerialize(using = ToStringSerializer.class) BigInteger amount,
    String nonce,
    Long block,
    long time,
    ReceiptStatus status,
    String error,
    String sender,
    @JsonSerialize(using = ToStringSerializer.class) BigInteger maxAmount) {
  public static final int VERSION = 1;

  /** {@code prev} of the first receipt (seq 0). */
  public static final String ZERO_HASH = "0".repeat(64);

  public Receipt {
    Objects.requireNonNull(prev, "prev");
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(payer, "payer");
    Objects.requireNonNull(payTo, "payTo");
    Objects.requireNonNull(asset, "asset");
    Objects.requireNonNull(amount, "amount");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(status, "status");
    if (v != VERSION) {
      throw new IllegalArgumentException("unsupported receipt version " + v);
    }
    if (seq < 0) {
      throw new IllegalArgumentException("seq must not be negative");
    }
    if (maxAmount != null && maxAmount.compareTo(amount) < 0) {
      throw new IllegalArgumentException("maxAmount must not be below amount");
    }
    if (!prev.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("prev must be 64 lowercase hex digits");
    }
  }

  static Receipt of(SettlementFacts f, long seq, String prev, String signer) {
    return new Receipt(
        VERSION,
        seq,
        prev,
        signer,
        f.network(),
        f.txHash(),
        f.payer(),
        f.payTo(),
        f.asset(),
        f.amount(),
        f.authorizationNonce(),
        f.blockNumber(),
        f.time(),
        f.status(),
        f.error(),
        f.sender(),
        f.maxAmount());
  }

  /** The settlement facts this receipt records. */
  public SettlementFacts facts() {
    return new SettlementFacts(
        network, txHash, payer, payTo, asset, amount, nonce, block, time, status, error, sender,
        maxAmount);
  }
}
