package io.attest402.demo.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.contracts.chain.Deployment;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.ReputationRegistryClient;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.reputation.PaymentBackedSummary;
import io.attest402.erc8004.reputation.PaymentProofVerifier;
import io.attest402.erc8004.reputation.ReputationService;
import io.attest402.erc8004.trust.TrustDecision;
import io.attest402.erc8004.trust.TrustPolicy;
import io.attest402.erc8004.trust.TrustRequirements;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.receipt.Receipt;
import io.attest402.x402.receipt.ReceiptException;
import io.attest402.x402.receipt.ReceiptVerifier;
import io.attest402.x402.types.SettleResponse;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * An agent that buys one summary: it checks trust before it pays (provider identity, payTo =
 * agentWallet, payment-backed reputation, the facilitator's live attestation and key binding, its
 * TEE validation), pays through x402, checks the facilitator's signed receipt against the attested
 * key, and leaves ERC-8004 feedback carrying the proof of payment. With {@code trust = NONE} it is
 * a plain x402 client that pays any resource its spend policy allows.
 */
public final class SummaryAgent {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the facilitator's signed receipt travels in the settlement's {@code extensions}. */
  public static final String RECEIPT_EXTENSION = "attest402-receipt";

  /** How much trust to demand before paying. */
  public enum Trust {
    DEFAULT,
    NONE
  }

  /**
   * One paid request.
   *
   * @param url the resource (for the summary provider: {@code <provider>/summarize})
   * @param document the body to POST, or null for a GET
   * @param contentType the body's media type
   * @param maxPerRequest the most this agent pays for it, in base units
   * @param trustedValidators validators whose {@code tee-attestation} validation of the facilitator
   *     is required
   * @param attestationPolicy what the facilitator's attestation must satisfy: it must pin the
   *     measurement (or say allowAnyMeasurement); a simulated TEE passes only through a pinned
   *     simulation root
   * @param pccs PCS/PCCS to fetch the quote's collateral from; null = verify the collateral the
   *     facilitator serves
   * @param giveFeedback post feedback with proof of payment after a paid request
   * @param scheme the offer to pay: {@code exact} (the price) or {@code upto} (authorize at most
   *     the offer's maximum, which {@code maxPerRequest} caps, and be charged what the work took);
   *     an upto offer must be bound to a signer the checked facilitator's attestation binds
   */
  public record Request(
      URI url,
      byte[] document,
      String contentType,
      Trust trust,
      BigInteger maxPerRequest,
      Set<String> trustedValidators,
      VerificationPolicy attestationPolicy,
      URI pccs,
      long minPaymentBackedCount,
      boolean giveFeedback,
      String scheme) {
    public Request {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(attestationPolicy, "attestationPolicy");
      Objects.requireNonNull(trust, "trust");
      Objects.requireNonNull(maxPerRequest, "maxPerRequest");
      trustedValidators = Set.copyOf(trustedValidators);
      if (scheme == null) {
        scheme = EXACT;
      }
      if (!EXACT.equals(scheme) && !UPTO.equals(scheme)) {
        throw new IllegalArgumentException("scheme must be exact or upto, not '" + scheme + "'");
      }
    }

    /** Paying the {@code exact} offer. */
    public Request(
        URI url,
        byte[] document,
        String contentType,
        Trust trust,
        BigInteger maxPerRequest,
        Set<String> trustedValidators,
        VerificationPolicy attestationPolicy,
        URI pccs,
        long minPaymentBackedCount,
        boolean giveFeedback) {
      this(
          url,
          document,
          contentType,
          trust,
          maxPerRequest,
          trustedValidators,
          attestationPolicy,
          pccs,
          minPaymentBackedCount,
          giveFeedback,
          EXACT);
    }

    /** This request paying the offer of {@code s}. */
    public Request withScheme(String s) {
      return new Request(
          url,
          document,
          contentType,
          trust,
          maxPerRequest,
          trustedValidators,
          attestationPolicy,
          pccs,
          minPaymentBackedCount,
          giveFeedback,
          s);
    }
  }

  public static final String EXACT = "exact";
  public static final String UPTO = "upto";

