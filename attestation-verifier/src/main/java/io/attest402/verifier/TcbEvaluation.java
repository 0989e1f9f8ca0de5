package io.attest402.verifier;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.QeIdentity;
import io.attest402.verifier.internal.TcbInfo;
import io.attest402.verifier.internal.TcbLevel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * TCB evaluation as Intel's QVL does it ({@code TcbLevelCheck}, {@code TdxModuleCheck}, {@code
 * TDRelaunchCheck}, {@code EnclaveReportVerifier}): TCB levels in QVL's canonical order (not JSON
 * order), the SGX and TDX levels selected separately, the TDX module's status, TD relaunch, and the
 * QE identity. Stateless.
 */
final class TcbEvaluation {
  /** Statuses a TCB info level may carry. */
  static final Set<TcbStatus> PLATFORM_STATUSES =
      EnumSet.of(
          TcbStatus.UP_TO_DATE,
          TcbStatus.OUT_OF_DATE,
          TcbStatus.CONFIGURATION_NEEDED,
          TcbStatus.REVOKED,
          TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED,
          TcbStatus.SW_HARDENING_NEEDED,
          TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED);

  /** Statuses a QE identity or TDX module level may carry. */
  static final Set<TcbStatus> ISV_STATUSES =
      EnumSet.of(TcbStatus.UP_TO_DATE, TcbStatus.OUT_OF_DATE, TcbStatus.REVOKED);

  /** The outcome: converged status and the advisories of the levels that decided it. */
  record Result(TcbStatus status, List<String> advisories) {}

  private TcbEvaluation() {}

  /**
   * QVL's order of TCB levels (a set sorted by {@code TcbLevel::operator>}, highest first): SGX
   * components compared lexicographically, then, for TDX TCB info with equal PCESVN, the TDX
   * components, else PCESVN. Levels QVL would consider equal keep their JSON order.
   */
  static List<TcbLevel> canonicalOrder(TcbInfo ti) {
    boolean tdx = ti.version() >= 3 && "TDX".equals(ti.id());
    Comparator<TcbLevel> higherFirst =
        (a, b) -> {
          int c = Arrays.compare(a.sgxComponents(), b.sgxComponents());
          if (c == 0) {
            if (tdx
                && a.pceSvn() == b.pceSvn()
                && a.tdxComponents() != null
                && b.tdxComponents() != null) {
              c = Arrays.compare(a.tdxComponents(), b.tdxComponents());
            } else {
              c = Integer.compare(a.pceSvn(), b.pceSvn());
            }
          }
          return -c;
        };
    List<TcbLevel> sorted = new ArrayList<>(ti.levels());
    sorted.sort(higherFirst);
    return List.copyOf(sorted);
  }

  /** QE identity levels by ISVSVN, highest first (QVL keeps them in a set ordered that way). */
  static List<TcbLevel> byIsvSvn(List<TcbLevel> levels) {
    List<TcbLevel> sorted = new ArrayList<>(levels);
    sorted.sort(Comparator.comparingInt(TcbLevel::isvSvn).reversed());
    return List.copyOf(sorted);
  }

  /** The QE report against the QE identity; returns the matching QE TCB level. */
  static TcbLevel qeLevel(QeIdentity qi, List<TcbLevel> qeLevels, Quote quote)
      throws QuoteVerificationException {
    boolean tdx = quote.teeType() == TeeType.TDX;
    String expected = tdx ? "TD_QE" : "QE";
    if (!qi.id().equals(expected) || qi.version() < 2 || qi.version() > 3) {
      throw new QuoteVerificationException(
          Kind.QE_IDENTITY_MISMATCH,
          "QE identity id "
              + qi.id()
              + " version "
              + qi.version()
              + " does not apply to a "
              + quote.teeType()
              + " quote");
    }
    SgxReportBody qe = quote.qeReport();
    // MISCSELECT is a little-endian uint32 in the report; the identity's hex is the same byte
    // order.
    if ((qe.miscSelect() & qi.miscSelectMask()) != qi.miscSelect()) {
      throw new QuoteVerificationException(
          Kind.QE_IDENTITY_MISMATCH,
          String.format(
              Locale.ROOT,
              "QE MISCSELECT 0x%08x masked with 0x%08x is not the QE identity's 0x%08x",
              qe.miscSelect(),
              qi.miscSelectMask(),
              qi.miscSelect()));
    }
    byte[] attr = qe.attributes();
    for (int i = 0; i < 16; i++) {
      if ((attr[i] & qi.attributesMask()[i]) != qi.attributes()[i]) {
        throw new QuoteVerificationException(
            Kind.QE_IDENTITY_MISMATCH, "QE ATTRIBUTES do not match the QE identity");
      }
    }
    if (!Arrays.equals(qe.mrSigner(), qi.mrSigner())) {
      throw new QuoteVerificationException(
          Kind.QE_IDENTITY_MISMATCH, "QE MRSIGNER does not match the QE identity");
    }
    if (qe.isvProdId() != qi.isvProdId()) {
      throw new QuoteVerificationException(
          Kind.QE_IDENTITY_MISMATCH,
          "QE ISVPRODID " + qe.isvProdId() + " differs from the QE identity's " + qi.isvProdId());
    }
    for (TcbLevel l : qeLevels) {
      if (l.isvSvn() <= qe.isvSvn()) {
        status(l, ISV_STATUSES, "QE identity");
        return l;
      }
    }
    throw new QuoteVerificationException(
        Kind.TCB_NOT_SUPPORTED,
        "QE ISVSVN "
            + qe.isvSvn()
            + " is below every QE identity TCB level (Intel: STATUS_TCB_NOT_SUPPORTED)");
  }

