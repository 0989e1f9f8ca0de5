package io.attest402.verifier;

/** TCB status of a verified quote, ordered from best to worst for convergence. */
public enum TcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  TD_RELAUNCH_ADVISED("TDRelaunchAdvised"),
  TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED("TDRelaunchAdvisedConfigurationNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  REVOKED("Revoked");

  private final String text;

  TcbStatus(String text) {
    this.text = text;
  }

  /** The name Intel uses in TCB info (e.g. "UpToDate"). */
  public String text() {
    return text;
  }

  /** Parses Intel's status name; IllegalArgumentException for anything else. */
  public static TcbStatus fromText(String s) {
    for (TcbStatus t : values()) {
      if (t.text.equals(s)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown TCB status '" + s + "'");
  }

  @Override
  public String toString() {
    return text;
  }
}
