package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.FeedbackSummary;
import io.attest402.erc8004.ReputationRegistryClient.NewFeedback;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.reputation.FeedbackReport;
import io.attest402.erc8004.reputation.PaymentBackedSummary;
import io.attest402.erc8004.reputation.ProofCheck;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.service.TxSignServiceImpl;
import org.web3j.utils.Numeric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry feedback give|list|summary}. */
@Command(
    name = "feedback",
    mixinStandardHelpOptions = true,
    description = "Give and read feedback.",
    subcommands = {
      FeedbackCommand.Give.class,
      FeedbackCommand.ListFeedback.class,
      FeedbackCommand.Summary.class
    })
public final class FeedbackCommand extends GroupCommand {
  /**
   * Posts feedback with a feedback file (data: URI, keccak256 feedbackHash) carrying
   * proofOfPayment.
   */
  @Command(
      name = "give",
      mixinStandardHelpOptions = true,
      description =
          "Give feedback. With --payment-tx (or --pay, which makes the payment first) the feedback file "
              + "carries proofOfPayment, which is checked on chain before posting.")
  public static final class Give implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "AGENT_ID")
    BigInteger agentId;

    @Option(
        names = "--value",
        required = true,
        description = "The rating, e.g. 90 or 99.77 (decimals inferred).")
    BigDecimal value;

    @Option(
        names = "--tag1",
        defaultValue = "starred",
        description = "tag1 (default: ${DEFAULT-VALUE}).")
    String tag1;

    @Option(names = "--tag2", defaultValue = "", description = "tag2.")
    String tag2;

    @Option(
        names = "--endpoint",
        defaultValue = "",
        description = "The endpoint the feedback is about.")
    String endpoint;

    @Option(
        names = "--payment-tx",
        paramLabel = "HASH",
        description = "The transaction that paid the agent.")
    String paymentTx;

    @Option(
        names = "--pay",
        paramLabel = "AMOUNT",
        description =
            "First pay AMOUNT base units of the deployment's "
                + "USDC to the agent's wallet (a plain transfer) and use that as the proof.")
    BigInteger pay;

    @Option(
        names = "--force",
        description = "Post even when the proof of payment does not check out.")
    boolean force;

    @Override
    public Integer call() {
      try {
        Credentials me = common.credentials();
        Erc8004Client c = common.client().withSigner(me);
        BigDecimal v = value.stripTrailingZeros();
        int decimals = Math.max(0, v.scale());
        BigInteger raw = v.movePointRight(decimals).toBigIntegerExact();
        String wallet = c.identity().agentWallet(agentId).orElse(null);
        String tx = paymentTx;
        if (pay != null) {
          if (wallet == null) {
            throw new IllegalStateException("agent " + agentId + " has no agentWallet to pay");
          }
          tx =
              c.rpc()
                  .send(
                      new TxSignServiceImpl(me),
                      common.deployment().contracts().usdc(),
                      new Function(
                          "transfer", List.of(new Address(wallet), new Uint256(pay)), List.of()))
                  .getTransactionHash();
          common.err().println("paid " + pay + " USDC base units to " + wallet + " in " + tx);
        }
        FeedbackFile.ProofOfPayment proof =
            tx == null
                ? null
                : new FeedbackFile.ProofOfPayment(
                    me.getAddress(), wallet, Long.toString(c.addresses().chainId()), tx);
        ProofCheck check = null;
        if (proof != null) {
          check = common.proofs().check(proof, me.getAddress(), wallet);
          if (!check.valid() && !force) {
            throw new IllegalStateException(
                "proof of payment does not check out: "
                    + check.reason()
                    + " (--force posts anyway)");
          }
        }
        FeedbackFile file =
            new FeedbackFile(
                c.addresses().agentRegistry(),
                agentId,
                c.addresses().network() + ":" + me.getAddress(),
                Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).toString(),
                raw,
                decimals,
                tag1,
                tag2,
                endpoint,
                proof,
                null);
        FeedbackEvent e =
            c.reputation()
                .giveFeedback(
                    new NewFeedback(
                        agentId,
                        raw,
                        decimals,
                        tag1,
                        tag2,
                        endpoint,
                        file.toDataUri(),
                        Numeric.hexStringToByteArray(file.hashHex())));
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("agentId", agentId);
        o.put("client", e.client());
        o.put("feedbackIndex", e.index());
        o.put("value", v.toPlainString());
        o.put("txHash", e.txHash());
        o.put("paymentBacked", check != null && check.valid());
        if (check != null) {
          o.put("proof", check.reason());
        }
        o.set("feedbackFile", file.toJsonNode());
        ProofCheck pc = check;
        common.emit(
            o,
            () -> {
              common
                  .out()
                  .println(
                      "feedback #"
                          + e.index()
                          + " from "
                          + e.client()
                          + " to agent "
                          + agentId
                          + ": "
                          + v.toPlainString()
                          + " ("
                          + tag1
                          + (tag2.isEmpty() ? "" : "/" + tag2)
                          + ")");
              common
                  .out()
                  .println(
                      "  payment-backed  "
                          + (pc == null
                              ? "no (no proof of payment)"
                              : pc.valid() ? "yes: " + pc.reason() : "no: " + pc.reason()));
              common.out().println("  tx              " + e.txHash());
            });
        return 0;
      } finally {
        common.close();
      }
    }
  }

  /** Lists every feedback with its payment-backed status. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "List an agent's feedback, each reported payment-backed or not, with the reason.")
  public static final class ListFeedback implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "AGENT_ID")
    BigInteger agentId;

    @Override
    public Integer call() {
      try {
        PaymentBackedSummary s = common.reputation().paymentBacked(agentId);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("agentId", agentId);
        o.put("count", s.totalFeedback());
        o.put("paymentBacked", s.paymentBackedCount());
        ArrayNode a = o.putArray("feedback");
        for (FeedbackReport r : s.reports()) {
          a.addObject()
              .put("client", r.event().client())
              .put("feedbackIndex", r.event().index())
              .put(
                  "value",
                  new BigDecimal(r.event().value(), r.event().valueDecimals()).toPlainString())
              .put("tag1", r.event().tag1())
              .put("tag2", r.event().tag2())
              .put("revoked", r.revoked())
              .put("paymentBacked", r.paymentBacked())
              .put("reason", r.reason())
              .put("txHash", r.event().txHash());
        }
        common.emit(
            o,
            () -> {
              common
                  .out()
                  .println(
                      s.totalFeedback()
                          + " feedback for agent "
                          + agentId
                          + ", "
                          + s.paymentBackedCount()
                          + " payment-backed");
              for (FeedbackReport r : s.reports()) {
                common
                    .out()
                    .printf(
                        "  %s #%d %s %s%s: %s%n",
                        r.event().client(),
                        r.event().index(),
                        new BigDecimal(r.event().value(), r.event().valueDecimals())
                            .toPlainString(),
                        r.paymentBacked() ? "PAID" : "unbacked",
                        r.revoked() ? " (revoked)" : "",
                        r.reason());
              }
            });
        return 0;
      } finally {
        common.close();
      }
    }
  }

  /** Payment-backed summary, and the registry's summary over trusted reviewers when given. */
  @Command(
      name = "summary",
      mixinStandardHelpOptions = true,
      description =
          "Reputation that resists Sybils: the payment-backed average, and with --reviewer the registry's "
              + "summary over reviewers you trust.")
  public static final class Summary implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "AGENT_ID")
    BigInteger agentId;

    @Option(
        names = "--reviewer",
        paramLabel = "ADDRESS|ROLE",
        description = "A reviewer you trust (repeatable).")
    List<String> reviewers = new ArrayList<>();

    @Option(names = "--tag1", defaultValue = "", description = "Only feedback with this tag1.")
    String tag1;

    @Option(names = "--tag2", defaultValue = "", description = "Only feedback with this tag2.")
    String tag2;

    @Override
    public Integer call() {
      try {
        PaymentBackedSummary s = common.reputation().paymentBacked(agentId, tag1, tag2, null);
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("agentId", agentId);
        ObjectNode pb = o.putObject("paymentBacked");
        pb.put("count", s.summary().count());
        pb.put("average", s.summary().average().toPlainString());
        pb.put("value", s.summary().value());
        pb.put("valueDecimals", s.summary().valueDecimals());
        pb.put("totalFeedback", s.totalFeedback());
        FeedbackSummary trusted = null;
        if (!reviewers.isEmpty()) {
          List<String> addrs =
              reviewers.stream().map(r -> common.address(r, "--reviewer")).toList();
          trusted = common.reputation().trustedSummary(agentId, addrs, tag1, tag2);
          ObjectNode t = o.putObject("trustedReviewers");
          t.put("count", trusted.count());
          t.put("average", trusted.average().toPlainString());
          ArrayNode ra = t.putArray("reviewers");
          addrs.forEach(ra::add);
        }
        FeedbackSummary tr = trusted;
        common.emit(
            o,
            () -> {
              common
                  .out()
                  .println(
                      "agent "
                          + agentId
                          + " payment-backed: "
                          + s.summary().count()
                          + " feedback, average "
                          + s.summary().average().toPlainString()
                          + " ("
                          + s.totalFeedback()
                          + " feedback in all)");
              if (tr != null) {
                common
                    .out()
                    .println(
                        "agent "
                            + agentId
                            + " trusted reviewers: "
                            + tr.count()
                            + " feedback, average "
                            + tr.average().toPlainString());
              }
            });
        return 0;
      } finally {
        common.close();
      }
    }
  }
}