  /** A step of the run, as it happens: what, how long, and the detail a person wants to read. */
  public record Step(String name, long millis, String detail) {}

  /**
   * What happened. {@code outcome}: paid, refused, not-required or failed. {@code amount} is what
   * was paid: the price ({@code exact}), or what the provider charged ({@code upto}: {@code
   * PAYMENT-RESPONSE}'s amount); {@code maxAmount} the most the payer signed for ({@code upto}),
   * null for exact.
   */
  public record Result(
      String outcome,
      List<Step> steps,
      TrustDecision trust,
      List<String> refusalReasons,
      int httpStatus,
      JsonNode body,
      BigInteger amount,
      String payer,
      String payTo,
      String transaction,
      Receipt receipt,
      String receiptCheck,
      FeedbackEvent feedback,
      PaymentBackedSummary reputation,
      String scheme,
      BigInteger maxAmount) {
    /** A result of an {@code exact} payment (or none). */
    public Result(
        String outcome,
        List<Step> steps,
        TrustDecision trust,
        List<String> refusalReasons,
        int httpStatus,
        JsonNode body,
        BigInteger amount,
        String payer,
        String payTo,
        String transaction,
        Receipt receipt,
        String receiptCheck,
        FeedbackEvent feedback,
        PaymentBackedSummary reputation) {
      this(
          outcome,
          steps,
          trust,
          refusalReasons,
          httpStatus,
          body,
          amount,
          payer,
          payTo,
          transaction,
          receipt,
          receiptCheck,
          feedback,
          reputation,
          EXACT,
          null);
    }

    public boolean paid() {
      return "paid".equals(outcome);
    }
  }

  private final Deployment deployment;
  private final Credentials payer;
  private final Clock clock;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final VerificationPolicy attestationPolicy;
  private final List<String> demandedFacilitators;

  public SummaryAgent(Deployment deployment, Credentials payer, Clock clock) {
    this(deployment, payer, clock, null, List.of());
  }

  private SummaryAgent(
      Deployment deployment,
      Credentials payer,
      Clock clock,
      VerificationPolicy attestationPolicy,
      List<String> demandedFacilitators) {
    this.deployment = Objects.requireNonNull(deployment);
    this.payer = Objects.requireNonNull(payer);
    this.clock = Objects.requireNonNull(clock);
    this.attestationPolicy = attestationPolicy;
    this.demandedFacilitators = List.copyOf(demandedFacilitators);
  }

  /**
   * This agent checking the facilitator's attestation with {@code policy} (e.g. a pinned
   * MRENCLAVE).
   */
  public SummaryAgent withAttestationPolicy(VerificationPolicy policy) {
    return new SummaryAgent(
        deployment, payer, clock, Objects.requireNonNull(policy), demandedFacilitators);
  }

  /**
   * This agent demanding that its payments settle only through the facilitators at {@code urls}
   * (the {@code facilitator-demand} payment extension): it trust-checks the first of them that the
   * 402 lists, and a provider that has none of them refuses ({@code
   * demanded_facilitator_not_available}) without settling.
   */
  public SummaryAgent demandingFacilitators(List<String> urls) {
    return new SummaryAgent(deployment, payer, clock, attestationPolicy, urls);
  }

  /** {@link #withAttestationPolicy}'s policy when one was given, else the request's. */
  private VerificationPolicy attestationPolicy(Request req) {
    return attestationPolicy != null ? attestationPolicy : req.attestationPolicy();
  }

  /** The reputation reader and the ERC-8004 trust hook both payment paths check a provider with. */
  private record TrustParts(ReputationService reputation, Erc8004TrustHook erc8004) {}

  private TrustParts trustParts(Erc8004Client registry, Request req) {
    UriResolver resolver = UriResolver.builder().allowHttpLoopback(isDevChain()).build();
    PaymentProofVerifier proofs =
        new PaymentProofVerifier(registry.rpc(), deployment.contracts().usdc());
    ReputationService reputation = new ReputationService(registry, resolver, proofs, 0);
    TrustRequirements.Builder requirements =
        TrustRequirements.builder()
            .attestationPolicy(req.trust() == Trust.NONE ? null : attestationPolicy(req))
            .pccs(req.pccs())
            .minPaymentBackedCount(req.minPaymentBackedCount());
    req.trustedValidators().forEach(requirements::trustValidator);
    return new TrustParts(
        reputation,
        new Erc8004TrustHook(
            new TrustPolicy(registry, resolver, reputation, null, requirements.build(), clock),
            demandedFacilitators));
  }