  /** The TDX module identity for TEE_TCB_SVN[1] ({@code TDX_%02X}), or null when there is none. */
  static TcbInfo.TdxModule moduleIdentity(TcbInfo ti, int majorVersion) {
    String id = String.format(Locale.ROOT, "TDX_%02X", majorVersion);
    for (TcbInfo.TdxModule m : ti.tdxModuleIdentities().values()) {
      if (m.id().toUpperCase(Locale.ROOT).equals(id)) {
        return m;
      }
    }
    return null;
  }

  /**
   * The TD's TDX module against the TCB info (QVL 4.1.2.4.11): MRSIGNERSEAM equals the module's
   * signer (the {@code tdxModuleIdentities} entry for a non-zero major version, else {@code
   * tdxModule}), SEAMATTRIBUTES zero and equal to the module's attributes.
   */
  static void checkTdxModule(TcbInfo ti, TdReportBody td, int quoteVersion)
      throws QuoteVerificationException {
    int major = td.teeTcbSvn()[1] & 0xff;
    TcbInfo.TdxModule m = ti.tdxModule();
    if (quoteVersion > 3 && major > 0) {
      m = moduleIdentity(ti, major);
      if (m == null) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            String.format(
                Locale.ROOT,
                "TDX module identity TDX_%02X not found in TCB info (Intel: STATUS_TDX_MODULE_MISMATCH)",
                major));
      }
    }
    if (m == null) {
      throw new QuoteVerificationException(Kind.TCB_INFO_MISMATCH, "TDX TCB info has no tdxModule");
    }
    if (!Arrays.equals(m.mrSigner(), td.mrSignerSeam())) {
      throw new QuoteVerificationException(
          Kind.TCB_INFO_MISMATCH,
          "MRSIGNERSEAM does not match the TDX module identity "
              + (m.id().isEmpty() ? "tdxModule" : m.id())
              + " (Intel: STATUS_TDX_MODULE_MISMATCH)");
    }
    byte[] seam = td.seamAttributes();
    for (int i = 0; i < seam.length; i++) {
      if (seam[i] != 0 || seam[i] != m.attributes()[i]) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            "SEAMATTRIBUTES must be zero and equal "
                + "the TDX module's attributes (Intel: STATUS_TDX_MODULE_MISMATCH)");
      }
    }
  }

  /** QVL's {@code checkTcbLevel}, then convergence with the QE's status. */
  static Result evaluate(
      Quote quote, TcbInfo ti, List<TcbLevel> levels, PckExtension pck, TcbLevel qeLevel)
      throws QuoteVerificationException {
    boolean tdx = quote.teeType() == TeeType.TDX && ti.version() >= 3 && "TDX".equals(ti.id());
    byte[] teeTcbSvn = tdx ? quote.tdBody().teeTcbSvn() : null;
    TcbLevel sgxLevel = null;
    TcbLevel tdxLevel = null;
    for (TcbLevel l : levels) {
      if (!sgxMatches(l, pck)) {
        continue;
      }
      if (!tdx) {
        sgxLevel = l;
        break;
      }
      if (sgxLevel == null) {
        sgxLevel = l;
      }
      if (tdxMatches(l, teeTcbSvn)) {
        tdxLevel = l;
        break;
      }
    }
    if (sgxLevel == null || tdx && tdxLevel == null) {
      throw new QuoteVerificationException(
          Kind.TCB_NOT_SUPPORTED,
          "TCB level not supported: no matching TCB level (Intel: STATUS_TCB_NOT_SUPPORTED)"
              + explainNoMatch(levels, pck, teeTcbSvn));
    }
    TcbStatus qeStatus = status(qeLevel, ISV_STATUSES, "QE identity");
    TreeSet<String> adv = new TreeSet<>();
    TcbStatus sgxStatus = status(sgxLevel, PLATFORM_STATUSES, "TCB info");
    if (!tdx) {
      adv.addAll(sgxLevel.advisoryIds());
      adv.addAll(qeLevel.advisoryIds());
      return new Result(convergeWithQe(sgxStatus, qeStatus), List.copyOf(adv));
    }
    adv.addAll(tdxLevel.advisoryIds());
    TcbStatus moduleStatus = TcbStatus.UP_TO_DATE;
    int major = teeTcbSvn[1] & 0xff;
    if (quote.version() <= 3 || major != 0) {
      TcbInfo.TdxModule m = moduleIdentity(ti, major);
      if (m == null) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            String.format(
                Locale.ROOT,
                "TDX module identity TDX_%02X not found in TCB info (Intel: STATUS_TDX_MODULE_MISMATCH)",
                major));
      }
      TcbLevel ml = null;
      for (TcbLevel l : m.levels()) {
        if ((teeTcbSvn[0] & 0xff) >= l.isvSvn()) {
          ml = l;
          break;
        }
      }
      if (ml == null) {
        throw new QuoteVerificationException(
            Kind.TCB_NOT_SUPPORTED,
            "TDX module ISVSVN "
                + (teeTcbSvn[0] & 0xff)
                + " is below every level of "
                + m.id()
                + " (Intel: STATUS_TCB_NOT_SUPPORTED)");
      }
      moduleStatus = status(ml, ISV_STATUSES, "TDX module " + m.id());
      adv.addAll(ml.advisoryIds());
    }
    TcbStatus tdxStatus =
        convergeWithModule(status(tdxLevel, PLATFORM_STATUSES, "TCB info"), moduleStatus);
    if (tdxStatus != TcbStatus.REVOKED && quote.tdBody().isV15()) {
      tdxStatus =
          checkForRelaunch(
              quote.tdBody().teeTcbSvn2(),
              ti,
              levels,
              sgxStatus,
              tdxStatus,
              moduleStatus,
              qeStatus);
    }
    adv.addAll(qeLevel.advisoryIds());
    return new Result(convergeWithQe(tdxStatus, qeStatus), List.copyOf(adv));
  }

  /**
   * QVL's {@code checkForRelaunch} for TD 1.5 reports: when only the TDX module is out of date and
   * the module a relaunched TD would get (TEE_TCB_SVN2) meets the newest TCB level, the status
   * becomes TDRelaunchAdvised (or its ConfigurationNeeded variant); otherwise the TDX status
   * stands.
   */
  static TcbStatus checkForRelaunch(
      byte[] teeTcbSvn2,
      TcbInfo ti,
      List<TcbLevel> levels,
      TcbStatus sgxStatus,
      TcbStatus tdxStatus,
      TcbStatus moduleStatus,
      TcbStatus qeStatus)
      throws QuoteVerificationException {
    if (qeStatus == TcbStatus.OUT_OF_DATE || qeStatus == TcbStatus.REVOKED) {
      return tdxStatus;
    }
    if (sgxStatus != TcbStatus.UP_TO_DATE
        && sgxStatus != TcbStatus.SW_HARDENING_NEEDED
        && sgxStatus != TcbStatus.CONFIGURATION_NEEDED
        && sgxStatus != TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED) {
      return tdxStatus;
    }
    if (tdxStatus != TcbStatus.OUT_OF_DATE
        && tdxStatus != TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED) {
      return tdxStatus;
    }
    if (moduleStatus != TcbStatus.OUT_OF_DATE) {
      return tdxStatus;
    }
    if (levels.isEmpty()) {
      throw new QuoteVerificationException(Kind.TCB_NOT_SUPPORTED, "TCB info has no TDX TCB level");
    }
    TcbLevel latest = levels.get(0);
    if (latest.tdxComponents() == null) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, "TDX TCB level without tdxtcbcomponents");
    }
    int svn0 = teeTcbSvn2[0] & 0xff;
    int major = teeTcbSvn2[1] & 0xff;
    int svn2 = teeTcbSvn2[2] & 0xff;
    int requiredModuleSvn;
    if (major == 0) {
      requiredModuleSvn = latest.tdxComponents()[0];
    } else {
      TcbInfo.TdxModule m = moduleIdentity(ti, major);
      if (m == null) {
        throw new QuoteVerificationException(
            Kind.TCB_INFO_MISMATCH,
            String.format(
                Locale.ROOT,
                "TDX module identity TDX_%02X of TEE_TCB_SVN2 not found in TCB info (Intel: "
                    + "STATUS_TDX_MODULE_MISMATCH)",
                major));
      }
      if (m.levels().isEmpty()) {
        throw new QuoteVerificationException(
            Kind.TCB_NOT_SUPPORTED, "TDX module identity " + m.id() + " has no TCB level");
      }
      requiredModuleSvn = m.levels().get(0).isvSvn();
    }
    if (svn0 < requiredModuleSvn || svn2 < latest.tdxComponents()[2]) {
      return tdxStatus;
    }
    return isConfigurationNeeded(sgxStatus) || isConfigurationNeeded(tdxStatus)
        ? TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
        : TcbStatus.TD_RELAUNCH_ADVISED;
  }

  static boolean isConfigurationNeeded(TcbStatus s) {
    return s == TcbStatus.CONFIGURATION_NEEDED
        || s == TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED
        || s == TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED
        || s == TcbStatus.TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
  }

  /** QVL's convergence of a TCB level status with the TDX module's status. */
  static TcbStatus convergeWithModule(TcbStatus level, TcbStatus module) {
    return convergeOutOfDate(level, module);
  }

  /** QVL's convergence of a TCB level status with the QE's status. */
  static TcbStatus convergeWithQe(TcbStatus level, TcbStatus qe) {
    return convergeOutOfDate(level, qe);
  }

  private static TcbStatus convergeOutOfDate(TcbStatus level, TcbStatus other) {
    if (other == TcbStatus.OUT_OF_DATE) {
      if (level == TcbStatus.UP_TO_DATE || level == TcbStatus.SW_HARDENING_NEEDED) {
        return TcbStatus.OUT_OF_DATE;
      }
      if (level == TcbStatus.CONFIGURATION_NEEDED
          || level == TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED) {
        return TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
      }
    }
    if (other == TcbStatus.REVOKED) {
      return TcbStatus.REVOKED;
    }
    return level;
  }

  static TcbStatus status(TcbLevel l, Set<TcbStatus> allowed, String where)
      throws QuoteVerificationException {
    TcbStatus s;
    try {
      s = TcbStatus.fromText(l.status());
    } catch (IllegalArgumentException e) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL, where + ": " + e.getMessage(), e);
    }
    if (!allowed.contains(s)) {
      throw new QuoteVerificationException(
          Kind.INVALID_COLLATERAL,
          where + " TCB level status '" + l.status() + "' is not one Intel defines there");
    }
    return s;
  }

  private static boolean sgxMatches(TcbLevel l, PckExtension pck) {
    for (int i = 0; i < 16; i++) {
      if (pck.compSvns()[i] < l.sgxComponents()[i]) {
        return false;
      }
    }
    return pck.pceSvn() >= l.pceSvn();
  }

  private static boolean tdxMatches(TcbLevel l, byte[] teeTcbSvn) {
    if (l.tdxComponents() == null) {
      return false;
    }
    int start = (teeTcbSvn[1] & 0xff) > 0 ? 2 : 0;
    for (int i = start; i < 16; i++) {
      if ((teeTcbSvn[i] & 0xff) < l.tdxComponents()[i]) {
        return false;
      }
    }
    return true;
  }

  private static String explainNoMatch(List<TcbLevel> levels, PckExtension pck, byte[] teeTcbSvn) {
    if (levels.isEmpty()) {
      return " - TCB info has no levels";
    }
    for (int i = 0; i < 16; i++) {
      int min = Integer.MAX_VALUE;
      for (TcbLevel l : levels) {
        min = Math.min(min, l.sgxComponents()[i]);
      }
      if (pck.compSvns()[i] < min) {
        return " - PCK SGX comp #"
            + (i + 1)
            + " = "
            + pck.compSvns()[i]
            + " < "
            + min
            + " required by every level";
      }
    }
    int minPce = Integer.MAX_VALUE;
    for (TcbLevel l : levels) {
      minPce = Math.min(minPce, l.pceSvn());
    }
    if (pck.pceSvn() < minPce) {
      return " - PCESVN " + pck.pceSvn() + " < " + minPce + " required by every level";
    }
    if (teeTcbSvn != null) {
      int start = (teeTcbSvn[1] & 0xff) > 0 ? 2 : 0;
      for (int i = start; i < 16; i++) {
        int min = Integer.MAX_VALUE;
        for (TcbLevel l : levels) {
          if (l.tdxComponents() != null) {
            min = Math.min(min, l.tdxComponents()[i]);
          }
        }
        if ((teeTcbSvn[i] & 0xff) < min) {
          return " - TEE_TCB_SVN["
              + i
              + "] = "
              + (teeTcbSvn[i] & 0xff)
              + " < "
              + min
              + " required by every level";
        }
      }
    }
    return " - no single level is met by all components together";
  }
}
