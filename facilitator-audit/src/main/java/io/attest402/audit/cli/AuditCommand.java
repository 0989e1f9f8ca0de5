package io.attest402.audit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.attest402.audit.AuditProblem;
import io.attest402.audit.FacilitatorAuditor;
import io.attest402.verifier.VerificationPolicy;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attest402 audit}: checks a facilitator's receipt chain against its attested key, its
 * SettlementLog anchors and the chain. Exit 0 when everything holds, 1 when a problem is found, 2
 * on bad input (unreadable files, unreachable facilitator or node).
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Audits a facilitator: receipts vs attested key, on-chain anchors and settlements; exit 0 ok, "
            + "1 problem, 2 bad input.")
public final class AuditCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(
      names = "--facilitator",
      required = true,
      paramLabel = "URL",
      description = "the facilitator's base URL")
  String facilitator;

  @CommandLine.Mixin io.attest402.contracts.cli.DeploymentOption deployment;

  @Option(
      names = "--from",
      defaultValue = "0",
      paramLabel = "SEQ",
      description = "first receipt seq to audit (default ${DEFAULT-VALUE}: the whole chain)")
  long from;

  @Option(
      names = "--pay-to",
      paramLabel = "ADDR",
      description =
          "list this provider's settlements and flag transfers to it from the facilitator's account "
              + "that no receipt records")
  String payTo;

  @Option(
      names = "--receipts",
      paramLabel = "FILE",
      description =
          "receipts you hold (compact JWS, one a line, or a JSON array): one the facilitator now serves "
              + "differently becomes an equivocation proof")
  Path receipts;

  @CommandLine.Mixin
  io.attest402.verifier.cli.PolicyOptions policyOptions =
      new io.attest402.verifier.cli.PolicyOptions();

  @Option(
      names = "--json",
      description = "one JSON object: ok, receipts, anchoredSeq, problems, ...")
  boolean json;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    FacilitatorAuditor.Options options;
    try {
      if (payTo != null && !payTo.matches("0x[0-9a-fA-F]{40}")) {
        throw new IllegalArgumentException("--pay-to must be a 0x address, not " + payTo);
      }
      VerificationPolicy p = policyOptions.policy();
      options =
          new FacilitatorAuditor.Options(
              facilitator,
              deployment.deployment(),
              from,
              payTo,
              p,
              receipts == null ? List.of() : readReceipts(receipts),
              null);
    } catch (RuntimeException | java.io.IOException e) {
      err.println("attest402 audit: " + e.getMessage());
      err.flush();
      return 2;
    }
    FacilitatorAuditor.Report r;
    try {
      r = FacilitatorAuditor.audit(options, Clock.systemUTC());
    } catch (FacilitatorAuditor.AuditInputException e) {
      err.println("attest402 audit: " + e.getMessage());
      err.flush();
      return 2;
    }
    if (json) {
      out.println(JSON.writeValueAsString(r.toJson()));
    } else {
      out.println("facilitator " + r.facilitator() + ", attested signer " + r.signer());
      out.println(
          r.receipts()
              + " receipts"
              + (r.lastSeq() == null ? "" : " up to seq " + r.lastSeq())
              + "; anchored on chain up to seq "
              + r.anchoredSeq());
      if (r.settlements() != null) {
        out.println(r.settlements().size() + " settlements to " + payTo + ":");
        r.settlements()
            .forEach(
                s ->
                    out.println(
                        "  seq "
                            + s.seq()
                            + " "
                            + s.status()
                            + " "
                            + s.amount()
                            + " from "
                            + s.payer()
                            + " tx "
                            + s.transaction()));
      }
      for (AuditProblem p : r.problems()) {
        out.println(
            "PROBLEM "
                + p.kind()
                + (p.seq() == null ? "" : " seq " + p.seq())
                + ": "
                + p.message());
      }
      for (var proof : r.proofs()) {
        out.println(
            "EQUIVOCATION PROOF (anyone can check it; both receipts verify under the attested key):");
        out.println(
            JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(proof));
      }
      out.println(r.ok() ? "audit OK" : "audit FAILED: " + r.problems().size() + " problem(s)");
    }
    out.flush();
    return r.ok() ? 0 : 1;
  }

  static List<String> readReceipts(Path file) throws java.io.IOException {
    String text = Files.readString(file).strip();
    List<String> out = new ArrayList<>();
    if (text.startsWith("[")) {
      JSON.readTree(text)
          .forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("jws").asText()));
    } else {
      text.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(out::add);
    }
    return out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new AuditCommand()).execute(args));
  }
}
