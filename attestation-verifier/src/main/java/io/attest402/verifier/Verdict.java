package io.attest402.verifier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.verifier.internal.Hex;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of {@link QuoteVerifier#verify}: {@link #ok()} is true only when the quote verified
 * end to end and passed the policy. Otherwise {@link #failure()} says why; status and measurements
 * are still reported when known (for example a genuine quote whose status the policy does not
 * accept). Immutable.
 */
public final class Verdict {
  private final boolean ok;
  private final boolean verified;
  private final TcbStatus status;
  private final List<String> advisories;
  private final Quote quote;
  private final boolean simulated;
  private final QuoteVerificationException failure;
  private final List<String> warnings;
  private final String anchor;
  private final boolean measurementPinned;

  Verdict(
      boolean ok,
      boolean verified,
      TcbStatus status,
      List<String> advisories,
      Quote quote,
      boolean simulated,
      QuoteVerificationException failure,
      List<String> warnings,
      String anchor,
      boolean measurementPinned) {
    this.ok = ok;
    this.verified = verified;
    this.status = status;
    this.advisories = List.copyOf(advisories);
    this.quote = quote;
    this.simulated = simulated;
    this.failure = failure;
    this.warnings = List.copyOf(warnings);
    this.anchor = anchor;
    this.measurementPinned = measurementPinned;
  }

  /** True when the quote is genuine, its TCB evaluated and the policy accepts it. */
  public boolean ok() {
    return ok;
  }

  /** True when signatures, chains, collateral and TCB evaluation succeeded (policy aside). */
  public boolean verified() {
    return verified;
  }

  /** The TCB status, when the TCB evaluation was reached. */
  public Optional<TcbStatus> status() {
    return Optional.ofNullable(status);
  }

  /** Advisory IDs of the matched platform, TDX module and QE TCB levels, sorted. */
  public List<String> advisories() {
    return advisories;
  }

  /** The parsed quote, when it parsed. */
  public Optional<Quote> quote() {
    return Optional.ofNullable(quote);
  }

  /**
   * True when the quote chains to the attest402 simulation CA (accepted only when the policy allows
   * it).
   */
  public boolean simulated() {
    return simulated;
  }

  public Optional<QuoteVerificationException> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * The trust anchor that rooted the PCK, TCB-info and QE-identity chains, once the chains
   * verified: {@code intel} (the pinned Intel SGX Root CA), {@code simulation:<sha256 hex of its
   * DER>} (a pinned simulation root) or {@code extra:<sha256 hex>} (a policy trust anchor).
   */
  public Optional<String> anchor() {
    return Optional.ofNullable(anchor);
  }

  /**
   * True when the policy pinned the measurement (MRENCLAVE, MRSIGNER + ISVPRODID, MRTD or RTMRs)
   * and the quote matched it; false when the quote was accepted only because the policy says {@code
   * allowAnyMeasurement}, or when it was not accepted. Callers should flag an ok verdict without a
   * pinned measurement.
   */
  public boolean measurementPinned() {
    return measurementPinned;
  }

  /** Non-fatal notes, e.g. revocation not checked because the collateral has no CRLs. */
  public List<String> warnings() {
    return warnings;
  }

  /** Returns this verdict when ok, otherwise throws its failure. */
  public Verdict orThrow() throws QuoteVerificationException {
    if (!ok) {
      throw failure;
    }
    return this;
  }

  public Optional<TeeType> teeType() {
    return quote().map(Quote::teeType);
  }

  public Optional<byte[]> reportData() {
    return quote().map(Quote::reportData);
  }

  /** The report body's measurements and attributes, as hex strings, numbers and booleans. */
  public Map<String, Object> measurements() {
    if (quote == null) {
      return Map.of();
    }
    Map<String, Object> m = new LinkedHashMap<>();
    if (quote.body() instanceof SgxReportBody b) {
      m.put("mrEnclave", Hex.encode(b.mrEnclave()));
      m.put("mrSigner", Hex.encode(b.mrSigner()));
      m.put("isvProdId", b.isvProdId());
      m.put("isvSvn", b.isvSvn());
      m.put("attributes", Hex.encode(b.attributes()));
      m.put("debug", b.debug());
      m.put("miscSelect", b.miscSelect());
      m.put("cpuSvn", Hex.encode(b.cpuSvn()));
      m.put("configId", Hex.encode(b.configId()));
      m.put("configSvn", b.configSvn());
      m.put("isvExtProdId", Hex.encode(b.isvExtProdId()));
      m.put("isvFamilyId", Hex.encode(b.isvFamilyId()));
    } else if (quote.body() instanceof TdReportBody b) {
      m.put("mrTd", Hex.encode(b.mrTd()));
      for (int i = 0; i < 4; i++) {
        m.put("rtmr" + i, Hex.encode(b.rtmr(i)));
      }
      m.put("mrConfigId", Hex.encode(b.mrConfigId()));
      m.put("mrOwner", Hex.encode(b.mrOwner()));
      m.put("mrOwnerConfig", Hex.encode(b.mrOwnerConfig()));
      m.put("mrSeam", Hex.encode(b.mrSeam()));
      m.put("mrSignerSeam", Hex.encode(b.mrSignerSeam()));
      m.put("seamAttributes", Hex.encode(b.seamAttributes()));
      m.put("tdAttributes", Hex.encode(b.tdAttributes()));
      m.put("xfam", Hex.encode(b.xfam()));
      m.put("teeTcbSvn", Hex.encode(b.teeTcbSvn()));
      m.put("debug", b.debug());
      m.put("septVeDisable", b.septVeDisable());
      if (b.isV15()) {
        m.put("teeTcbSvn2", Hex.encode(b.teeTcbSvn2()));
        m.put("mrServiceTd", Hex.encode(b.mrServiceTd()));
      }
    }
    return Collections.unmodifiableMap(m);
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * One JSON object: {@code {ok, verified, simulated, anchor, measurementPinned, status,
   * advisories, teeType, version, bodyType, measurements{...}, reportData, error, errorKind,
   * warnings}}.
   */
  public String toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("ok", ok);
    o.put("verified", verified);
    o.put("simulated", simulated);
    if (anchor != null) {
      o.put("anchor", anchor);
    } else {
      o.putNull("anchor");
    }
    o.put("measurementPinned", measurementPinned);
    if (status != null) {
      o.put("status", status.text());
    } else {
      o.putNull("status");
    }
    ArrayNode adv = o.putArray("advisories");
    advisories.forEach(adv::add);
    if (quote != null) {
      o.put("teeType", quote.teeType().name());
      o.put("version", quote.version());
      o.put("bodyType", quote.bodyType());
      o.set("measurements", MAPPER.valueToTree(measurements()));
      o.put("reportData", Hex.encode(quote.reportData()));
    } else {
      o.putNull("teeType");
      o.putNull("version");
      o.putNull("bodyType");
      o.putObject("measurements");
      o.putNull("reportData");
    }
    if (failure != null) {
      o.put("error", failure.getMessage());
      o.put("errorKind", failure.kind().name());
    } else {
      o.putNull("error");
      o.putNull("errorKind");
    }
    ArrayNode w = o.putArray("warnings");
    warnings.forEach(w::add);
    try {
      return MAPPER.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "Verdict" + toJson();
  }
}
