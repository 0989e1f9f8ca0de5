package io.attest402.verifier.internal;

import java.util.List;

/**
 * One TCB level of TCB info (SGX/TDX components + PCESVN) or of a QE identity / TDX module (isvsvn
 * only).
 */
public record TcbLevel(
    int[] sgxComponents,
    int pceSvn,
    int[] tdxComponents,
    int isvSvn,
    String tcbDate,
    String status,
    List<String> advisoryIds) {}