  public Result run(Request req, Consumer<Step> progress) throws IOException, InterruptedException {
    List<Step> steps = new ArrayList<>();
    Consumer<Step> record =
        s -> {
          steps.add(s);
          progress.accept(s);
        };
    Erc8004Client registry = Erc8004Client.connect(deployment);
    try {
      TrustParts trust = trustParts(registry, req);
      ReputationService reputation = trust.reputation();
      Erc8004TrustHook erc8004 = trust.erc8004();
      TrustHook hook =
          req.trust() == Trust.NONE ? TrustHook.allowAll() : timed("trust check", record, erc8004);
      PayingHttpClient client =
          new PayingHttpClient(
              http,
              new Eip3009Signer(payer, clock),
              // the cap holds against what is signed: the price, or upto's maximum
              SpendPolicy.builder()
                  .allowSchemes(req.scheme())
                  .maxPerRequest(req.maxPerRequest())
                  .build(),
              hook);
      // a Permit2 offer declaring eip2612GasSponsoring: the permit's token nonce is read here
      client = client.withChain(new io.attest402.x402.evm.Web3jChainAccess(registry.web3j()));
      if (!demandedFacilitators.isEmpty()) {
        client = client.demandingFacilitators(demandedFacilitators);
      }

      HttpRequest.Builder httpReq =
          HttpRequest.newBuilder(req.url()).timeout(Duration.ofSeconds(120));
      if (req.document() != null) {
        httpReq
            .header("Content-Type", req.contentType() == null ? "text/plain" : req.contentType())
            .POST(HttpRequest.BodyPublishers.ofByteArray(req.document()));
      }
      long t0 = System.nanoTime();
      PaymentResult<byte[]> result =
          client.send(httpReq.build(), HttpResponse.BodyHandlers.ofByteArray());
      long payMillis = (System.nanoTime() - t0) / 1_000_000;
      TrustDecision decision = erc8004.lastDecision();

      if (result instanceof PaymentResult.Refused<byte[]> refused) {
        record.accept(
            new Step(
                "not paid", payMillis, refused.refusal().code() + ": nothing was signed or sent"));
        return new Result(
            "refused",
            steps,
            decision,
            refused.refusal().reasons(),
            refused.status(),
            null,
            null,
            payer.getAddress(),
            null,
            null,
            null,
            null,
            null,
            null);
      }
      if (result instanceof PaymentResult.NotRequired<byte[]> free) {
        record.accept(
            new Step("no payment asked", payMillis, "HTTP " + free.httpResponse().statusCode()));
        return new Result(
            "not-required",
            steps,
            decision,
            List.of(),
            free.httpResponse().statusCode(),
            json(free.httpResponse().body()),
            BigInteger.ZERO,
            payer.getAddress(),
            null,
            null,
            null,
            null,
            null,
            null);
      }
      if (result instanceof PaymentResult.Failed<byte[]> failed) {
        record.accept(new Step("payment failed", payMillis, failed.reason()));
        return new Result(
            "failed",
            steps,
            decision,
            List.of(failed.reason()),
            failed.httpResponse().statusCode(),
            json(failed.httpResponse().body()),
            failed.requirements().amount(),
            payer.getAddress(),
            failed.requirements().payTo(),
            failed.settlement() == null ? null : failed.settlement().transaction(),
            null,
            null,
            null,
            null,
            failed.requirements().scheme(),
            upto(failed.requirements()) ? failed.requirements().amount() : null);
      }
      PaymentResult.Paid<byte[]> paid = (PaymentResult.Paid<byte[]>) result;
      SettleResponse settlement = paid.settlement();
      boolean upto = upto(paid.requirements());
      BigInteger charged = charged(paid);
      record.accept(
          new Step(
              "paid and served",
              payMillis,
              charged
                  + " base units to "
                  + paid.requirements().payTo()
                  + (upto
                      ? " (upto: charged "
                          + charged
                          + " of at most "
                          + paid.requirements().amount()
                          + " signed)"
                      : "")
                  + ", tx "
                  + settlement.transaction()));

      // The receipt must be signed by the key the facilitator's attestation binds.
      String facilitatorUrl = facilitatorUrl(paid);
      Receipt receipt = null;
      String receiptCheck;
      long t1 = System.nanoTime();
      String jws = receiptJws(settlement);
      if (jws == null) {
        receiptCheck = "no receipt in PAYMENT-RESPONSE";
      } else if (facilitatorUrl == null) {
        receiptCheck = "receipt present, but the 402 named no facilitator to attest its key";
      } else {
        // The provider may have failed over: the receipt is then signed by another facilitator it
        // lists (one this agent demanded, if it demanded any); each is checked as the named one.
        receiptCheck = null;
        String firstProblem = null;
        for (String candidate : receiptSigners(paid, facilitatorUrl)) {
          try {
            AttestationChecker.Result att = attest(candidate, req);
            if (!att.ok()) {
              firstProblem =
                  firstProblem != null
                      ? firstProblem
                      : "facilitator attestation rejected: " + String.join("; ", att.reasons());
              continue;
            }
            receipt = ReceiptVerifier.verify(jws, att.address());
            receiptCheck =
                receiptMatches(receipt, paid, settlement)
                    + (candidate.equals(facilitatorUrl)
                        ? ""
                        : " (failed over: signed by " + candidate + ")");
            break;
          } catch (ReceiptException e) {
            firstProblem =
                firstProblem != null ? firstProblem : "INVALID receipt: " + e.getMessage();
          } catch (IOException e) {
            firstProblem = firstProblem != null ? firstProblem : candidate + ": " + e.getMessage();
          }
        }
        if (receiptCheck == null) {
          receiptCheck = firstProblem;
        }
      }
      record.accept(new Step("receipt check", (System.nanoTime() - t1) / 1_000_000, receiptCheck));

      FeedbackEvent feedback = null;
      PaymentBackedSummary rep = null;
      BigInteger providerAgentId = decision == null ? null : decision.providerAgentId();
      if (req.giveFeedback() && providerAgentId != null) {
        long t2 = System.nanoTime();
        boolean good = receiptCheck.startsWith("valid");
        feedback =
            giveFeedback(
                registry, providerAgentId, req.url().toString(), paid, settlement, good ? 100 : 20);
        rep = reputation.paymentBacked(providerAgentId);
        record.accept(
            new Step(
                "feedback",
                (System.nanoTime() - t2) / 1_000_000,
                "value "
                    + feedback.value()
                    + " as feedback #"
                    + feedback.index()
                    + " with proof of payment; payment-backed reputation now "
                    + rep.summary().average()
                    + " over "
                    + rep.paymentBackedCount()
                    + " paid review(s)"));
      }
      return new Result(
          "paid",
          steps,
          decision,
          List.of(),
          paid.httpResponse().statusCode(),
          json(paid.httpResponse().body()),
          charged,
          payer.getAddress(),
          paid.requirements().payTo(),
          settlement.transaction(),
          receipt,
          receiptCheck,
          feedback,
          rep,
          paid.requirements().scheme(),
          upto ? paid.requirements().amount() : null);
    } finally {
      registry.shutdown();
    }
  }

