package io.attest402.demo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Deployment;
import io.attest402.demo.agent.SummaryAgent;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.trust.TrustCheck;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code attest402 agent}: one trust-checked paid request. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description =
        "Make one trust-checked paid request: POST the document to PROVIDER/summarize (or GET the URL "
            + "without --document), check trust before paying, verify the facilitator's receipt, leave feedback."
            + " It pays as --key-file or --account, by default as the deployment's 'agent' dev account.")
public final class AgentCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @picocli.CommandLine.Mixin io.attest402.contracts.cli.DeploymentOption deployment;

  @Option(
      names = "--provider",
      description = "Provider base URL (or, without --document, any x402 resource URL).")
  String provider;

  @Option(
      names = "--agent-id",
      description =
          "Find the provider by its ERC-8004 agentId instead: its registration "
              + "file's x402 service is the URL paid.")
  BigInteger agentId;

  @Option(
      names = "--discover",
      paramLabel = "FACILITATOR_URL",
      description =
          "Find the provider in this facilitator's bazaar catalog (GET /discovery/resources) instead:"
              + " the first resource there offering exact on the deployment's network (a /summarize"
              + " one with --document) is the URL paid.")
  URI discover;

  @Option(names = "--document", description = "Document to summarize (.txt, .md, .html, .pdf).")
  Path document;

  @Option(
      names = "--trust",
      defaultValue = "default",
      description =
          "default: check identity, payTo, reputation, attestation and TEE validation before paying; "
              + "none: pay any x402 resource the spend cap allows.")
  String trust;

  @picocli.CommandLine.Mixin io.attest402.verifier.cli.PolicyOptions policyOptions;

  @Option(
      names = "--allow-simulated-tee",
      description =
          "Accept a facilitator whose TEE is SIMULATED (dev only): "
              + "only with its simulation root pinned (--simulation-root SHA256, or simulationRoots in --policy FILE; the "
              + "facilitator's data dir has it in simulated-tee/simulation-root.sha256).")
  boolean allowSimulated;

  @Option(
      names = "--pccs",
      paramLabel = "URL",
      description =
          "Fetch the facilitator quote's collateral from this "
              + "PCS/PCCS (Intel PCS v4 API) instead of verifying the collateral the facilitator serves.")
  URI pccs;

  @Option(
      names = "--trusted-validator",
      description =
          "Validator whose tee-attestation validation of the "
              + "facilitator is required (repeatable). Default on dev chains: the deployment's validator account.")
  List<String> validators = new ArrayList<>();

  @Option(
      names = "--min-paid-reviews",
      defaultValue = "0",
      description =
          "Minimum payment-backed feedback count for the provider (default: ${DEFAULT-VALUE}).")
  long minPaidReviews;

  @Option(
      names = "--max-amount",
      defaultValue = "1000000",
      description =
          "Most to pay for this request, USDC base units (default: ${DEFAULT-VALUE} = 1 USDC).")
  BigInteger maxAmount;

  @Option(
      names = "--scheme",
      defaultValue = "exact",
      description =
          "Which offer to pay: exact (the price) or upto (sign at most the offer's maximum, capped"
              + " by --max-amount, and be charged the work actually done; the offer must be bound"
              + " to a signer the attested facilitator holds). Default: ${DEFAULT-VALUE}.")
  String scheme;

  /** The payer's key; default: the 'agent' dev account. */
  @picocli.CommandLine.Mixin io.attest402.contracts.cli.SignerOption signer;

  @Option(names = "--no-feedback", description = "Do not post feedback after paying.")
  boolean noFeedback;

  @Option(
      names = "--pay-onchain",
      description =
          "Pay by a plain USDC transfer from the agent's own account, claim a credential at the "
              + "facilitator the 402 names and call with Authorization: Bearer (no facilitator settles).")
  boolean payOnChain;

  @Option(
      names = "--demand-facilitator",
      paramLabel = "URL",
      description =
          "Settle only through this facilitator (base URL; repeatable): the payment carries the"
              + " facilitator-demand extension, the trust check covers the first demanded one the"
              + " 402 lists, and a provider that has none of them refuses without settling.")
  java.util.List<String> demandedFacilitators = new java.util.ArrayList<>();

  @Option(names = "--json", description = "Print one JSON object on stdout.")
  boolean json;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Deployment d = deployment.deployment();
    SummaryAgent.Trust mode =
        switch (trust.toLowerCase(Locale.ROOT)) {
          case "default" -> SummaryAgent.Trust.DEFAULT;
          case "none" -> SummaryAgent.Trust.NONE;
          default ->
              throw new IllegalArgumentException(
                  "--trust must be default or none, not '" + trust + "'");
        };
    Set<String> trusted = new LinkedHashSet<>(validators);
    if (trusted.isEmpty()
        && mode == SummaryAgent.Trust.DEFAULT
        && d.accounts() != null
        && d.accounts().containsKey("validator")) {
      trusted.add(d.account("validator").address());
    }
    if ((provider != null ? 1 : 0) + (agentId != null ? 1 : 0) + (discover != null ? 1 : 0) != 1) {
      throw new IllegalArgumentException(
          "name the provider with exactly one of --provider URL, --agent-id N or --discover"
              + " FACILITATOR_URL");
    }
    byte[] body = null;
    String type = null;
    URI url;
    if (provider != null) {
      url = URI.create(provider.replaceAll("/+$", ""));
    } else if (agentId != null) {
      url = x402Endpoint(d, agentId);
    } else {
      List<URI> found =
          io.attest402.demo.agent.BazaarDiscovery.find(
              java.net.http.HttpClient.newHttpClient(), discover, d.network(), document != null);
      if (found.isEmpty()) {
        throw new IllegalArgumentException(
            "the bazaar of " + discover + " lists no resource paid with exact on " + d.network());
      }
      url = found.get(0);
    }
    if (document != null) {
      if (!Files.isRegularFile(document)) {
        throw new IllegalArgumentException("--document " + document + " is not a file");
      }
      body = Files.readAllBytes(document);
      type = contentType(document);
      if (provider != null) {
        url = URI.create(url + "/summarize");
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    io.attest402.verifier.VerificationPolicy policy = attestationPolicy(mode);
    SummaryAgent agent = new SummaryAgent(d, signer.credentialsOr(d, "agent"), Clock.systemUTC());
    if (!demandedFacilitators.isEmpty()) {
      if (payOnChain) {
        throw new IllegalArgumentException(
            "--demand-facilitator and --pay-onchain exclude each other: no facilitator settles an"
                + " on-chain payment");
      }
      // a bad URL is refused here, before anything is paid
      io.attest402.x402.facilitator.FailoverFacilitatorClient.withDemand(
          null, demandedFacilitators);
      agent = agent.demandingFacilitators(demandedFacilitators);
    }
    String chosenScheme = scheme.toLowerCase(Locale.ROOT);
    if (!chosenScheme.equals(SummaryAgent.EXACT) && !chosenScheme.equals(SummaryAgent.UPTO)) {
      throw new IllegalArgumentException("--scheme must be exact or upto, not '" + scheme + "'");
    }
    if (payOnChain && chosenScheme.equals(SummaryAgent.UPTO)) {
      throw new IllegalArgumentException(
          "--pay-onchain pays the price by a plain transfer: it has no upto (use --scheme exact)");
    }
    SummaryAgent.Request request =
        new SummaryAgent.Request(
            url,
            body,
            type,
            mode,
            maxAmount,
            trusted,
            policy,
            pccs,
            minPaidReviews,
            !noFeedback,
            chosenScheme);
    java.util.function.Consumer<SummaryAgent.Step> progress =
        step -> {
          if (!json) {
            out.printf("  %-16s %6d ms  %s%n", step.name(), step.millis(), step.detail());
          }
        };
    SummaryAgent.Result r =
        payOnChain ? agent.runOnChain(request, progress) : agent.run(request, progress);
    if (json) {
      out.println(toJson(r).toString());
    } else {
      print(out, r, d);
    }
    out.flush();
    return r.paid() || "not-required".equals(r.outcome()) ? 0 : 1;
  }

  /**
   * The attestation policy from {@code --policy}, {@code --simulation-root} and {@code
   * --allow-any-measurement}: with trust checks on, it must pin the facilitator's measurement (or
   * any measurement must be allowed explicitly), and {@code --allow-simulated-tee} must come with a
   * pinned simulation root.
   */
  io.attest402.verifier.VerificationPolicy attestationPolicy(SummaryAgent.Trust mode)
      throws java.io.IOException {
    io.attest402.verifier.VerificationPolicy p = policyOptions.policy();
    if (allowSimulated && p.simulationRoots().isEmpty()) {
      throw new IllegalArgumentException(
          "--allow-simulated-tee needs the simulation root pinned: pass "
              + "--simulation-root SHA256 (the facilitator's DATA_DIR/simulated-tee/simulation-root.sha256) or list it "
              + "in the --policy file's simulationRoots; a simulated TEE is never trusted by its name");
    }
    if (!allowSimulated && !p.simulationRoots().isEmpty()) {
      throw new IllegalArgumentException(
          "the policy pins a simulation root: say --allow-simulated-tee to accept a "
              + "SIMULATED TEE (dev only)");
    }
    if (mode == SummaryAgent.Trust.DEFAULT) {
      io.attest402.enclave.AttestationChecker.requirePinned(p);
    }
    return p;
  }

  /** The {@code x402} service endpoint of an agent's registration file. */
  public static URI x402Endpoint(Deployment d, BigInteger agentId) {
    Erc8004Client registry = Erc8004Client.connect(d);
    try {
      if (!registry.identity().exists(agentId)) {
        throw new IllegalArgumentException(
            "no agent "
                + agentId
                + " in the identity registry "
                + d.contracts().identityRegistry());
      }
      String uri = registry.identity().agentURI(agentId);
      RegistrationFile file =
          RegistrationFile.parse(
              UriResolver.builder().allowHttpLoopback(d.accounts() != null).build().resolve(uri));
      return file.service(RegistrationFile.Service.X402)
          .map(s -> URI.create(s.endpoint()))
          .orElseThrow(
              () ->
                  new IllegalArgumentException(
                      "agent " + agentId + " (" + uri + ") lists no x402 service"));
    } finally {
      registry.shutdown();
    }
  }

  static String contentType(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".md") || name.endsWith(".markdown")) {
      return "text/markdown";
    }
    if (name.endsWith(".html") || name.endsWith(".htm")) {
      return "text/html";
    }
    if (name.endsWith(".pdf")) {
      return "application/pdf";
    }
    return "text/plain";
  }

  private static void print(PrintWriter out, SummaryAgent.Result r, Deployment d) {
    if (r.trust() != null) {
      out.println("trust checks:");
      for (TrustCheck c : r.trust().checks()) {
        out.printf("  %-7s %-24s %s%n", c.status(), c.name(), c.detail());
      }
    }
    switch (r.outcome()) {
      case "refused" -> out.println("NOT PAID: " + String.join("; ", r.refusalReasons()));
      case "failed" -> out.println("PAYMENT FAILED: " + String.join("; ", r.refusalReasons()));
      case "not-required" -> out.println("no payment was required (HTTP " + r.httpStatus() + ")");
      default -> {
        out.printf(
            "paid %s USDC from %s to %s, settlement tx %s%n",
            new BigDecimal(r.amount(), d.usdc().decimals()).toPlainString(),
            r.payer(),
            r.payTo(),
            r.transaction());
        if (r.maxAmount() != null) {
          out.printf(
              "upto: signed for at most %s USDC, charged %s USDC%s%n",
              new BigDecimal(r.maxAmount(), d.usdc().decimals()).toPlainString(),
              new BigDecimal(r.amount(), d.usdc().decimals()).toPlainString(),
              r.body() != null && r.body().has("work")
                  ? " for " + workText(r.body().get("work"))
                  : "");
        }
        out.println(
            (r.receipt() == null
                        && r.receiptCheck() != null
                        && r.receiptCheck().contains("credential")
                    ? "credential: "
                    : "receipt: ")
                + r.receiptCheck());
        if (r.body() != null && r.body().has("summary")) {
          out.println("summary:");
          out.println("  " + r.body().get("summary").asText());
        } else if (r.body() != null) {
          out.println("response: " + r.body());
        }
        if (r.feedback() != null) {
          out.printf(
              "feedback #%d posted; provider's payment-backed reputation %s over %d paid review(s)%n",
              r.feedback().index(),
              r.reputation().summary().average(),
              r.reputation().paymentBackedCount());
        }
      }
    }
  }

  private static String workText(com.fasterxml.jackson.databind.JsonNode w) {
    String unit = w.path("unit").asText();
    return w.path("used").isNumber()
        ? w.path("used").asText() + " " + unit + " of at most " + w.path("maximum").asText()
        : "unreported work (the maximum " + w.path("maximum").asText() + " " + unit + ")";
  }

  static ObjectNode toJson(SummaryAgent.Result r) {
    ObjectNode o =
        JSON.createObjectNode().put("outcome", r.outcome()).put("httpStatus", r.httpStatus());
    if (r.trust() != null) {
      o.set("trust", r.trust().toJsonNode());
    }
    r.refusalReasons().forEach(o.putArray("reasons")::add);
    o.put("scheme", r.scheme());
    if (r.amount() != null) {
      o.put("amount", r.amount().toString());
    }
    if (r.maxAmount() != null) {
      o.put("maxAmount", r.maxAmount().toString());
    }
    o.put("payer", r.payer()).put("payTo", r.payTo()).put("transaction", r.transaction());
    if (r.body() != null) {
      o.set("response", r.body());
    }
    if (r.receiptCheck() != null) {
      o.put("receiptCheck", r.receiptCheck())
          .put("receiptValid", r.receiptCheck().startsWith("valid"));
    }
    if (r.receipt() != null) {
      o.put("receiptSeq", r.receipt().seq()).put("receiptSigner", r.receipt().signer());
      o.put("receiptAmount", r.receipt().amount().toString());
      if (r.receipt().maxAmount() != null) {
        o.put("receiptMaxAmount", r.receipt().maxAmount().toString());
      }
    }
    if (r.feedback() != null) {
      o.putObject("feedback")
          .put("index", r.feedback().index())
          .put("value", r.feedback().value().toString());
      o.putObject("reputation")
          .put("paymentBackedCount", r.reputation().paymentBackedCount())
          .put("average", r.reputation().summary().average().toPlainString());
    }
    var steps = o.putArray("steps");
    r.steps()
        .forEach(
            s ->
                steps
                    .addObject()
                    .put("name", s.name())
                    .put("millis", s.millis())
                    .put("detail", s.detail()));
    return o;
  }
}
