package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.enclave.KeyBinding;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.facilitator.config.NetworksConfig;
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
 * The facilitator as {@code bin/attest402 facilitator --tee simulated} runs it: its {@code /attestation} binds the
 * served key, {@code quote verify} accepts the served quote only with simulated trust, and its ERC-8004 identity is
 * owned by the attested key.
 */
@ExtendWith(ChainExtension.class)
class AttestationEndpointTest {

  @Test
  void servesAnAttestationThatBindsItsKeyAndIsOnlyTrustedWhenSimulationIsAllowed(Chain chain, @TempDir Path dir)
      throws Exception {
    var d = chain.deployment();
    StringWriter log = new StringWriter();
    try (FacilitatorNode node = FacilitatorNode.start(new FacilitatorNode.Config(d, NetworksConfig.fromDeployment(d),
        "127.0.0.1", 0, null, dir.resolve("data"), "simulated", FacilitatorOptions.defaults(), true,
        List.of(d.account("validator").address())), Clock.systemUTC(), new PrintWriter(log), new PrintWriter(log))) {
      // Startup document: report data = SHA-256(label || public key) || zeros, recomputed from the served key.
      TestKit.Answer startup = TestKit.get(node.url() + "/attestation");
      assertEquals(200, startup.status(), startup.text());
      AttestationDocument doc = AttestationDocument.fromJson(startup.text());
      assertTrue(doc.simulated(), "a simulated TEE says so");
      assertTrue(doc.signerAddress().equalsIgnoreCase(node.address()));
      byte[] reportData = Quote.parse(doc.quoteBytes()).body().reportData();
      assertTrue(Arrays.equals(KeyBinding.reportData(doc.publicKeyBytes(), null), reportData),
          "the quote binds the served public key");

      // A fresh nonce is bound too, and the checker accepts it only with simulated trust.
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      TestKit.Answer fresh = TestKit.get(node.url() + "/attestation?nonce=" + HexFormat.of().formatHex(nonce));
      assertEquals(200, fresh.status(), fresh.text());
      AttestationDocument freshDoc = AttestationDocument.fromJson(fresh.text());
      assertTrue(AttestationChecker.check(freshDoc, null, Clock.systemUTC().instant(),
          VerificationPolicy.builder().allowAnyMeasurement(true).trustSimulationRoot(
              ((io.attest402.enclave.tee.SimulatedBackend) node.identity().backend()).simulationRootFingerprint()).build(),
          nonce).ok());
      assertFalse(AttestationChecker.check(freshDoc, null, Clock.systemUTC().instant(),
          VerificationPolicy.defaults(), nonce).ok(), "default policy rejects a simulated TEE");
      assertEquals(400, TestKit.get(node.url() + "/attestation?nonce=xyz").status());

      // Fresh quotes cost the TEE a quoting round trip: past the budget, 429 with Retry-After; the startup
      // document stays available.
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.http.HttpResponse<String> limited = null;
      for (int i = 0; i < 80 && limited == null; i++) {
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            node.url() + "/attestation?nonce=" + HexFormat.of().formatHex(nonce))).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 429) {
          limited = r;
        } else {
          assertEquals(200, r.statusCode(), r.body());
        }
      }
      assertTrue(limited != null, "fresh quotes are rate-limited");
      assertTrue(limited.headers().firstValue("Retry-After").isPresent());
      assertEquals(200, TestKit.get(node.url() + "/attestation").status());

      // The served quote and collateral through the CLI: accepted with --allow-simulated, rejected without.
      Path quote = dir.resolve("quote.b64");
      Path collateral = dir.resolve("collateral.json");
      doc.writeVerifierFiles(quote, collateral);
      assertEquals(0, verifyCli(quote, collateral, "--simulation-root",
          ((io.attest402.enclave.tee.SimulatedBackend) node.identity().backend()).simulationRootFingerprint(),
          "--allow-any-measurement"));
      assertEquals(1, verifyCli(quote, collateral));

      // Its ERC-8004 identity: owned by the attested key, agentWallet the same, registration file served.
      TestKit.Answer reg = TestKit.get(node.url() + "/.well-known/agent-registration.json");
      assertEquals(200, reg.status(), reg.text());
      RegistrationFile file = RegistrationFile.parse(reg.text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertTrue(file.supportsTrust(RegistrationFile.TRUST_TEE_ATTESTATION));
      Erc8004Client registry = Erc8004Client.connect(d);
      try {
        assertTrue(registry.identity().ownerOf(node.agentId()).equalsIgnoreCase(node.address()));
        assertTrue(registry.identity().agentWallet(node.agentId()).orElseThrow().equalsIgnoreCase(node.address()));
        assertEquals(1, registry.validation().getAgentValidations(node.agentId()).size(),
            "one validation request filed with the configured validator");
      } finally {
        registry.shutdown();
      }
    }
  }

  @Test
  void restartWithTheSameSealedKeyKeepsTheAgentIdAndAsksNoSecondValidation(Chain chain, @TempDir Path dir) {
    var d = chain.deployment();
    var config = new FacilitatorNode.Config(d, NetworksConfig.fromDeployment(d), "127.0.0.1", 0, null,
        dir.resolve("data"), "simulated", FacilitatorOptions.defaults(), true, List.of(d.account("validator").address()));
    StringWriter log = new StringWriter();
    java.math.BigInteger first;
    String address;
    try (FacilitatorNode node = FacilitatorNode.start(config, Clock.systemUTC(), new PrintWriter(log),
        new PrintWriter(log))) {
      first = node.agentId();
      address = node.address();
    }
    try (FacilitatorNode again = FacilitatorNode.start(config, Clock.systemUTC(), new PrintWriter(log),
        new PrintWriter(log))) {
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

  private static int verifyCli(Path quote, Path collateral, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("verify", "--quote", quote.toString(), "--collateral",
        collateral.toString(), "--json"));
    args.addAll(List.of(extra));
    CommandLine cl = new CommandLine(new QuoteCommand());
    cl.setOut(new PrintWriter(new StringWriter()));
    cl.setErr(new PrintWriter(new StringWriter()));
    return cl.execute(args.toArray(String[]::new));
  }
}
