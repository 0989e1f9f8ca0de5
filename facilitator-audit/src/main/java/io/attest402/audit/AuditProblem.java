package io.attest402.audit;

/**
 * One thing the audit found wrong.
 *
 * @param kind a stable code: {@code attestation}, {@code receipts-unavailable}, the receipt chain's
 *     {@code MALFORMED}/{@code BAD_SIGNATURE}/{@code BAD_START}/{@code GAP}/{@code
 *     OUT_OF_ORDER}/{@code DUPLICATE}/ {@code BROKEN_LINK}, {@code behind-anchor}, {@code fork},
 *     {@code equivocation}, {@code settlement} (a receipt's settlement not on chain as it says),
 *     {@code withheld-receipt}
 * @param seq the receipt seq concerned, or null
 * @param message what it means, precisely
 */
public record AuditProblem(String kind, Long seq, String message) {}
