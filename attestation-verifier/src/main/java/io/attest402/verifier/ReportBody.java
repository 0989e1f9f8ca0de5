package io.attest402.verifier;

/** The report body of a quote: an SGX enclave report or a TD report. */
public sealed interface ReportBody permits SgxReportBody, TdReportBody {
  /** The 64 bytes of REPORTDATA chosen by the enclave or TD. */
  byte[] reportData();

  /** The encoded body, exactly as in the quote. */
  byte[] encoded();
}
