package io.attest402.demo.stack;

import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.demo.agent.SummaryAgent;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.erc8004.validator.ValidationOutcome;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/**
 * The demo's script: the whole stack comes up, an agent pays for a summary after checking trust and
 * leaves feedback, then refuses an untrustworthy provider without paying. Each step is printed with
 * what happened and how long it took.
 */
public final class DemoRun {
  /** What the run established, for the exit code and for tests. */
  public record Outcome(
      SummaryAgent.Result paid,
      SummaryAgent.Result refused,
      BigInteger refusedBalanceBefore,
      BigInteger refusedBalanceAfter,
      BigInteger providerAgentId,
      BigInteger facilitatorAgentId,
      Failover failover) {
    public boolean ok() {
      return paid.paid()
          && paid.feedback() != null
          && paid.receiptCheck() != null
          && paid.receiptCheck().startsWith("valid")
          && "refused".equals(refused.outcome())
          && refusedBalanceBefore.equals(refusedBalanceAfter)
          && failover.ok();
    }
  }

  /**
   * The failover step: a provider whose first facilitator is stopped; the payment settled through
   * the second, in exactly one transfer sent by that facilitator's account.
   *
   * @param received what the provider's payTo gained
   * @param sender who sent the settlement transaction
   * @param expectedSender the second facilitator's settlement account
   */
  public record Failover(
      SummaryAgent.Result paid,
      BigInteger received,
      String sender,
      String expectedSender,
      String stoppedFacilitator) {
    public boolean ok() {
      return paid.paid()
          && paid.receiptCheck() != null
          && paid.receiptCheck().startsWith("valid")
          && received.equals(paid.amount())
          && expectedSender.equalsIgnoreCase(sender);
    }
  }

  private static final int STEPS = 7;
  private final PrintWriter out;
  private final Clock clock;
  private int step;

  public DemoRun(PrintWriter out, Clock clock) {
    this.out = out;
    this.clock = clock;
  }

