package io.attest402.facilitator.settle;

/**
 * A final outcome to journal: settled, or failed with the official reason. {@code txHash} is the
 * mined transaction ("" when none of ours was mined).
 */
public record Outcome(
    boolean success, String txHash, Long blockNumber, String errorReason, String errorMessage) {
  public static Outcome settled(String txHash, long block) {
    return new Outcome(true, txHash, block, null, null);
  }

  public static Outcome failed(String reason, String message, String txHash, Long block) {
    return new Outcome(false, txHash == null ? "" : txHash, block, reason, message);
  }
}
