package io.attest402.facilitator.settle;

/** Where a settlement is in its life. The first three are in flight; the last two are final. */
public enum SettlementState {
  /** The authorization is claimed by a facilitator process; nothing signed yet. */
  CLAIMED,
  /**
   * A transaction is signed and journaled (raw bytes and hash); it may or may not have reached a
   * node.
   */
  SIGNED,
  /** A node accepted the transaction at least once; waiting for it to be mined. */
  BROADCAST,
  /** Mined with a matching Transfer log. */
  SETTLED,
  /**
   * Mined and reverted, mined without the Transfer, or the authorization was consumed by another
   * transaction.
   */
  FAILED;

  public boolean isFinal() {
    return this == SETTLED || this == FAILED;
  }

  /** The word {@code GET /settlements/{id}} shows: pending, settled or failed. */
  public String status() {
    return switch (this) {
      case SETTLED -> "settled";
      case FAILED -> "failed";
      default -> "pending";
    };
  }
}
