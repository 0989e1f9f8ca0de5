package io.attest402.x402.receipt;

import java.util.Objects;

/**
 * The facilitator side of the chain: assigns the next sequence number, links to the previous
 * receipt's hash and signs. {@link #resume} continues after the last receipt the journal holds
 * (after a restart). Thread-safe: appends are serialised, so the chain has no forks. The journal
 * must persist each {@link SignedReceipt} before the next append if receipts are to survive a
 * crash.
 */
public final class ReceiptChain {
  private final ReceiptSigner signer;
  private long nextSeq;
  private String lastHash;

  private ReceiptChain(ReceiptSigner signer, long nextSeq, String lastHash) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.nextSeq = nextSeq;
    this.lastHash = lastHash;
  }

  /** A new chain: the first receipt gets seq 0 and links to {@link Receipt#ZERO_HASH}. */
  public static ReceiptChain start(ReceiptSigner signer) {
    return new ReceiptChain(signer, 0, Receipt.ZERO_HASH);
  }

  /**
   * Continues after {@code lastReceiptJws}, which must verify as signed by this signer (a restart
   * with the same sealed key). A facilitator with a new key (TDX reboot) starts a new chain
   * instead.
   */
  public static ReceiptChain resume(ReceiptSigner signer, String lastReceiptJws)
      throws ReceiptException {
    Receipt last = ReceiptVerifier.verify(lastReceiptJws, signer.address());
    return new ReceiptChain(signer, last.seq() + 1, ReceiptVerifier.hash(lastReceiptJws.strip()));
  }

  /** Signs the receipt for {@code facts} as the next link. */
  public synchronized SignedReceipt append(SettlementFacts facts) {
    SignedReceipt r = signer.sign(facts, nextSeq, lastHash);
    nextSeq++;
    lastHash = r.hash();
    return r;
  }

  public synchronized long nextSeq() {
    return nextSeq;
  }

  public synchronized String lastHash() {
    return lastHash;
  }
}
