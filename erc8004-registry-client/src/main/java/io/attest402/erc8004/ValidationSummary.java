package io.attest402.erc8004;

/**
 * {@code getSummary} of the validation registry: answered requests counted and their integer
 * average.
 */
public record ValidationSummary(long count, int averageResponse) {}
