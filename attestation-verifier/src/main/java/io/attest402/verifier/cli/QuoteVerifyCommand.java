package io.attest402.verifier.cli;

import io.attest402.verifier.Collateral;
import io.attest402.verifier.QuoteVerificationException;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.internal.Hex;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code attest402 quote verify}: exit 0 when the quote passes the policy, 1 when it is rejected, 2
 * on usage or input errors. {@code --json} prints one object on stdout; logs go to stderr.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = "Verifies an SGX or TDX DCAP quote with its collateral and applies a policy.",
    exitCodeOnInvalidInput = 2,
    exitCodeOnExecutionException = 2)
public final class QuoteVerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--quote",
      required = true,
      paramLabel = "FILE",
      description = "Quote file: raw binary, hex, 0x-hex or base64.")
  Path quoteFile;

  @Option(
      names = "--collateral",
      paramLabel = "FILE",
      description = "Collateral JSON (dcap-qvl QuoteCollateralV3 format). Give this or --pccs.")
  Path collateralFile;

  @Option(
      names = "--pccs",
      paramLabel = "URL",
      description =
          "Fetch the collateral for the quote from this PCS/PCCS (Intel PCS v4 API, e.g. "
              + "https://api.trustedservices.intel.com). Give this or --collateral.")
  java.net.URI pccs;

  @Option(
      names = "--at",
      paramLabel = "UNIX_SECONDS",
      description = "Verification time (default: now).")
  Long at;

  @Mixin PolicyOptions policyOptions;

  @Option(names = "--json", description = "Print one JSON object on stdout.")
  boolean json;

  private final Clock clock;

  public QuoteVerifyCommand() {
    this(Clock.systemUTC());
  }

  public QuoteVerifyCommand(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    byte[] quote;
    Collateral collateral;
    VerificationPolicy policy;
    try {
      quote = decodeQuoteFile(Files.readAllBytes(quoteFile));
      if ((collateralFile == null) == (pccs == null)) {
        throw new IllegalArgumentException("give exactly one of --collateral FILE or --pccs URL");
      }
      collateral =
          collateralFile != null
              ? Collateral.fromJson(Files.readAllBytes(collateralFile))
              : pccsFetcher(quote).fetch(quote);
      policy = policyOptions.policy();
    } catch (IOException | IllegalArgumentException | QuoteVerificationException e) {
      err.println("attest402 quote verify: " + e.getMessage());
      if (json) {
        out.println(
            "{\"ok\":false,\"status\":null,\"advisories\":[],\"teeType\":null,\"version\":null,"
                + "\"measurements\":{},\"reportData\":null,\"simulated\":false,\"error\":"
                + jsonString(e.getMessage())
                + ",\"errorKind\":\"INPUT\"}");
      }
      out.flush();
      return 2;
    }
    Instant when = at != null ? Instant.ofEpochSecond(at) : clock.instant();
    err.println("verifying " + quoteFile + " (" + quote.length + " bytes) at " + when);
    Verdict v = new QuoteVerifier().verify(quote, collateral, when, policy);
    if (json) {
      out.println(v.toJson());
    } else {
      human(out, v);
    }
    out.flush();
    return v.ok() ? 0 : 1;
  }

  private static void human(PrintWriter out, Verdict v) {
    if (v.simulated()) {
      out.println(
          "*** SIMULATED ATTESTATION: signed by the attest402 simulation CA, no TEE hardware ***");
    }
    out.println(
        "verdict:    " + (v.ok() ? "OK" : "REJECTED") + (v.simulated() ? " (SIMULATED)" : ""));
    v.status()
        .ifPresent(
            s -> out.println("status:     " + s.text() + (v.simulated() ? " (SIMULATED)" : "")));
    v.anchor().ifPresent(a -> out.println("anchor:     " + a));
    if (v.ok() && !v.measurementPinned()) {
      out.println(
          "*** MEASUREMENT NOT PINNED: accepted by allowAnyMeasurement, any enclave or TD would pass ***");
    }
    if (!v.advisories().isEmpty()) {
      out.println("advisories: " + String.join(", ", v.advisories()));
    }
    v.quote()
        .ifPresent(
            q -> {
              out.println(
                  "tee:        "
                      + q.teeType()
                      + " quote v"
                      + q.version()
                      + " body type "
                      + q.bodyType()
                      + (q.trailingBytes() > 0
                          ? " (" + q.trailingBytes() + " bytes of zero padding)"
                          : ""));
              for (Map.Entry<String, Object> m : v.measurements().entrySet()) {
                out.printf("  %-14s %s%n", m.getKey(), m.getValue());
              }
              out.println("  reportData     " + Hex.encode(q.reportData()));
            });
    for (String w : v.warnings()) {
      out.println("warning:    " + w);
    }
    v.failure().ifPresent(f -> out.println("error:      [" + f.kind() + "] " + f.getMessage()));
  }

  /**
   * Intel's root, plus the quote's own chain root when the policy pins its SHA-256 as a simulation
   * root.
   */
  private io.attest402.verifier.CollateralFetcher pccsFetcher(byte[] quote) throws IOException {
    io.attest402.verifier.CollateralFetcher.Builder b =
        io.attest402.verifier.CollateralFetcher.builder()
            .baseUrl(pccs)
            .clock(clock)
            .trustAnchor(QuoteVerifier.intelRootCa());
    java.util.Set<String> pinned = policyOptions.policy().simulationRoots();
    if (!pinned.isEmpty()) {
      try {
        for (java.security.cert.X509Certificate c :
            io.attest402.verifier.internal.Pem.parseChain(
                io.attest402.verifier.Quote.parse(quote).certificationData())) {
          if (pinned.contains(
              Hex.encode(
                  java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded())))) {
            b.trustAnchor(c);
          }
        }
      } catch (Exception e) {
        // no simulation anchor: the fetch fails on the chain with its own reason
      }
    }
    return b.build();
  }

  /** Raw binary, hex, 0x-hex (whitespace ignored) or base64. */
  static byte[] decodeQuoteFile(byte[] content) {
    String text = new String(content, StandardCharsets.ISO_8859_1).strip();
    if (!text.isEmpty()
        && text.chars().allMatch(c -> c >= 0x20 && c < 0x7f || Character.isWhitespace(c))) {
      String compact = text.replaceAll("\\s+", "");
      String hex =
          compact.startsWith("0x") || compact.startsWith("0X") ? compact.substring(2) : compact;
      if (hex.matches("[0-9a-fA-F]+") && hex.length() % 2 == 0) {
        return Hex.decode(hex);
      }
      if (compact.matches("[A-Za-z0-9+/_-]+={0,2}")) {
        String b64 = compact.replace('-', '+').replace('_', '/');
        return Base64.getDecoder().decode(b64);
      }
    }
    return content;
  }

  private static String jsonString(String s) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(s);
    } catch (IOException e) {
      return "\"\"";
    }
  }
}
