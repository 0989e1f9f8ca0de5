package io.attest402.demo.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.demo.provider.SummaryProvider;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.Feedback;
import io.attest402.erc8004.FeedbackSummary;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.types.PaymentRequired;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/** The demo's flow end to end on anvil: the same code {@code bin/attest402 demo} runs. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoFlowTest {
  private Path work;
  private LocalStack stack;
  private DemoRun.Outcome outcome;
  private String printed;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void runDemo(@TempDir Path dir) throws Exception {
    work = dir;
    stack = new LocalStack(work, Clock.systemUTC());
    byte[] article;
    try (InputStream in = getClass().getResourceAsStream("/io/attest402/demo/sample-article.md")) {
      article = in.readAllBytes();
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    outcome =
        new DemoRun(
                new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true),
                Clock.systemUTC())
            .run(stack, article, "text/markdown", "sample-article.md");
    printed = buf.toString(StandardCharsets.UTF_8);
  }

  @AfterAll
  void stop() {
    stack.close();
  }

  @Test
  void agentPaidForASummaryVerifiedTheReceiptAndPostedPaymentBackedFeedback() throws Exception {
    assertTrue(outcome.ok(), printed);
    var paid = outcome.paid();
    assertTrue(paid.trust().trusted(), paid.trust().summary());
    assertTrue(paid.receiptCheck().startsWith("valid"), paid.receiptCheck());
    assertEquals(paid.transaction(), paid.receipt().txHash());
    assertTrue(paid.body().path("summary").asText().contains("402"), paid.body().toString());

    Deployment d = stack.deployment();
    Erc8004Client registry = Erc8004Client.connect(d);
    try {
      String agent = d.account("agent").address();
      List<Feedback> onChain =
          registry
              .reputation()
              .readAllFeedback(outcome.providerAgentId(), List.of(agent), "summary", "", false);
      assertEquals(1, onChain.size(), "the agent's feedback is on chain");
      FeedbackSummary summary =
          registry.reputation().getSummary(outcome.providerAgentId(), List.of(agent), "", "");
      assertEquals(1, summary.count());
      assertEquals(
          1, paid.reputation().paymentBackedCount(), "the feedback's proof of payment checks out");
    } finally {
      registry.shutdown();
    }
    for (String line :
        List.of(
            "[1/7] chain",
            "[2/7] facilitator",
            "SIMULATED",
            "[3/7] validator",
            "(pass)",
            "[4/7] provider",
            "[5/7] agent",
            "trusted: 8 checks passed",
            "[6/7] untrustworthy",
            "[7/7] failover",
            "(nothing paid)")) {
      assertTrue(printed.contains(line), "demo output lacks '" + line + "':\n" + printed);
    }
  }

  @Test
  void theFacilitatorRunsFromTheEnclaveArtifactAndReportsItsPredictedMeasurement()
      throws Exception {
    assertEquals(
        stack.facilitatorMeasurement().mrEnclaveHex(), stack.facilitator().reportedMeasurement());
    String policy = java.nio.file.Files.readString(stack.facilitatorPolicy());
    assertTrue(
        policy.contains(
            "\"mrEnclave\" : \"" + stack.facilitatorMeasurement().mrEnclaveHex() + "\""),
        policy);
    assertTrue(policy.contains("simulationRoots"), policy);
    assertTrue(
        outcome.paid().trust().checks().stream()
            .anyMatch(
                c ->
                    c.name().equals("facilitator.attestation")
                        && c.status() == io.attest402.erc8004.trust.TrustCheck.Status.PASS),
        outcome.paid().trust().summary());
  }

  /** One jar of the artifact changed: the pinned agent refuses to pay through that facilitator. */
  @Test
  void aFacilitatorFromAModifiedArtifactIsRefusedByThePinnedAgentAndNoFundsMove(@TempDir Path tmp)
      throws Exception {
    Path genuine = FacilitatorProcess.defaultArtifact();
    Path copy = tmp.resolve("enclave");
    try (var files = java.nio.file.Files.walk(genuine)) {
      for (Path p : files.toList()) {
        java.nio.file.Files.copy(p, copy.resolve(genuine.relativize(p).toString()));
      }
    }
    // The facilitator jar rebuilt with one more entry: still starts, but is not what was measured.
    Path jar = copy.resolve("attest402-facilitator.jar");
    Path rebuilt = tmp.resolve("rebuilt.jar");
    try (var in = new java.util.jar.JarFile(jar.toFile());
        var out =
            new java.util.jar.JarOutputStream(
                java.nio.file.Files.newOutputStream(rebuilt), in.getManifest())) {
      for (var e : java.util.Collections.list(in.entries())) {
        if (e.getName().equals("META-INF/MANIFEST.MF")) {
          continue;
        }
        out.putNextEntry(new java.util.zip.ZipEntry(e.getName()));
        try (InputStream s = in.getInputStream(e)) {
          s.transferTo(out);
        }
        out.closeEntry();
      }
      out.putNextEntry(new java.util.zip.ZipEntry("io/attest402/facilitator/injected.txt"));
      out.write("not the measured build".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    java.nio.file.Files.move(rebuilt, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    // the same simulation CA (so the stack's PCS serves its collateral), its own sealed key
    Path swappedData = tmp.resolve("swapped-data");
    java.nio.file.Files.createDirectories(swappedData.resolve("simulated-tee"));
    java.nio.file.Files.copy(
        stack.workDir().resolve("facilitator/simulated-tee/simulation-ca.json"),
        swappedData.resolve("simulated-tee/simulation-ca.json"));
    List<String> args = stack.facilitatorArgs(swappedData);
    String pinned =
        FacilitatorProcess.expected(genuine, LocalStack.FACILITATOR_JVM_OPTIONS, args)
            .mrEnclaveHex();
    FacilitatorProcess swapped = stack.startFacilitator(copy, args, tmp.resolve("swapped.log"));
    assertTrue(
        !pinned.equals(swapped.reportedMeasurement()), "a changed jar changes the measurement");
    assertEquals(
        FacilitatorProcess.expected(copy, LocalStack.FACILITATOR_JVM_OPTIONS, args).mrEnclaveHex(),
        swapped.reportedMeasurement(),
        "it measures what it runs");

    Deployment d = stack.deployment();
    SummaryProvider p =
        stack.startProvider("swapped-provider", DevAccounts.account(8), null, swapped.url());
    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), d.account("agent").address()),
            new DefaultGasProvider());
    BigInteger before = usdc.balanceOf(d.account("agent").address()).send();
    var agent =
        new io.attest402.demo.agent.SummaryAgent(
                d, d.account("agent").credentials(), Clock.systemUTC())
            .withAttestationPolicy(stack.pinnedPolicy(pinned));
    var r =
        agent.run(
            new io.attest402.demo.agent.SummaryAgent.Request(
                URI.create(p.baseUrl() + "/summarize"),
                "Facilitators settle payments. They sign receipts."
                    .getBytes(StandardCharsets.UTF_8),
                "text/plain",
                io.attest402.demo.agent.SummaryAgent.Trust.DEFAULT,
                BigInteger.valueOf(1_000_000),
                java.util.Set.of(d.account("validator").address()),
                stack.pinnedPolicy(pinned),
                null,
                0,
                false),
            s -> {});
    assertEquals("refused", r.outcome(), String.valueOf(r.trust()));
    assertTrue(
        r.trust().failures().stream()
            .anyMatch(
                c ->
                    c.name().equals("facilitator.attestation") && c.detail().contains("MRENCLAVE")),
        r.trust().summary());
    assertEquals(before, usdc.balanceOf(d.account("agent").address()).send(), "no funds moved");
  }

  /**
   * Privacy by default: the facilitators' logs of a whole demo run (every settlement included) name
   * settlements by id, never the payer.
   */
  @Test
  void theFacilitatorLogsOfTheRunNameNoPayer() throws Exception {
    String payer = stack.deployment().account("agent").address().substring(2);
    List<Path> logs;
    try (var files = java.nio.file.Files.walk(work)) {
      logs = files.filter(p -> p.getFileName().toString().endsWith(".log")).toList();
    }
    boolean sawSettlement = false;
    for (Path log : logs) {
      String text = java.nio.file.Files.readString(log, StandardCharsets.UTF_8);
      sawSettlement |= text.contains("settlement id=");
      assertTrue(
          !text.toLowerCase(java.util.Locale.ROOT)
              .contains(payer.toLowerCase(java.util.Locale.ROOT)),
          log + " names the payer " + payer);
    }
    assertTrue(sawSettlement, "the facilitator logs record the settlements: " + logs);
  }

  @Test
  void untrustworthyProviderIsRefusedAndNoFundsMove() {
    assertEquals("refused", outcome.refused().outcome());
    assertEquals(outcome.refusedBalanceBefore(), outcome.refusedBalanceAfter());
    assertTrue(
        outcome.refused().trust().failures().stream()
            .anyMatch(c -> c.name().equals("provider.payTo")),
        outcome.refused().trust().summary());
  }

  @Test
  void aStoppedFirstFacilitatorIsListedDownAndThePaymentSettlesOnceThroughTheSecond() {
    DemoRun.Failover f = outcome.failover();
    assertTrue(f.paid().paid(), printed);
    assertEquals(f.paid().amount(), f.received(), "exactly one transfer to the provider");
    assertTrue(f.expectedSender().equalsIgnoreCase(f.sender()), f.sender());
    assertTrue(f.paid().receiptCheck().startsWith("valid"), f.paid().receiptCheck());
    assertTrue(printed.contains(f.stoppedFacilitator() + " DOWN"), printed);
  }

  @Test
  void priceGrowsWithTheDocument() throws Exception {
    SummaryProvider p = stack.startProvider("pricing-provider", DevAccounts.account(6), null);
    BigInteger small = quote(p, "One short sentence about payments.");
    BigInteger large = quote(p, "Payments settle on chain within seconds. ".repeat(2_000));
    assertEquals(BigInteger.valueOf(1_000), small, "the minimum price");
    assertEquals(BigInteger.valueOf(24_000), large, "12,000 words at 0.002 USDC per 1,000 words");
    // The 402 quotes the same size-dependent price.
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                .header("Content-Type", "text/plain")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "Payments settle on chain within seconds. ".repeat(2_000)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(402, r.statusCode());
    PaymentRequired pr =
        HeaderCodec.DEFAULT.decodePaymentRequired(
            r.headers().firstValue("PAYMENT-REQUIRED").orElseThrow());
    assertEquals(large, pr.accepts().get(0).amount());
    assertNotNull(pr.extensions().get("attest402"), "the 402 names the facilitator");
  }

  @Test
  void badDocumentsGetAClearErrorBeforeAnyPayment() throws Exception {
    SummaryProvider p = stack.startProvider("strict-provider", DevAccounts.account(7), null);
    HttpResponse<String> unsupported =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                .header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(415, unsupported.statusCode());
    assertTrue(unsupported.body().contains("image/png"), unsupported.body());
    HttpResponse<String> empty =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, empty.statusCode());
    HttpResponse<String> badPdf =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                .header("Content-Type", "application/pdf")
                .POST(HttpRequest.BodyPublishers.ofString("%PDF-garbage"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, badPdf.statusCode());
    assertTrue(badPdf.body().contains("PDF"), badPdf.body());
  }

  @Test
  void agentFindsTheProviderByAgentIdThroughItsRegistrationFile() {
    SummaryProvider p = stack.startProvider("findable-provider", DevAccounts.account(5), null);
    assertEquals(
        URI.create(p.baseUrl() + "/summarize"),
        io.attest402.demo.cli.AgentCommand.x402Endpoint(stack.deployment(), p.agentId()));
  }

  /**
   * The demo's payments settled through the stack's facilitator and their 402 declared {@code
   * bazaar}: the facilitator lists the provider's {@code /summarize}, and {@code agent --discover}
   * finds it there and pays it, trust-checked as any provider.
   */
  @Test
  void agentFindsAProviderInTheFacilitatorsBazaarAndPaysIt() throws Exception {
    URI facilitator = URI.create(stack.facilitator().url());
    java.util.List<URI> listed =
        io.attest402.demo.agent.BazaarDiscovery.find(
            http, facilitator, stack.deployment().network(), true);
    assertFalse(listed.isEmpty(), "the bazaar lists the demo's provider");
    assertTrue(listed.get(0).getPath().endsWith("/summarize"), listed.toString());
    Path doc = work.resolve("discovered.txt");
    java.nio.file.Files.writeString(
        doc, "Agents discover paid resources in the bazaar. Facilitators list what they settled.");
    Path policy = work.resolve("policy-discover.json");
    java.nio.file.Files.writeString(
        policy,
        "{\"mrEnclave\":\""
            + stack.pinnedMrEnclave()
            + "\",\"simulationRoots\":[\""
            + stack.simulationRoot()
            + "\"]}");
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cl = new picocli.CommandLine(new io.attest402.demo.cli.AgentCommand());
    cl.setOut(new java.io.PrintWriter(out));
    int code =
        cl.execute(
            "--deployment",
            work.resolve("deployment.json").toString(),
            "--discover",
            facilitator.toString(),
            "--document",
            doc.toString(),
            "--policy",
            policy.toString(),
            "--allow-simulated-tee",
            "--no-feedback",
            "--json");
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertEquals(0, code, out.toString());
    assertEquals("paid", json.path("outcome").asText(), out.toString());
    assertTrue(json.path("receiptValid").asBoolean(), out.toString());
    assertTrue(json.path("trust").path("trusted").asBoolean(), out.toString());
    // a URL that is no bazaar is a clear error, nothing paid
    java.io.StringWriter err = new java.io.StringWriter();
    cl.setErr(new java.io.PrintWriter(err));
    int bad =
        cl.execute(
            "--deployment",
            work.resolve("deployment.json").toString(),
            "--discover",
            listed.get(0).resolve("/").toString(),
            "--trust",
            "none",
            "--json");
    assertTrue(bad != 0, err.toString());
  }

  @Test
  void agentCommandPrintsOneJsonObjectAndExitsByOutcome() throws Exception {
    SummaryProvider p = stack.startProvider("cli-provider", DevAccounts.account(4), null);
    Path deployment = work.resolve("deployment.json");
    Path doc = work.resolve("doc.txt");
    java.nio.file.Files.writeString(
        doc,
        "Facilitators settle x402 payments on chain. They sign receipts. "
            + "Payers check the receipts against the attested key.");
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cl = new picocli.CommandLine(new io.attest402.demo.cli.AgentCommand());
    cl.setOut(new java.io.PrintWriter(out));
    Path policy = work.resolve("policy.json");
    java.nio.file.Files.writeString(
        policy,
        "{\"mrEnclave\":\""
            + stack.pinnedMrEnclave()
            + "\",\"simulationRoots\":[\""
            + stack.simulationRoot()
            + "\"]}");
    int paid =
        cl.execute(
            "--deployment",
            deployment.toString(),
            "--provider",
            p.baseUrl(),
            "--document",
            doc.toString(),
            "--policy",
            policy.toString(),
            "--allow-simulated-tee",
            "--json");
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertEquals(0, paid, out.toString());
    assertEquals("paid", json.path("outcome").asText());
    assertTrue(json.path("receiptValid").asBoolean(), out.toString());
    assertTrue(json.path("trust").path("trusted").asBoolean(), out.toString());
    assertTrue(
        json.path("trust")
            .toString()
            .contains("measurement " + "mrEnclave " + stack.pinnedMrEnclave()),
        out.toString());

    // Without the simulation root pinned the simulated facilitator is refused: exit 1, nothing
    // paid.
    out.getBuffer().setLength(0);
    Path noRoot = work.resolve("policy-no-root.json");
    java.nio.file.Files.writeString(noRoot, "{\"mrEnclave\":\"" + stack.pinnedMrEnclave() + "\"}");
    int refused =
        cl.execute(
            "--deployment",
            deployment.toString(),
            "--provider",
            p.baseUrl(),
            "--document",
            doc.toString(),
            "--policy",
            noRoot.toString(),
            "--json");
    json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toString());
    assertEquals(1, refused, out.toString());
    assertEquals("refused", json.path("outcome").asText());
    assertTrue(json.path("reasons").toString().contains("facilitator.attestation"), out.toString());

    // A policy without a measurement pin is refused before anything happens, unless
    // --allow-any-measurement,
    // which the output then flags; --allow-simulated-tee without a pinned root is refused too.
    java.io.StringWriter err = new java.io.StringWriter();
    cl.setErr(new java.io.PrintWriter(err));
    assertTrue(
        cl.execute(
                "--deployment",
                deployment.toString(),
                "--provider",
                p.baseUrl(),
                "--document",
                doc.toString(),
                "--json")
            != 0);
    assertTrue(err.toString().contains("pins no measurement"), err.toString());
    err.getBuffer().setLength(0);
    assertTrue(
        cl.execute(
                "--deployment",
                deployment.toString(),
                "--provider",
                p.baseUrl(),
                "--document",
                doc.toString(),
                "--allow-simulated-tee",
                "--allow-any-measurement",
                "--json")
            != 0);
    assertTrue(err.toString().contains("simulation root pinned"), err.toString());
    out.getBuffer().setLength(0);
    int any =
        cl.execute(
            "--deployment",
            deployment.toString(),
            "--provider",
            p.baseUrl(),
            "--document",
            doc.toString(),
            "--simulation-root",
            stack.simulationRoot(),
            "--allow-simulated-tee",
            "--allow-any-measurement",
            "--no-feedback",
            "--json");
    assertEquals(0, any, out.toString() + err);
    assertTrue(out.toString().contains("MEASUREMENT NOT PINNED"), out.toString());
  }

  @Test
  void agentWhosePolicyPinsAnotherMrEnclaveRefusesAndPaysNothing() throws Exception {
    SummaryProvider p = stack.startProvider("pinned-provider", DevAccounts.account(6), null);
    Deployment d = stack.deployment();
    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), d.account("agent").address()),
            new DefaultGasProvider());
    BigInteger before = usdc.balanceOf(d.account("agent").address()).send();
    byte[] otherCode = new byte[32];
    otherCode[0] = 1;
    var agent =
        new io.attest402.demo.agent.SummaryAgent(
            d, d.account("agent").credentials(), Clock.systemUTC());
    var r =
        agent.run(
            new io.attest402.demo.agent.SummaryAgent.Request(
                URI.create(p.baseUrl() + "/summarize"),
                "Some text to summarize. It has sentences.".getBytes(StandardCharsets.UTF_8),
                "text/plain",
                io.attest402.demo.agent.SummaryAgent.Trust.DEFAULT,
                BigInteger.valueOf(1_000_000),
                java.util.Set.of(d.account("validator").address()),
                stack.attestationPolicy().toBuilder().mrEnclave(otherCode).build(),
                null,
                0,
                false),
            s -> {});
    assertEquals("refused", r.outcome());
    assertTrue(
        r.trust().failures().stream().anyMatch(c -> c.name().equals("facilitator.attestation")),
        r.trust().summary());
    assertEquals(before, usdc.balanceOf(d.account("agent").address()).send(), "nothing paid");
  }

  @Test
  void collateralCameOnlyFromTheLoopbackPcs() throws Exception {
    assertTrue(
        stack.pcs().served("/sgx/certification/v4/tcb") >= 1, "the facilitator fetched TCB info");
    assertTrue(stack.pcs().served("/sgx/certification/v4/pckcrl") >= 1, "and the PCK CRL");
    assertTrue(stack.pcs().served("/sgx/certification/v4/rootcacrl") >= 1, "and the root CA CRL");
    HttpResponse<String> att =
        http.send(
            HttpRequest.newBuilder(URI.create(stack.facilitator().url() + "/attestation")).build(),
            HttpResponse.BodyHandlers.ofString());
    var doc = io.attest402.enclave.AttestationDocument.fromJson(att.body());
    assertTrue(doc.collateralValue().isPresent(), "it serves the collateral it fetched");
    assertTrue(printed.contains("loopback PCS"), printed);
  }

  @Test
  void providerRestartKeepsItsAgentId() {
    SummaryProvider first =
        stack.startProvider("restarting-provider", DevAccounts.account(8), null);
    BigInteger id = first.agentId();
    first.close();
    SummaryProvider second =
        stack.startProvider("restarting-provider", DevAccounts.account(8), null);
    assertEquals(id, second.agentId(), "same data dir and key: same ERC-8004 identity");
  }

  @Test
  void providerReceivedExactlyThePrice() throws Exception {
    Deployment d = stack.deployment();
    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), d.account("agent").address()),
            new DefaultGasProvider());
    BigInteger providerBalance = usdc.balanceOf(d.account("provider").address()).send();
    assertEquals(
        io.attest402.contracts.chain.Deployer.DEV_USDC.add(outcome.paid().amount()),
        providerBalance);
  }

  /**
   * The web page in headless Debian Chromium: paste the article, see the price, pay through the
   * official {@code @x402/fetch} client bundled in the page, see the summary, the receipt's
   * signature check against the attested key, the attestation verdict and the settlement
   * transaction. The screenshot is kept in {@code target/screenshots/}.
   */
  @Test
  void webPagePaysInTheBrowserAndChecksTheReceipt() throws Exception {
    SummaryProvider p = stack.startProvider("browser-provider", DevAccounts.account(9), null);
    Path shot = screenshot("summary-page.png");
    var result = payInBrowser(p, shot);
    String out = result.toString();
    assertTrue(result.path("price").asText().contains("661 words"), out);
    // The page verified the facilitator's quote itself before it paid: against the served
    // collateral, the pinned simulation root and MRENCLAVE, and a signature over its own nonce.
    assertTrue(result.path("checkedOk").asBoolean(), out);
    String checked = result.path("checked").asText();
    assertTrue(checked.startsWith("verified in this browser: UpToDate"), out);
    assertTrue(checked.contains("pinned MRENCLAVE " + stack.pinnedMrEnclave()), out);
    assertTrue(checked.contains("anchor simulation:" + stack.simulationRoot()), out);
    assertTrue(checked.contains("SIMULATED"), out);
    assertTrue(result.path("requests").toString().contains("GET /attestation"), out);
    assertTrue(result.path("summary").asText().contains("402"), out);
    assertTrue(result.path("tx").asText().matches("0x[0-9a-f]{64}"), out);
    assertTrue(result.path("receiptValid").asBoolean(), out);
    assertTrue(result.path("receipt-check").asText().startsWith("valid"), out);
    assertTrue(result.path("attestation").asText().contains("SIMULATED"), out);
    assertTrue(java.nio.file.Files.size(shot) > 10_000, "screenshot written to " + shot);
  }

  /**
   * A facilitator whose attestation fails the page's own check (its MRENCLAVE is not the one the
   * provider pins): the page refuses to pay, sends no payment to the provider at all (so the
   * refusal is the browser's, not the server's), and no balance moves.
   */
  @Test
  void webPageRefusesToPayAFacilitatorWhoseAttestationFailsInTheBrowser() throws Exception {
    byte[] other = java.util.HexFormat.of().parseHex(stack.pinnedMrEnclave());
    other[0] ^= 1;
    String wrong = java.util.HexFormat.of().formatHex(other);
    SummaryProvider p =
        stack.startProvider(
            "browser-refusing-provider",
            DevAccounts.account(7),
            null,
            List.of(stack.facilitator().url()),
            null,
            stack.pinnedPolicy(wrong));
    Deployment d = stack.deployment();
    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), d.account("agent").address()),
            new DefaultGasProvider());
    String payTo = DevAccounts.account(7).getAddress();
    BigInteger payerBefore = usdc.balanceOf(d.account("agent").address()).send();
    BigInteger payToBefore = usdc.balanceOf(payTo).send();
    var result = payInBrowser(p, screenshot("summary-page-refused.png"));
    String out = result.toString();
    assertTrue(result.path("price").asText().contains("661 words"), out);
    assertFalse(result.path("checkedOk").asBoolean(), out);
    assertFalse(result.path("resultShown").asBoolean(), out);
    assertTrue(result.path("status").asText().startsWith("Refusing to pay: the facilitator"), out);
    assertTrue(
        result
            .path("checked")
            .asText()
            .contains(
                "measurement refused: MRENCLAVE is "
                    + stack.pinnedMrEnclave()
                    + ", the policy pins "
                    + wrong),
        out);
    assertTrue(result.path("requests").toString().contains("GET /attestation"), out);
    assertFalse(result.path("requests").toString().contains("/summarize"), out);
    assertEquals(
        payerBefore, usdc.balanceOf(d.account("agent").address()).send(), "no funds moved");
    assertEquals(payToBefore, usdc.balanceOf(payTo).send(), "no funds moved");
  }

  /**
   * The page's own check (web/src/attest.js, in Node on the browser's code paths) against a man in
   * the middle or a lying facilitator: each tampered answer of the real facilitator, and each
   * policy it must not pass, is refused for its reason (web/e2e/attest-cases.mjs).
   */
  @Test
  void webPageCheckRefusesEveryTamperedAttestation() throws Exception {
    Path policy = work.resolve("page-policy.json");
    java.nio.file.Files.writeString(policy, stack.attestationPolicy().toJson());
    Process node =
        new ProcessBuilder(
                "node", "e2e/attest-cases.mjs", stack.facilitator().url(), policy.toString())
            .directory(
                io.attest402.contracts.ProjectPaths.root()
                    .resolve("pay-per-inference-demo/web")
                    .toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(node.waitFor(300, java.util.concurrent.TimeUnit.SECONDS), "cases finished");
    assertEquals(0, node.exitValue(), out);
    var r =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.lines().reduce((a, b) -> b).orElse(""));
    assertTrue(
        r.path("genuine")
            .asText()
            .startsWith(
                "ok: UpToDate simulation:"
                    + stack.simulationRoot()
                    + " MRENCLAVE "
                    + stack.pinnedMrEnclave()),
        out);
    java.util.Map<String, String> refused =
        java.util.Map.ofEntries(
            java.util.Map.entry("other key served", "does not bind the served keys"),
            java.util.Map.entry("other address served", "but its attested key is"),
            java.util.Map.entry("quote byte flipped", "the quote does not verify"),
            java.util.Map.entry("no collateral", "carries no collateral"),
            java.util.Map.entry("tcb info tampered", "the quote does not verify"),
            java.util.Map.entry("no freshness proof", "without a freshness proof"),
            java.util.Map.entry("freshness for another nonce", "not the one this page sent"),
            java.util.Map.entry("freshness signature flipped", "freshness signature"),
            java.util.Map.entry("stale freshness", "s from now"),
            java.util.Map.entry("simulation root not pinned", "against Intel's root"),
            java.util.Map.entry("no measurement pinned", "pins no measurement"),
            java.util.Map.entry(
                "status not accepted", "TCB status UpToDate is not one the policy accepts"));
    for (var e : refused.entrySet()) {
      String got = r.path(e.getKey()).asText();
      assertTrue(
          got.startsWith("refused: ") && got.contains(e.getValue()),
          e.getKey() + ": " + got + "\n" + out);
    }
  }

  private static Path screenshot(String name) throws java.io.IOException {
    Path shots = Path.of("target", "screenshots").toAbsolutePath();
    java.nio.file.Files.createDirectories(shots);
    return shots.resolve(name);
  }

  /** Drives provider {@code p}'s page in headless chromium (web/e2e/pay-in-browser.mjs). */
  private com.fasterxml.jackson.databind.JsonNode payInBrowser(SummaryProvider p, Path shot)
      throws Exception {
    Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
    org.junit.jupiter.api.Assumptions.assumeTrue(
        java.nio.file.Files.isExecutable(chromium),
        "Debian chromium is not installed (apt-get install chromium): the browser test cannot run");
    Path article = work.resolve("article.md");
    try (InputStream in = getClass().getResourceAsStream("/io/attest402/demo/sample-article.md")) {
      java.nio.file.Files.write(article, in.readAllBytes());
    }
    Path root = io.attest402.contracts.ProjectPaths.root();
    Process node =
        new ProcessBuilder(
                "node",
                "e2e/pay-in-browser.mjs",
                p.baseUrl() + "/",
                article.toString(),
                shot.toString())
            .directory(root.resolve("pay-per-inference-demo/web").toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(node.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "browser run finished");
    String last = out.lines().reduce((a, b) -> b).orElse("");
    assertEquals(0, node.exitValue(), out);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(last);
  }

  private BigInteger quote(SummaryProvider p, String text) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/quote"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(text))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new BigInteger(
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(r.body())
            .path("amount")
            .asText());
  }

  // ---------------------------------------------------------------------------------------------
  // upto: charged for the work done

  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private BigInteger usdcBalance(String who) throws Exception {
    return TestUSDC.load(
            stack.deployment().contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), who),
            new DefaultGasProvider())
        .balanceOf(who)
        .send();
  }

  /** The USDC Transfer logs of transaction {@code tx}: from, to, value. */
  private List<String[]> usdcTransfers(String tx) throws Exception {
    var receipt =
        stack
            .chain()
            .web3j()
            .ethGetTransactionReceipt(tx)
            .send()
            .getTransactionReceipt()
            .orElseThrow();
    assertTrue(receipt.isStatusOK(), tx);
    List<String[]> out = new java.util.ArrayList<>();
    for (var log : receipt.getLogs()) {
      if (log.getAddress().equalsIgnoreCase(stack.deployment().contracts().usdc())
          && log.getTopics()
              .get(0)
              .equalsIgnoreCase(io.attest402.x402.evm.TransferLogs.TRANSFER_TOPIC)) {
        out.add(
            new String[] {
              "0x" + log.getTopics().get(1).substring(26),
              "0x" + log.getTopics().get(2).substring(26),
              org.web3j.utils.Numeric.toBigInt(log.getData()).toString()
            });
      }
    }
    return out;
  }

  private PaymentRequired paymentRequired(SummaryProvider p, String text) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/summarize"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(text))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(402, r.statusCode(), r.body());
    return HeaderCodec.DEFAULT.decodePaymentRequired(
        r.headers().firstValue("PAYMENT-REQUIRED").orElseThrow());
  }

  /** The {@code extra.facilitatorAddress} of the stack facilitator's upto kind in /supported. */
  private String supportedUptoSigner() throws Exception {
    var supported =
        MAPPER.readTree(
            http.send(
                    HttpRequest.newBuilder(URI.create(stack.facilitator().url() + "/supported"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body());
    for (var k : supported.path("kinds")) {
      if (k.path("scheme").asText().equals("upto")
          && k.path("network").asText().equals(stack.deployment().network())) {
        return k.path("extra").path("facilitatorAddress").asText();
      }
    }
    throw new AssertionError("the facilitator lists no upto kind: " + supported);
  }

  private io.attest402.demo.agent.SummaryAgent.Request uptoRequest(SummaryProvider p, String text) {
    Deployment d = stack.deployment();
    return new io.attest402.demo.agent.SummaryAgent.Request(
        URI.create(p.baseUrl() + "/summarize"),
        text.getBytes(StandardCharsets.UTF_8),
        "text/plain",
        io.attest402.demo.agent.SummaryAgent.Trust.DEFAULT,
        BigInteger.valueOf(1_000_000),
        java.util.Set.of(d.account("validator").address()),
        stack.attestationPolicy(),
        null,
        0,
        false,
        "upto");
  }

  /**
   * {@code agent --scheme upto} in the demo stack: the provider's 402 lists exact first (what the
   * page and existing clients pay) and upto after it, bound to the facilitator's signer, at most
   * the document's price; a document whose footer repeats is summarized (and charged) for its
   * distinct words only. The payer signs the maximum and is charged less: the one Transfer on chain
   * is the charge, and the agent's output shows PAYMENT-RESPONSE's charge and the receipt it
   * carries (signed by the attested key) with amount and maxAmount.
   */
  @Test
  void uptoSignsTheDocumentsPriceAndIsChargedTheWordsSummarized() throws Exception {
    SummaryProvider p = stack.startProvider("upto-provider", DevAccounts.account(4), null);
    String footer = "This report is confidential and meant only for its recipient.";
    String lead =
        "Facilitators settle x402 payments on chain. They sign a receipt for every settlement."
            + " Payers check each receipt against the attested key before they trust it.";
    String text = lead + ("\n\n" + footer).repeat(300);
    int words = io.attest402.demo.summary.DocumentText.wordCount(text);
    io.attest402.demo.provider.Pricing pricing = io.attest402.demo.provider.Pricing.defaults();
    BigInteger maximum = pricing.priceFor(words);
    long distinct =
        io.attest402.demo.summary.DocumentText.wordCount(lead)
            + io.attest402.demo.summary.DocumentText.wordCount(footer);
    BigInteger charge = pricing.priceFor(io.attest402.demo.summary.Work.words(distinct));
    assertTrue(charge.compareTo(maximum) < 0, charge + " < " + maximum);

    PaymentRequired pr = paymentRequired(p, text);
    assertEquals(2, pr.accepts().size(), pr.accepts().toString());
    assertEquals("exact", pr.accepts().get(0).scheme(), "exact stays first");
    assertEquals(maximum, pr.accepts().get(0).amount());
    var upto = pr.accepts().get(1);
    assertEquals("upto", upto.scheme());
    assertEquals(maximum, upto.amount(), "at most the price of the whole document");
    String signer = supportedUptoSigner();
    assertTrue(signer.equalsIgnoreCase(upto.extraString("facilitatorAddress")), upto.toString());
    assertNotNull(pr.extensions().get("eip2612GasSponsoring"), "a payer without allowance signs");

    Deployment d = stack.deployment();
    String payer = d.account("agent").address();
    String payTo = DevAccounts.account(4).getAddress();
    BigInteger payerBefore = usdcBalance(payer);
    BigInteger payToBefore = usdcBalance(payTo);
    Path doc = work.resolve("upto-doc.txt");
    java.nio.file.Files.writeString(doc, text);
    Path policy = work.resolve("policy-upto.json");
    java.nio.file.Files.writeString(
        policy,
        "{\"mrEnclave\":\""
            + stack.pinnedMrEnclave()
            + "\",\"simulationRoots\":[\""
            + stack.simulationRoot()
            + "\"]}");
    java.io.StringWriter out = new java.io.StringWriter();
    picocli.CommandLine cl = new picocli.CommandLine(new io.attest402.demo.cli.AgentCommand());
    cl.setOut(new java.io.PrintWriter(out));
    int code =
        cl.execute(
            "--deployment",
            work.resolve("deployment.json").toString(),
            "--provider",
            p.baseUrl(),
            "--document",
            doc.toString(),
            "--policy",
            policy.toString(),
            "--allow-simulated-tee",
            "--scheme",
            "upto",
            "--no-feedback",
            "--json");
    var json = MAPPER.readTree(out.toString());
    assertEquals(0, code, out.toString());
    assertEquals("paid", json.path("outcome").asText(), out.toString());
    assertEquals("upto", json.path("scheme").asText(), out.toString());
    assertEquals(maximum.toString(), json.path("maxAmount").asText(), out.toString());
    assertEquals(charge.toString(), json.path("amount").asText(), out.toString());
    assertTrue(json.path("receiptValid").asBoolean(), out.toString());
    assertEquals(charge.toString(), json.path("receiptAmount").asText(), out.toString());
    assertEquals(maximum.toString(), json.path("receiptMaxAmount").asText(), out.toString());
    assertTrue(
        json.path("trust").toString().contains("facilitator.boundSigner"),
        json.path("trust").toString());
    var body = json.path("response");
    assertEquals(charge.toString(), body.path("amount").asText(), body.toString());
    assertEquals(maximum.toString(), body.path("maxAmount").asText(), body.toString());
    assertEquals(distinct, body.path("work").path("used").asLong(), body.toString());
    assertEquals(words, body.path("work").path("maximum").asLong(), body.toString());

    assertEquals(payerBefore.subtract(charge), usdcBalance(payer), "the payer paid the charge");
    assertEquals(payToBefore.add(charge), usdcBalance(payTo), "and the provider got it");
    List<String[]> transfers = usdcTransfers(json.path("transaction").asText());
    assertEquals(1, transfers.size(), "one transfer");
    assertTrue(transfers.get(0)[0].equalsIgnoreCase(payer), transfers.get(0)[0]);
    assertTrue(transfers.get(0)[1].equalsIgnoreCase(payTo), transfers.get(0)[1]);
    assertEquals(charge.toString(), transfers.get(0)[2], "the transfer is the charge");

    // the text output says both, and the receipt's amounts
    out.getBuffer().setLength(0);
    assertEquals(
        0,
        cl.execute(
            "--deployment",
            work.resolve("deployment.json").toString(),
            "--provider",
            p.baseUrl(),
            "--document",
            doc.toString(),
            "--policy",
            policy.toString(),
            "--allow-simulated-tee",
            "--scheme",
            "upto",
            "--no-feedback"),
        out.toString());
    String usdc = new java.math.BigDecimal(charge, 6).toPlainString();
    String max = new java.math.BigDecimal(maximum, 6).toPlainString();
    assertTrue(
        out.toString()
            .contains(
                "upto: signed for at most "
                    + max
                    + " USDC, charged "
                    + usdc
                    + " USDC for "
                    + distinct
                    + " words of at most "
                    + words),
        out.toString());
    assertTrue(
        out.toString().contains("amount " + charge + " of maxAmount " + maximum), out.toString());
  }

  /**
   * A provider whose upto offer names a signer the attested facilitator does not hold (so that a
   * settlement could only go through someone else): the agent's trust check refuses before it signs
   * anything, and no funds move.
   */
  @Test
  void agentRefusesAnUptoOfferBoundToASignerTheAttestedFacilitatorDoesNotHold() throws Exception {
    String foreign = DevAccounts.account(5).getAddress();
    SummaryProvider p =
        stack.startProvider(
            "foreign-upto-provider", DevAccounts.account(6), null, c -> c.withUptoSigner(foreign));
    String text = "Facilitators settle payments. They sign receipts. Payers check them.";
    var offered = paymentRequired(p, text).accepts().get(1);
    assertEquals("upto", offered.scheme());
    assertEquals(foreign, offered.extraString("facilitatorAddress"));
    Deployment d = stack.deployment();
    String payer = d.account("agent").address();
    BigInteger before = usdcBalance(payer);
    var r =
        new io.attest402.demo.agent.SummaryAgent(
                d, d.account("agent").credentials(), Clock.systemUTC())
            .run(uptoRequest(p, text), s -> {});
    assertEquals("refused", r.outcome(), String.valueOf(r.refusalReasons()));
    assertTrue(
        r.trust().failures().stream()
            .anyMatch(
                c -> c.name().equals("facilitator.boundSigner") && c.detail().contains(foreign)),
        r.trust().summary());
    assertEquals(
        1,
        r.trust().failures().size(),
        "everything else about it checks out: " + r.trust().summary());
    assertEquals(before, usdcBalance(payer), "nothing paid");
    // the same provider's exact offer is still paid as before
    var exact =
        new io.attest402.demo.agent.SummaryAgent(
                d, d.account("agent").credentials(), Clock.systemUTC())
            .run(uptoRequest(p, text).withScheme("exact"), s -> {});
    assertTrue(exact.paid(), String.valueOf(exact.refusalReasons()));
    assertEquals(before.subtract(exact.amount()), usdcBalance(payer));
  }

  /**
   * The LLM backend's charge boundaries end to end: upto's maximum is the price of the tokens the
   * document can take (the words sent, estimated, plus max_tokens); a backend that reports its
   * usage is charged that; one that reports none is charged the maximum; one that reports more than
   * the maximum is charged the maximum.
   */
  @Test
  void uptoWithAnLlmBackendChargesReportedTokensAndTheMaximumWithoutUsage() throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> reply =
        new java.util.concurrent.atomic.AtomicReference<>();
    com.sun.net.httpserver.HttpServer llm =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    llm.createContext(
        "/v1/chat/completions",
        ex -> {
          ex.getRequestBody().readAllBytes();
          byte[] b = reply.get().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, b.length);
          ex.getResponseBody().write(b);
          ex.close();
        });
    llm.start();
    try {
      var summarizer =
          new io.attest402.demo.summary.ChatCompletionsSummarizer(
              "http://127.0.0.1:" + llm.getAddress().getPort() + "/v1",
              "test-model",
              null,
              java.time.Duration.ofSeconds(10));
      SummaryProvider p =
          stack.startProvider(
              "llm-upto-provider", DevAccounts.account(7), null, c -> c.withSummarizer(summarizer));
      String text = "Agents pay for summaries per request with x402. ".repeat(25);
      int words = io.attest402.demo.summary.DocumentText.wordCount(text);
      io.attest402.demo.provider.Pricing pricing = io.attest402.demo.provider.Pricing.defaults();
      BigInteger maximum = pricing.priceFor(summarizer.maximumWork(text, words));
      assertEquals(maximum, paymentRequired(p, text).accepts().get(1).amount());
      Deployment d = stack.deployment();
      var agent =
          new io.attest402.demo.agent.SummaryAgent(
              d, d.account("agent").credentials(), Clock.systemUTC());
      String content = "\"choices\":[{\"message\":{\"content\":\"Agents pay per summary.\"}}]";

      reply.set("{" + content + "}");
      var none = agent.run(uptoRequest(p, text), s -> {});
      assertTrue(none.paid(), String.valueOf(none.refusalReasons()));
      assertEquals(maximum, none.maxAmount());
      assertEquals(maximum, none.amount(), "no usage reported: charged the maximum");
      assertEquals(maximum, none.receipt().amount());
      assertFalse(
          none.body().path("work").path("reported").asBoolean(true), none.body().toString());
      assertEquals(
          List.of(maximum.toString()),
          usdcTransfers(none.transaction()).stream().map(t -> t[2]).toList());

      reply.set(
          "{"
              + content
              + ",\"usage\":{\"prompt_tokens\":300,\"completion_tokens\":400,\"total_tokens\":700}}");
      var used = agent.run(uptoRequest(p, text), s -> {});
      assertTrue(used.paid(), String.valueOf(used.refusalReasons()));
      BigInteger charge = pricing.priceFor(io.attest402.demo.summary.Work.tokens(700));
      assertTrue(charge.compareTo(maximum) < 0, charge + " < " + maximum);
      assertEquals(charge, used.amount(), "700 tokens");
      assertEquals(maximum, used.maxAmount());
      assertEquals(charge, used.receipt().amount());
      assertEquals(maximum, used.receipt().maxAmount());
      assertEquals(
          List.of(charge.toString()),
          usdcTransfers(used.transaction()).stream().map(t -> t[2]).toList());

      reply.set("{" + content + ",\"usage\":{\"total_tokens\":1000000}}");
      var over = agent.run(uptoRequest(p, text), s -> {});
      assertTrue(over.paid(), String.valueOf(over.refusalReasons()));
      assertEquals(maximum, over.amount(), "more than the maximum: cut to it");
    } finally {
      llm.stop(0);
    }
  }
}
