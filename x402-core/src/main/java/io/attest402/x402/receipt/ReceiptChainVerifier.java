package io.attest402.x402.receipt;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Audits a sequence of receipts (as served by {@code GET /receipts?from=SEQ}): each must verify as
 * signed by the attested facilitator, sequence numbers must be contiguous, and each receipt's
 * {@code prev} must be the hash of the receipt before it. Every deviation is reported with the
 * position, the seq and what it means: a removed receipt is a {@link Kind#GAP}, a reordered one
 * {@link Kind#OUT_OF_ORDER}, an altered one {@link Kind#BAD_SIGNATURE} (and a {@link
 * Kind#BROKEN_LINK} on the receipt after it, whose {@code prev} no longer matches), a re-signed or
 * substituted one a {@link Kind#BROKEN_LINK}. Stateless.
 */
public final class ReceiptChainVerifier {
  private ReceiptChainVerifier() {}

  public enum Kind {
    /** Not a receipt (not a compact JWS, wrong header, malformed claims). */
    MALFORMED,
    /** Signature invalid: the receipt was altered, or is not from the attested signer. */
    BAD_SIGNATURE,
    /** The first receipt is not where the audit expected the chain to start. */
    BAD_START,
    /** One or more sequence numbers are missing (removed receipts). */
    GAP,
    /** A receipt's seq is lower than its predecessor's (reordered). */
    OUT_OF_ORDER,
    /** The same seq twice (a fork, or a duplicated entry). */
    DUPLICATE,
    /**
     * Contiguous seq but {@code prev} is not the hash of the previous receipt (substituted or
     * rewritten).
     */
    BROKEN_LINK
  }

  /** One problem: {@code index} in the audited list, the receipt's seq when readable. */
  public record Problem(int index, Long seq, Kind kind, String message) {}

  /**
   * The outcome; {@code ok} when there are no problems. {@code lastSeq}/{@code lastHash} of the
   * last receipt.
   */
  public record Result(
      boolean ok, int count, Long lastSeq, String lastHash, List<Problem> problems) {
    public Result {
      problems = List.copyOf(problems);
    }

    public String summary() {
      if (ok) {
        return count + " receipts verified" + (lastSeq == null ? "" : ", last seq " + lastSeq);
      }
      StringBuilder b = new StringBuilder("receipt chain broken:");
      for (Problem p : problems) {
        b.append(" [#")
            .append(p.index())
            .append(p.seq() == null ? "" : " seq " + p.seq())
            .append(' ')
            .append(p.kind())
            .append(": ")
            .append(p.message())
            .append(']');
      }
      return b.toString();
    }
  }

  /**
   * Verifies a chain from its genesis: the first receipt must be seq 0 linking to the zero hash.
   */
  public static Result verify(List<String> receipts, String signerAddress) {
    return verify(receipts, signerAddress, 0L, Receipt.ZERO_HASH);
  }

  /**
   * Verifies a chain segment. {@code firstSeq}/{@code prevHash}: where the segment must start and
   * the hash of the receipt before it (from an earlier audit); pass nulls to accept any start.
   */
  public static Result verify(
      List<String> receipts, String signerAddress, Long firstSeq, String prevHash) {
    Objects.requireNonNull(receipts, "receipts");
    Objects.requireNonNull(signerAddress, "signerAddress");
    List<Problem> problems = new ArrayList<>();
    Receipt before = null;
    String beforeHash = null;
    for (int i = 0; i < receipts.size(); i++) {
      String jws = receipts.get(i) == null ? null : receipts.get(i).strip();
      Receipt r;
      try {
        r = ReceiptVerifier.verify(jws, signerAddress);
      } catch (ReceiptException e) {
        Receipt unverified = null;
        try {
          unverified = ReceiptVerifier.readUnverified(jws);
        } catch (ReceiptException malformed) {
          problems.add(new Problem(i, null, Kind.MALFORMED, malformed.getMessage()));
        }
        if (unverified != null) {
          problems.add(new Problem(i, unverified.seq(), Kind.BAD_SIGNATURE, e.getMessage()));
        }
        // Still use its claims to check sequence and links, so the rest of the audit stays precise.
        r = unverified;
      }
      String hash = jws == null ? null : ReceiptVerifier.hash(jws);
      if (r != null) {
        if (before == null && i == 0) {
          if (firstSeq != null && r.seq() != firstSeq) {
            problems.add(
                new Problem(
                    i,
                    r.seq(),
                    Kind.BAD_START,
                    r.seq() > firstSeq
                        ? "chain starts at seq "
                            + r.seq()
                            + ", expected "
                            + firstSeq
                            + ": receipts "
                            + firstSeq
                            + ".."
                            + (r.seq() - 1)
                            + " are missing"
                        : "chain starts at seq " + r.seq() + ", expected " + firstSeq));
          } else if (prevHash != null && !prevHash.equalsIgnoreCase(r.prev())) {
            problems.add(
                new Problem(
                    i,
                    r.seq(),
                    Kind.BAD_START,
                    "first receipt links to " + r.prev() + ", expected " + prevHash));
          }
        } else if (before != null) {
          long expected = before.seq() + 1;
          if (r.seq() == expected) {
            if (!r.prev().equalsIgnoreCase(beforeHash)) {
              problems.add(
                  new Problem(
                      i,
                      r.seq(),
                      Kind.BROKEN_LINK,
                      "prev "
                          + r.prev()
                          + " is not the hash of receipt seq "
                          + before.seq()
                          + " ("
                          + beforeHash
                          + "): that receipt was "
                          + "altered or substituted"));
            }
          } else if (r.seq() > expected) {
            problems.add(
                new Problem(
                    i,
                    r.seq(),
                    Kind.GAP,
                    "seq jumps from "
                        + before.seq()
                        + " to "
                        + r.seq()
                        + ": "
                        + (r.seq() - expected == 1
                            ? "receipt seq " + expected + " is"
                            : "receipts seq " + expected + ".." + (r.seq() - 1) + " are")
                        + " missing"));
          } else if (r.seq() == before.seq()) {
            problems.add(
                new Problem(i, r.seq(), Kind.DUPLICATE, "seq " + r.seq() + " appears twice"));
          } else {
            problems.add(
                new Problem(
                    i,
                    r.seq(),
                    Kind.OUT_OF_ORDER,
                    "seq "
                        + r.seq()
                        + " follows seq "
                        + before.seq()
                        + ": receipts are out of order"));
          }
        }
      }
      before = r;
      beforeHash = hash;
    }
    Long lastSeq = before == null ? null : before.seq();
    return new Result(problems.isEmpty(), receipts.size(), lastSeq, beforeHash, problems);
  }
}
