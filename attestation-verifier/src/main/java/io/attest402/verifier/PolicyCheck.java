package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Applies a {@link VerificationPolicy} to a genuine, evaluated quote. Stateless. */
final class PolicyCheck {
  /**
   * TDATTRIBUTES bits the TDX module ABI reserves (must be zero): TUD bits 1-7, SEC bits 8-15 and
   * 17-26, OTHER bits 32-61. Defined: DEBUG (0), ICSSD (16), LASS (27), SEPT_VE_DISABLE (28),
   * MIGRATABLE (29), PKS (30), KL (31), TPA (62), PERFMON (63).
   */
  static final long TD_RESERVED_ATTRIBUTES =
      0x0000_0000_0000_fffeL | 0x0000_0000_07fe_0000L | 0x3fff_ffff_0000_0000L;

  private PolicyCheck() {}

  /**
   * Throws {@link Kind#POLICY_VIOLATION} listing every violation; returns whether the policy pinned
   * the code.
   */
  static boolean apply(VerificationPolicy policy, Quote quote, TcbStatus status)
      throws QuoteVerificationException {
    List<String> v = new ArrayList<>();
    boolean pinned = policy.pinsMeasurement();
    if (!pinned && !policy.allowAnyMeasurement()) {
      v.add(
          "policy pins no measurement: pin mrEnclave, mrSigner+isvProdId, or mrTd/rtmrs, or set "
              + "allowAnyMeasurement");
    }
    if (!policy.acceptedStatuses().contains(status)) {
      v.add(
          "TCB status "
              + status.text()
              + " is not accepted (accepted: "
              + policy.acceptedStatuses().stream().map(TcbStatus::text).toList()
              + ")");
    }
    if (quote.body() instanceof SgxReportBody b) {
      sgx(policy, b, v);
    } else {
      td(policy, quote.tdBody(), v);
    }
    policy
        .reportData()
        .ifPresent(
            e -> {
              byte[] rd = quote.reportData();
              if (!MessageDigest.isEqual(e, Arrays.copyOf(rd, e.length))) {
                v.add(
                    "report data "
                        + Hex.encode(Arrays.copyOf(rd, e.length))
                        + " != expected "
                        + Hex.encode(e));
              }
            });
    if (!v.isEmpty()) {
      throw new QuoteVerificationException(
          Kind.POLICY_VIOLATION, "rejected by policy: " + String.join("; ", v));
    }
    return pinned;
  }

  private static void sgx(VerificationPolicy policy, SgxReportBody b, List<String> v) {
    if (b.debug() && !policy.allowDebug()) {
      v.add("enclave is in debug mode");
    }
    policy
        .mrEnclave()
        .ifPresent(
            e -> {
              if (!Arrays.equals(e, b.mrEnclave())) {
                v.add("MRENCLAVE " + Hex.encode(b.mrEnclave()) + " != expected " + Hex.encode(e));
              }
            });
    policy
        .mrSigner()
        .ifPresent(
            e -> {
              if (!Arrays.equals(e, b.mrSigner())) {
                v.add("MRSIGNER " + Hex.encode(b.mrSigner()) + " != expected " + Hex.encode(e));
              }
            });
    policy
        .isvProdId()
        .ifPresent(
            e -> {
              if (e != b.isvProdId()) {
                v.add("ISVPRODID " + b.isvProdId() + " != expected " + e);
              }
            });
    policy
        .minIsvSvn()
        .ifPresent(
            e -> {
              if (b.isvSvn() < e) {
                v.add("ISVSVN " + b.isvSvn() + " < minimum " + e);
              }
            });
    if (policy.mrTd().isPresent() || hasRtmr(policy)) {
      v.add("policy expects TDX measurements but the quote is SGX");
    }
  }

  private static void td(VerificationPolicy policy, TdReportBody b, List<String> v) {
    long reserved = b.tdAttributeBits() & TD_RESERVED_ATTRIBUTES;
    if (reserved != 0) {
      v.add(String.format(Locale.ROOT, "TD attributes set reserved bits 0x%016x", reserved));
    }
    if (b.debug() && !policy.allowDebug()) {
      v.add("TD is in debug mode");
    }
    if (policy.requireSeptVeDisable() && !b.septVeDisable()) {
      v.add("TD attribute SEPT_VE_DISABLE is not set");
    }
    if (b.isV15() && !Arrays.equals(b.mrServiceTd(), new byte[48]) && !policy.allowServiceTd()) {
      v.add(
          "TD is bound to a service TD (MRSERVICETD non-zero) and the policy refuses service TDs");
    }
    policy
        .mrTd()
        .ifPresent(
            e -> {
              if (!Arrays.equals(e, b.mrTd())) {
                v.add("MRTD " + Hex.encode(b.mrTd()) + " != expected " + Hex.encode(e));
              }
            });
    for (int i = 0; i < 4; i++) {
      final int idx = i;
      policy
          .rtmr(i)
          .ifPresent(
              e -> {
                if (!Arrays.equals(e, b.rtmr(idx))) {
                  v.add(
                      "RTMR"
                          + idx
                          + " "
                          + Hex.encode(b.rtmr(idx))
                          + " != expected "
                          + Hex.encode(e));
                }
              });
    }
    if (policy.mrEnclave().isPresent()
        || policy.mrSigner().isPresent()
        || policy.isvProdId().isPresent()
        || policy.minIsvSvn().isPresent()) {
      v.add("policy expects SGX enclave measurements but the quote is TDX");
    }
  }

  private static boolean hasRtmr(VerificationPolicy policy) {
    for (int i = 0; i < 4; i++) {
      if (policy.rtmr(i).isPresent()) {
        return true;
      }
    }
    return false;
  }
}