  /**
   * The payer-settled path ({@code agent --pay-onchain}): trust checked as in {@link #run}, then a
   * plain ERC-20 {@code transfer} from this agent's own account, a credential claimed at the
   * facilitator the 402 names ({@link OnChainPayer}), and the request again with {@code
   * Authorization: Bearer}. No facilitator settles anything, so none can refuse to.
   */
  public Result runOnChain(Request req, Consumer<Step> progress)
      throws IOException, InterruptedException {
    List<Step> steps = new ArrayList<>();
    Consumer<Step> record =
        s -> {
          steps.add(s);
          progress.accept(s);
        };
    Erc8004Client registry = Erc8004Client.connect(deployment);
    try {
      Erc8004TrustHook erc8004 = trustParts(registry, req).erc8004();
      TrustHook hook =
          req.trust() == Trust.NONE ? TrustHook.allowAll() : timed("trust check", record, erc8004);
      OnChainPayer.Outcome o =
          new OnChainPayer(deployment, payer, http, clock)
              .pay(
                  req.url(),
                  req.document(),
                  req.contentType(),
                  req.maxPerRequest(),
                  hook,
                  facilitatorUrl -> {
                    if (req.trust() == Trust.NONE) {
                      return null;
                    }
                    AttestationChecker.Result att = attest(facilitatorUrl, req);
                    if (!att.ok()) {
                      throw new IOException(
                          "facilitator attestation rejected: " + String.join("; ", att.reasons()));
                    }
                    return att.publicKey();
                  },
                  record);
      return new Result(
          o.outcome(),
          steps,
          erc8004.lastDecision(),
          o.problems(),
          o.httpStatus(),
          json(o.body()),
          o.amount(),
          payer.getAddress(),
          o.payTo(),
          o.transaction(),
          null,
          o.credentialCheck(),
          null,
          null);
    } finally {
      registry.shutdown();
    }
  }

