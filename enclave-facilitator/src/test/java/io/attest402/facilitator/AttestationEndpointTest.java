package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.enclave.KeyBinding;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.pcs.SimulatedPcs;
import io.attest402.verifier.Quote;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.cli.QuoteCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The facilitator as {@code bin/attest402 facilitator --tee simulated} runs it: its {@code
 * /attestation} binds the served key, {@code quote verify} accepts the served quote only with
 * simulated trust, and its ERC-8004 identity is owned by the attested key.
 */
@ExtendWith(ChainExtension.class)
class AttestationEndpointTest {

  /**
   * A loopback PCS serving the simulation CA of {@code dataDir} (created as the facilitator would).
   */
  static SimulatedPcs pcs(Path dataDir) throws Exception {
    return SimulatedPcs.forDataDir(dataDir, Clock.systemUTC());
  }

  static FacilitatorNode.Config config(
      io.attest402.contracts.chain.Deployment d, Path dataDir, java.net.URI pccs) {
    return new FacilitatorNode.Config(
        d,
        NetworksConfig.fromDeployment(d),
        "127.0.0.1",
        0,
        null,
        dataDir,
        "simulated",
        FacilitatorOptions.defaults(),
        true,
        List.of(d.account("validator").address()),
        pccs,
        List.of());
  }