  public Outcome run(LocalStack stack, byte[] document, String contentType, String documentName)
      throws Exception {
    out.println(
        "attest402 demo: a trust-checked, pay-per-request document summary on a local stack");
    out.println();

    long t = System.nanoTime();
    Deployment d = stack.startChain();
    step(
        "chain",
        t,
        "anvil at " + d.rpcUrl() + " (" + d.network() + "); TestUSDC " + d.contracts().usdc());
    detail(
        "ERC-8004 registries: identity "
            + d.contracts().identityRegistry()
            + ", reputation "
            + d.contracts().reputationRegistry()
            + ", validation "
            + d.contracts().validationRegistry());

    t = System.nanoTime();
    FacilitatorProcess f = stack.startFacilitator();
    step("facilitator", t, f.url() + ", settlement and receipt key " + f.address());
    detail(
        "TEE: SIMULATED (no hardware here; quotes are real DCAP format signed by a local simulation CA)");
    detail(
        "started from the enclave artifact; MRENCLAVE "
            + f.reportedMeasurement()
            + " (expected "
            + stack.facilitatorMeasurement().mrEnclaveHex()
            + ", pinned in "
            + stack.facilitatorPolicy()
            + ")");
    detail(
        "collateral fetched from the loopback PCS "
            + stack.pcs().url()
            + " (Intel PCS v4 API), served in "
            + "/attestation; clients pin simulation root "
            + stack.simulationRoot());
    detail(
        "ERC-8004 agent #"
            + f.agentId()
            + " owned by its enclave key; asked validator "
            + d.account("validator").address()
            + " for a tee-attestation validation");

    t = System.nanoTime();
    List<ValidationOutcome> validated = stack.startValidator(Duration.ofSeconds(30));
    ValidationOutcome v =
        validated.stream()
            .filter(o -> o.agentId().equals(f.agentId()))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "the validator did not answer the facilitator's request"));
    step(
        "validator",
        t,
        "checked the facilitator's live attestation: response "
            + v.response()
            + (v.passed() ? " (pass)" : " (FAIL: " + String.join("; ", v.reasons()) + ")")
            + ", tx "
            + v.responseTx());
    detail(
        "this dev validator accepts simulated TEEs; the default policy of `quote verify` and of agents does not");

    t = System.nanoTime();
    SummaryProvider provider =
        stack.startProvider("provider", DevAccounts.account(DevAccounts.PROVIDER), null);
    step(
        "provider",
        t,
        provider.baseUrl()
            + " (ERC-8004 agent #"
            + provider.agentId()
            + ", payTo = agentWallet "
            + d.account("provider").address()
            + ")");
    detail(
        "price: 0.002 USDC per 1,000 words, at least 0.001 USDC; web page at "
            + provider.baseUrl()
            + "/");

    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), d.account("agent").address()),
            new DefaultGasProvider());
    // The agent pins the measured MRENCLAVE (the facilitator policy's): another artifact is
    // refused.
    SummaryAgent agent =
        new SummaryAgent(d, d.account("agent").credentials(), clock)
            .withAttestationPolicy(
                stack.pinnedPolicy(stack.facilitatorMeasurement().mrEnclaveHex()));
    Set<String> validators = Set.of(d.account("validator").address());

    t = System.nanoTime();
    header("agent", "summarize " + documentName + " at " + provider.baseUrl() + "/summarize");
    SummaryAgent.Result paid =
        agent.run(
            new SummaryAgent.Request(
                URI.create(provider.baseUrl() + "/summarize"),
                document,
                contentType,
                SummaryAgent.Trust.DEFAULT,
                BigInteger.valueOf(1_000_000),
                validators,
                stack.attestationPolicy(),
                null,
                0,
                true),
            s -> detail(String.format("%-16s %5d ms  %s", s.name(), s.millis(), s.detail())));
    if (paid.paid()) {
      detail("paid " + usdc(paid.amount(), d) + " USDC; settlement tx " + paid.transaction());
      if (paid.body() != null && paid.body().has("summary")) {
        out.println();
        out.println(
            "    summary ("
                + paid.body().path("words").asInt()
                + " words in, "
                + paid.body().path("method").asText()
                + "):");
        for (var sentence : paid.body().path("sentences")) {
          out.println("      " + sentence.asText());
        }
        out.println();
      }
    } else {
      detail("NOT PAID (" + paid.outcome() + "): " + String.join("; ", paid.refusalReasons()));
    }
    detail(String.format("done in %.1f s", (System.nanoTime() - t) / 1e9));

    t = System.nanoTime();
    SummaryProvider rogue =
        stack.startProvider(
            "rogue-provider", DevAccounts.account(4), DevAccounts.account(5).getAddress());
    BigInteger before = usdc.balanceOf(d.account("agent").address()).send();
    header(
        "untrustworthy",
        rogue.baseUrl()
            + " (agent #"
            + rogue.agentId()
            + ") asks to be paid at "
            + DevAccounts.account(5).getAddress()
            + ", which is not its agentWallet");
    SummaryAgent.Result refused =
        agent.run(
            new SummaryAgent.Request(
                URI.create(rogue.baseUrl() + "/summarize"),
                document,
                contentType,
                SummaryAgent.Trust.DEFAULT,
                BigInteger.valueOf(1_000_000),
                validators,
                stack.attestationPolicy(),
                null,
                0,
                false),
            s -> detail(String.format("%-16s %5d ms  %s", s.name(), s.millis(), s.detail())));
    BigInteger after = usdc.balanceOf(d.account("agent").address()).send();
    if (refused.trust() != null) {
      refused
          .trust()
          .failures()
          .forEach(c -> detail("refused because " + c.name() + ": " + c.detail()));
    }
    detail(
        "agent balance "
            + usdc(before, d)
            + " -> "
            + usdc(after, d)
            + " USDC"
            + (before.equals(after) ? " (nothing paid)" : " (FUNDS MOVED)"));
    detail(String.format("done in %.1f s", (System.nanoTime() - t) / 1e9));
    Failover failover = failover(stack, f, usdc, validators, document, contentType);
    return new Outcome(paid, refused, before, after, provider.agentId(), f.agentId(), failover);
  }

  /**
   * A provider settling through [a stopped facilitator, the running one]: its checks find the first
   * down, the 402 lists both and names the second, and the payment settles through it once.
   */
  private Failover failover(
      LocalStack stack,
      FacilitatorProcess f,
      TestUSDC usdc,
      Set<String> validators,
      byte[] document,
      String contentType)
      throws Exception {
    long t = System.nanoTime();
    Deployment d = stack.deployment();
    String stopped = stoppedFacilitatorUrl();
    var key = DevAccounts.account(9);
    SummaryProvider p =
        stack.startProvider("failover-provider", key, null, List.of(stopped, f.url()));
    header("failover", p.baseUrl() + " settles through " + stopped + " (stopped), then " + f.url());
    BigInteger before = usdc.balanceOf(key.getAddress()).send();
    SummaryAgent agent =
        new SummaryAgent(d, d.account("agent").credentials(), clock)
            .withAttestationPolicy(
                stack.pinnedPolicy(stack.facilitatorMeasurement().mrEnclaveHex()));
    SummaryAgent.Result r =
        agent.run(
            new SummaryAgent.Request(
                URI.create(p.baseUrl() + "/summarize"),
                document,
                contentType,
                SummaryAgent.Trust.DEFAULT,
                BigInteger.valueOf(1_000_000),
                validators,
                stack.attestationPolicy(),
                null,
                0,
                false),
            s -> detail(String.format("%-16s %5d ms  %s", s.name(), s.millis(), s.detail())));
    BigInteger received = usdc.balanceOf(key.getAddress()).send().subtract(before);
    String sender =
        r.transaction() == null
            ? null
            : stack
                .chain()
                .web3j()
                .ethGetTransactionByHash(r.transaction())
                .send()
                .getTransaction()
                .map(tx -> tx.getFrom())
                .orElse(null);
    p.facilitatorStatus()
        .forEach(
            s ->
                detail(
                    s.name()
                        + (s.healthy() ? " healthy" : " DOWN (" + s.reason() + ")")
                        + " "
                        + s.counters()));
    detail(
        (r.paid() ? "paid " + usdc(r.amount(), d) + " USDC" : "NOT PAID (" + r.outcome() + ")")
            + "; payTo received "
            + usdc(received, d)
            + " USDC in one transfer sent by "
            + sender
            + (f.address().equalsIgnoreCase(sender)
                ? " (the second facilitator)"
                : " (UNEXPECTED)"));
    detail(String.format("done in %.1f s", (System.nanoTime() - t) / 1e9));
    return new Failover(r, received, sender, f.address(), stopped);
  }

  /** A loopback URL nothing listens on: a facilitator that has stopped. */
  private static String stoppedFacilitatorUrl() throws java.io.IOException {
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return "http://127.0.0.1:" + s.getLocalPort();
    }
  }

  private void step(String name, long startedNanos, String what) {
    step++;
    out.printf(
        "[%d/%d] %-13s %6.1f s  %s%n",
        step, STEPS, name, (System.nanoTime() - startedNanos) / 1e9, what);
    out.flush();
  }

  private void header(String name, String what) {
    step++;
    out.printf("[%d/%d] %-13s %8s  %s%n", step, STEPS, name, "", what);
    out.flush();
  }

  private void detail(String line) {
    out.println("                              " + line);
    out.flush();
  }

  static String usdc(BigInteger amount, Deployment d) {
    return new BigDecimal(amount, d.usdc().decimals()).toPlainString();
  }
}