  private static TrustHook timed(String name, Consumer<Step> record, Erc8004TrustHook hook) {
    return request -> {
      long t = System.nanoTime();
      TrustHook.Decision d = hook.evaluate(request);
      TrustDecision full = hook.lastDecision();
      String detail =
          full == null
              ? (d.allowed() ? "trusted" : "NOT trusted")
              : d.allowed()
                  ? "trusted: " + full.checks().size() + " checks passed"
                  : "NOT trusted: "
                      + full.failures().size()
                      + " of "
                      + full.checks().size()
                      + " checks failed ("
                      + String.join(", ", full.failures().stream().map(c -> c.name()).toList())
                      + ")";
      record.accept(new Step(name, (System.nanoTime() - t) / 1_000_000, detail));
      return d;
    };
  }

  private boolean isDevChain() {
    return deployment.accounts() != null;
  }

  private AttestationChecker.Result attest(String facilitatorUrl, Request req)
      throws IOException, InterruptedException {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        facilitatorUrl + "/attestation?nonce=" + HexFormat.of().formatHex(nonce)))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("facilitator /attestation answered HTTP " + r.statusCode());
    }
    return AttestationChecker.checkWithPccs(
        AttestationDocument.fromJson(r.body()),
        req.pccs(),
        clock,
        clock.instant(),
        attestationPolicy(req),
        nonce);
  }

  private static boolean upto(io.attest402.x402.types.PaymentRequirements r) {
    return UPTO.equals(r.scheme());
  }

  /**
   * What the payment cost: the price of an exact offer; for upto what {@code PAYMENT-RESPONSE} says
   * was charged (the client already refused a charge above the signed maximum), the maximum when it
   * does not say.
   */
  private static BigInteger charged(PaymentResult.Paid<byte[]> paid) {
    BigInteger amount = paid.settlement().amount();
    return upto(paid.requirements()) && amount != null ? amount : paid.requirements().amount();
  }

  /**
   * The payer the signed payload names (EIP-3009 {@code authorization}, Permit2 {@code
   * permit2Authorization}).
   */
  private static String signedPayer(PaymentResult.Paid<byte[]> paid) {
    JsonNode p = paid.payment().payload();
    JsonNode from = p.path("authorization").path("from");
    return from.isTextual() ? from.asText() : p.path("permit2Authorization").path("from").asText();
  }

  private static String receiptMatches(
      Receipt r, PaymentResult.Paid<byte[]> paid, SettleResponse s) {
    List<String> problems = new ArrayList<>();
    if (r.txHash() == null || !r.txHash().equalsIgnoreCase(s.transaction())) {
      problems.add("tx " + r.txHash() + " is not the settlement's " + s.transaction());
    }
    if (r.payer() == null || !r.payer().equalsIgnoreCase(signedPayer(paid))) {
      problems.add("payer " + r.payer() + " is not ours");
    }
    BigInteger charged = charged(paid);
    if (r.amount() == null || r.amount().compareTo(charged) != 0) {
      problems.add(
          "amount "
              + r.amount()
              + " is not the "
              + (upto(paid.requirements()) ? "amount charged " : "price paid ")
              + charged);
    }
    if (upto(paid.requirements())
        && (r.maxAmount() == null || r.maxAmount().compareTo(paid.requirements().amount()) != 0)) {
      problems.add(
          "maxAmount "
              + r.maxAmount()
              + " is not the maximum signed "
              + paid.requirements().amount());
    }
    return problems.isEmpty()
        ? "valid: receipt #"
            + r.seq()
            + " signed by the attested facilitator key "
            + r.signer()
            + (upto(paid.requirements())
                ? ", amount " + r.amount() + " of maxAmount " + r.maxAmount()
                : ", amount " + r.amount())
        : "receipt signature valid but " + String.join("; ", problems);
  }

  private FeedbackEvent giveFeedback(
      Erc8004Client registry,
      BigInteger agentId,
      String endpoint,
      PaymentResult.Paid<byte[]> paid,
      SettleResponse settlement,
      int value) {
    String agentRegistry = deployment.network() + ":" + deployment.contracts().identityRegistry();
    FeedbackFile file =
        new FeedbackFile(
            agentRegistry,
            agentId,
            deployment.network() + ":" + payer.getAddress(),
            clock.instant().toString(),
            BigInteger.valueOf(value),
            0,
            "summary",
            "x402",
            endpoint,
            new FeedbackFile.ProofOfPayment(
                payer.getAddress(),
                paid.requirements().payTo(),
                Long.toString(deployment.chainId()),
                settlement.transaction()),
            null);
    ReputationRegistryClient reputation = registry.withSigner(payer).reputation();
    return reputation.giveFeedback(
        new ReputationRegistryClient.NewFeedback(
            agentId,
            BigInteger.valueOf(value),
            0,
            "summary",
            "x402",
            endpoint,
            file.toDataUri(),
            Numeric.hexStringToByteArray(file.hashHex())));
  }

  /**
   * The facilitator this agent checked: the first demanded one the 402 lists, else the one it names
   * (as the payment echoes the 402's extensions).
   */
  private String facilitatorUrl(PaymentResult.Paid<byte[]> paid) {
    JsonNode ext = paid.payment().extensions();
    JsonNode f =
        ext == null
            ? null
            : Erc8004TrustHook.checkedFacilitator(
                ext.path(Erc8004TrustHook.EXTENSION).path("info"), demandedFacilitators);
    JsonNode url = f == null ? null : f.path("url");
    return url != null && url.isTextual() ? url.asText().replaceAll("/+$", "") : null;
  }

  /**
   * Who may have signed the receipt: the checked facilitator first, then the others the 402 lists
   * (only demanded ones when this agent demands).
   */
  private List<String> receiptSigners(PaymentResult.Paid<byte[]> paid, String checked) {
    java.util.LinkedHashSet<String> out = new java.util.LinkedHashSet<>();
    out.add(checked);
    JsonNode ext = paid.payment().extensions();
    if (ext != null) {
      for (JsonNode f : ext.path(Erc8004TrustHook.EXTENSION).path("info").path("facilitators")) {
        if (!f.path("url").isTextual()) {
          continue;
        }
        String u = f.path("url").asText().replaceAll("/+$", "");
        if (demandedFacilitators.isEmpty()
            || demandedFacilitators.stream()
                .anyMatch(d -> Erc8004TrustHook.norm(d).equals(Erc8004TrustHook.norm(u)))) {
          out.add(u);
        }
      }
    }
    return List.copyOf(out);
  }

  static String receiptJws(SettleResponse s) {
    JsonNode ext = s.other().get("extensions");
    if (ext == null) {
      return null;
    }
    JsonNode r = ext.path(RECEIPT_EXTENSION);
    if (r.isTextual()) {
      return r.asText();
    }
    JsonNode jws = r.path("jws");
    return jws.isTextual() ? jws.asText() : null;
  }

  private static JsonNode json(byte[] body) {
    try {
      return body == null || body.length == 0 ? null : JSON.readTree(body);
    } catch (IOException e) {
      return JSON.getNodeFactory()
          .textNode(new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }
  }
}