  @Test
  void servesAnAttestationThatBindsItsKeyAndIsOnlyTrustedWhenSimulationIsAllowed(
      Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    StringWriter log = new StringWriter();
    try (SimulatedPcs pcs = pcs(dir.resolve("data"));
        FacilitatorNode node =
            FacilitatorNode.start(
                config(d, dir.resolve("data"), pcs.url()),
                Clock.systemUTC(),
                new PrintWriter(log),
                new PrintWriter(log))) {
      assertTrue(
          pcs.served("/sgx/certification/v4/tcb") >= 1,
          "the facilitator fetched its collateral from the PCS");
      String root = ((SimulatedBackend) node.identity().backend()).simulationRootFingerprint();
      VerificationPolicy pinned =
          VerificationPolicy.builder()
              .trustSimulationRoot(root)
              .mrEnclave(SimulatedBackend.SIM_MRENCLAVE)
              .build();
      // Startup document: report data = SHA-256(label || public key) || zeros, recomputed from the
      // served key.
      TestKit.Answer startup = TestKit.get(node.url() + "/attestation");
      assertEquals(200, startup.status(), startup.text());
      AttestationDocument doc = AttestationDocument.fromJson(startup.text());
      assertTrue(doc.simulated(), "a simulated TEE says so");
      assertTrue(doc.signerAddress().equalsIgnoreCase(node.address()));
      assertNotNull(doc.collateral(), "the collateral fetched from the PCS is served");
      assertEquals(node.identity().measurement(), doc.measurement());
      assertNotNull(doc.sourceRevision());
      byte[] reportData = Quote.parse(doc.quoteBytes()).body().reportData();
      assertTrue(
          Arrays.equals(KeyBinding.reportData(doc.publicKeyBytes(), null), reportData),
          "the quote binds the served public key");

      // ?nonce=: the startup quote and a signature over the nonce; the checker accepts it only with
      // the pinned root.
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      TestKit.Answer signed =
          TestKit.get(node.url() + "/attestation?nonce=" + HexFormat.of().formatHex(nonce));
      assertEquals(200, signed.status(), signed.text());
      AttestationDocument signedDoc = AttestationDocument.fromJson(signed.text());
      assertNotNull(signedDoc.freshness());
      AttestationChecker.Result ok =
          AttestationChecker.check(signedDoc, null, Clock.systemUTC().instant(), pinned, nonce);
      assertTrue(ok.ok(), ok.summary());
      assertTrue(ok.measurementPinned());
      assertFalse(
          AttestationChecker.check(
                  signedDoc,
                  null,
                  Clock.systemUTC().instant(),
                  VerificationPolicy.defaults(),
                  nonce)
              .ok(),
          "default policy rejects a simulated TEE");
      // a client that fetches its own collateral from the PCS concludes the same
      assertTrue(
          AttestationChecker.checkWithPccs(
                  signedDoc,
                  pcs.url(),
                  Clock.systemUTC(),
                  Clock.systemUTC().instant(),
                  pinned,
                  nonce)
              .ok());
      // a policy pinning another MRENCLAVE refuses
      assertFalse(
          AttestationChecker.check(
                  signedDoc,
                  null,
                  Clock.systemUTC().instant(),
                  pinned.toBuilder().mrEnclave(new byte[32]).build(),
                  nonce)
              .ok());
      assertEquals(400, TestKit.get(node.url() + "/attestation?nonce=xyz").status());
      assertEquals(400, TestKit.get(node.url() + "/attestation?fresh=1").status());

      // ?nonce=..&fresh=1: a new quote over the nonce.
      TestKit.Answer fresh =
          TestKit.get(node.url() + "/attestation?fresh=1&nonce=" + HexFormat.of().formatHex(nonce));
      assertEquals(200, fresh.status(), fresh.text());
      AttestationDocument freshDoc = AttestationDocument.fromJson(fresh.text());
      assertEquals(HexFormat.of().formatHex(nonce), freshDoc.nonce());
      assertTrue(
          AttestationChecker.check(freshDoc, null, Clock.systemUTC().instant(), pinned, nonce)
              .ok());

      // The served quote with the served collateral, and with collateral from the PCS, through the
      // CLI.
      Path quote = dir.resolve("quote.b64");
      Path collateral = dir.resolve("collateral.json");
      doc.writeVerifierFiles(quote, collateral);
      assertEquals(
          0,
          verifyCli(
              quote,
              "--collateral",
              collateral.toString(),
              "--simulation-root",
              root,
              "--allow-any-measurement"));
      assertEquals(
          0,
          verifyCli(
              quote,
              "--pccs",
              pcs.url().toString(),
              "--simulation-root",
              root,
              "--allow-any-measurement"));
      assertEquals(
          1,
          verifyCli(quote, "--collateral", collateral.toString(), "--simulation-root", root),
          "a policy without a measurement pin is refused");
      assertEquals(1, verifyCli(quote, "--collateral", collateral.toString()));
      assertEquals(
          2,
          verifyCli(
              quote,
              "--pccs",
              "http://127.0.0.1:9",
              "--simulation-root",
              root,
              "--allow-any-measurement"),
          "an unreachable PCS is an input error");

      // Its ERC-8004 identity: owned by the attested key, agentWallet the same, registration file
      // served with the
      // measurement and source revision.
      TestKit.Answer reg = TestKit.get(node.url() + "/.well-known/agent-registration.json");
      assertEquals(200, reg.status(), reg.text());
      RegistrationFile file =
          RegistrationFile.parse(reg.text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertTrue(file.supportsTrust(RegistrationFile.TRUST_TEE_ATTESTATION));
      var att = file.service(RegistrationFile.Service.ATTESTATION).orElseThrow();
      assertEquals(
          HexFormat.of().formatHex(SimulatedBackend.SIM_MRENCLAVE),
          att.extra().get("measurement").path("mrEnclave").asText(),
          reg.text());
      assertEquals(doc.sourceRevision(), att.extra().get("sourceRevision").asText());
      Erc8004Client registry = Erc8004Client.connect(d);
      try {
        assertTrue(registry.identity().ownerOf(node.agentId()).equalsIgnoreCase(node.address()));
        assertTrue(
            registry
                .identity()
                .agentWallet(node.agentId())
                .orElseThrow()
                .equalsIgnoreCase(node.address()));
        assertEquals(
            1,
            registry.validation().getAgentValidations(node.agentId()).size(),
            "one validation request filed with the configured validator");
      } finally {
        registry.shutdown();
      }
    }
  }

  @Test
  void signedNoncesHaveNoGlobalBudgetAndFreshQuotesAreLimitedPerClient(
      Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    StringWriter log = new StringWriter();
    try (SimulatedPcs pcs = pcs(dir.resolve("data"));
        FacilitatorNode node =
            FacilitatorNode.start(
                config(d, dir.resolve("data"), pcs.url()),
                Clock.systemUTC(),
                new PrintWriter(log),
                new PrintWriter(log))) {
      // 150 payers checking trust at once: every one gets its signed nonce.
      java.net.http.HttpClient http =
          java.net.http.HttpClient.newBuilder()
              .version(java.net.http.HttpClient.Version.HTTP_1_1)
              .connectTimeout(java.time.Duration.ofSeconds(30))
              .build();
      List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> all =
          new java.util.ArrayList<>();
      for (int i = 0; i < 150; i++) {
        byte[] n = new byte[32];
        new SecureRandom().nextBytes(n);
        all.add(
            http.sendAsync(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            node.url() + "/attestation?nonce=" + HexFormat.of().formatHex(n)))
                    .timeout(java.time.Duration.ofSeconds(120))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()));
      }
      long okCount = 0;
      for (var f : all) {
        var r = f.get();
        assertEquals(200, r.statusCode(), r.body());
        // Readable by a payer's web page on another origin, which verifies it itself.
        assertEquals("*", r.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        okCount++;
      }
      assertEquals(150, okCount);

      // Fresh quotes: one client floods from 127.0.0.1 and is limited; another address still gets
      // one.
      byte[] nonce = new byte[32];
      String path = "/attestation?fresh=1&nonce=" + HexFormat.of().formatHex(nonce);
      int port = java.net.URI.create(node.url()).getPort();
      String limited = null;
      for (int i = 0;
          i <= FacilitatorNode.FRESH_QUOTES_PER_CLIENT_PER_MINUTE && limited == null;
          i++) {
        String r = rawGet("127.0.0.1", port, path);
        if (r.startsWith("HTTP/1.1 429")) {
          limited = r;
        } else {
          assertTrue(r.startsWith("HTTP/1.1 200"), r);
        }
      }
      assertNotNull(limited, "a fresh-quote flood from one client is limited");
      assertTrue(limited.toLowerCase(java.util.Locale.ROOT).contains("retry-after:"), limited);
      assertTrue(
          rawGet("127.0.0.2", port, path).startsWith("HTTP/1.1 200"),
          "another client still gets one");
      assertTrue(
          rawGet("127.0.0.1", port, "/attestation?nonce=" + HexFormat.of().formatHex(nonce))
              .startsWith("HTTP/1.1 200"),
          "the flooding client still gets signed nonces");
    }
  }

