package io.attest402.enclave.tee;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.attest402.verifier.Quote;
import io.attest402.verifier.SgxReportBody;
import io.attest402.verifier.TdReportBody;
import java.util.HexFormat;
import java.util.List;

/**
 * What a quote says about the code that produced it, as clients pin it: for SGX the enclave
 * measurement (MRENCLAVE), the signer (MRSIGNER), product id and security version; for TDX the TD
 * measurement (MRTD), the four runtime measurement registers and MRCONFIGID. Binary values are
 * lowercase hex. Fields of the other TEE are absent from the JSON form.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Measurement(
    String tee,
    String mrEnclave,
    String mrSigner,
    Integer isvProdId,
    Integer isvSvn,
    String mrTd,
    List<String> rtmrs,
    String mrConfigId,
    boolean debug) {

  /** The measurement carried by a parsed quote. */
  public static Measurement of(Quote quote) {
    HexFormat hex = HexFormat.of();
    if (quote.body() instanceof SgxReportBody b) {
      return new Measurement(
          "sgx",
          hex.formatHex(b.mrEnclave()),
          hex.formatHex(b.mrSigner()),
          b.isvProdId(),
          b.isvSvn(),
          null,
          null,
          null,
          b.debug());
    }
    TdReportBody b = quote.tdBody();
    return new Measurement(
        "tdx",
        null,
        null,
        null,
        null,
        hex.formatHex(b.mrTd()),
        List.of(
            hex.formatHex(b.rtmr(0)),
            hex.formatHex(b.rtmr(1)),
            hex.formatHex(b.rtmr(2)),
            hex.formatHex(b.rtmr(3))),
        hex.formatHex(b.mrConfigId()),
        b.debug());
  }
}