  @Test
  void refusesToStartWhenThePcsIsUnreachableOrServesABadSignature(Chain chain, @TempDir Path dir)
      throws Exception {
    var d = chain.deployment();
    StringWriter log = new StringWriter();
    IllegalStateException down =
        assertThrows(
            IllegalStateException.class,
            () ->
                FacilitatorNode.start(
                    config(d, dir.resolve("data"), java.net.URI.create("http://127.0.0.1:9")),
                    Clock.systemUTC(),
                    new PrintWriter(log),
                    new PrintWriter(log)));
    assertTrue(
        down.getMessage().contains("cannot obtain collateral")
            && down.getMessage().contains("127.0.0.1:9")
            && down.getMessage().contains("simulated-pcs"),
        down.getMessage());
    var ca = SimulatedBackend.loadOrCreateCa(dir.resolve("data"), Clock.systemUTC());
    SimulatedPcs.Source good = SimulatedPcs.fromCa(ca, Clock.systemUTC());
    try (SimulatedPcs forged =
        SimulatedPcs.start(
            "127.0.0.1",
            0,
            tee -> {
              var c = good.collateral(tee);
              byte[] sig = c.qeIdentitySignature();
              sig[9] ^= 1;
              return c.toBuilder().qeIdentitySignature(sig).build();
            })) {
      IllegalStateException bad =
          assertThrows(
              IllegalStateException.class,
              () ->
                  FacilitatorNode.start(
                      config(d, dir.resolve("data"), forged.url()),
                      Clock.systemUTC(),
                      new PrintWriter(log),
                      new PrintWriter(log)));
      assertTrue(
          bad.getMessage().contains("does not verify")
              && bad.getMessage().toLowerCase(java.util.Locale.ROOT).contains("signature"),
          bad.getMessage());
    }
  }

  /** One HTTP/1.1 GET from a chosen loopback source address (127.0.0.0/8 all reach lo on Linux). */
  static String rawGet(String fromAddress, int port, String path) throws Exception {
    try (java.net.Socket s = new java.net.Socket()) {
      s.bind(new java.net.InetSocketAddress(fromAddress, 0));
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(60_000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void restartWithTheSameSealedKeyKeepsTheAgentIdAndAsksNoSecondValidation(
      Chain chain, @TempDir Path dir) throws Exception {
    var d = chain.deployment();
    try (SimulatedPcs pcs = pcs(dir.resolve("data"))) {
      restart(d, config(d, dir.resolve("data"), pcs.url()));
    }
  }

  private static void restart(
      io.attest402.contracts.chain.Deployment d, FacilitatorNode.Config config) {
    StringWriter log = new StringWriter();
    java.math.BigInteger first;
    String address;
    try (FacilitatorNode node =
        FacilitatorNode.start(
            config, Clock.systemUTC(), new PrintWriter(log), new PrintWriter(log))) {
      first = node.agentId();
      address = node.address();
    }
    try (FacilitatorNode again =
        FacilitatorNode.start(
            config, Clock.systemUTC(), new PrintWriter(log), new PrintWriter(log))) {
      assertEquals(address, again.address(), "the sealed key is restored");
      assertEquals(first, again.agentId(), "same key: same ERC-8004 identity");
      Erc8004Client registry = Erc8004Client.connect(d);
      try {
        assertEquals(1, registry.validation().getAgentValidations(first).size());
      } finally {
        registry.shutdown();
      }
    }
  }

  private static int verifyCli(Path quote, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(List.of("verify", "--quote", quote.toString(), "--json"));
    args.addAll(List.of(extra));
    CommandLine cl = new CommandLine(new QuoteCommand());
    cl.setOut(new PrintWriter(new StringWriter()));
    cl.setErr(new PrintWriter(new StringWriter()));
    return cl.execute(args.toArray(String[]::new));
  }
}
