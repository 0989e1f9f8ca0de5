package io.attest402.erc8004.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.CliFixtures;
import io.attest402.erc8004.files.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@ExtendWith(ChainExtension.class)
class RegistryCommandTest {

  record Run(int exit, String out, String err) {
    JsonNode json() {
      return Json.parse(out);
    }
  }

  static Run run(Path deployment, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new RegistryCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--deployment");
    all.add(deployment.toString());
    int exit = cl.execute(all.toArray(new String[0]));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void registerSearchPaidFeedbackAndValidationEndToEnd(Chain chain, @TempDir Path dir)
      throws Exception {
    Path deployment = dir.resolve("deployment.json");
    chain.deployment().write(deployment);
    String index = dir.resolve("index").toString();

    Run reg =
        run(
            deployment,
            "register",
            "--account",
            "provider",
            "--name",
            "Summarizer",
            "--description",
            "Summaries for pay",
            "--service",
            "x402=https://summ.example/api",
            "--x402",
            "--trust",
            "reputation",
            "--metadata",
            "category=nlp",
            "--json");
    assertEquals(0, reg.exit(), reg.err());
    JsonNode r = reg.json();
    String agentId = r.get("agentId").asText();
    assertEquals(
        chain.deployment().account("provider").address().toLowerCase(),
        r.get("agentWallet").asText().toLowerCase());
    assertTrue(r.get("agentURI").asText().startsWith("data:application/json;base64,"));
    assertEquals(agentId, r.at("/registrationFile/registrations/0/agentId").asText());

    Run search =
        run(deployment, "search", "--name", "summ", "--x402", "--data-dir", index, "--json");
    assertEquals(0, search.exit(), search.err());
    assertEquals(1, search.json().get("count").asInt());
    assertEquals(agentId, search.json().at("/agents/0/agentId").asText());
    assertEquals(
        0,
        run(deployment, "search", "--service", "MCP", "--data-dir", index, "--json")
            .json()
            .get("count")
            .asInt());
    Run human = run(deployment, "search", "--trust", "reputation", "--data-dir", index);
    assertTrue(human.out().contains("Summarizer"), human.out());

    Run give =
        run(
            deployment,
            "feedback",
            "give",
            agentId,
            "--account",
            "agent",
            "--value",
            "90",
            "--tag2",
            "x402",
            "--pay",
            "10000",
            "--json");
    assertEquals(0, give.exit(), give.err());
    assertTrue(give.json().get("paymentBacked").asBoolean(), give.out());
    assertEquals("31337", give.json().at("/feedbackFile/proofOfPayment/chainId").asText());

    Run bogus =
        run(
            deployment,
            "feedback",
            "give",
            agentId,
            "--account",
            "validator",
            "--value",
            "1",
            "--payment-tx",
            "0x" + "12".repeat(32));
    assertNotEquals(0, bogus.exit());
    assertTrue(bogus.err().contains("proof of payment does not check out"), bogus.err());
    Run unbacked =
        run(
            deployment,
            "feedback",
            "give",
            agentId,
            "--account",
            "validator",
            "--value",
            "9.5",
            "--json");
    assertEquals(0, unbacked.exit(), unbacked.err());
    assertTrue(!unbacked.json().get("paymentBacked").asBoolean());

    Run list = run(deployment, "feedback", "list", agentId, "--json");
    assertEquals(0, list.exit(), list.err());
    assertEquals(2, list.json().get("count").asInt());
    assertEquals(1, list.json().get("paymentBacked").asInt());
    Run summary = run(deployment, "feedback", "summary", agentId, "--reviewer", "agent", "--json");
    assertEquals(0, summary.exit(), summary.err());
    assertEquals("90", summary.json().at("/paymentBacked/average").asText());
    assertEquals(1, summary.json().at("/paymentBacked/count").asInt());
    assertEquals("90", summary.json().at("/trustedReviewers/average").asText());

    // a facilitator with a simulated TEE registers itself and lets the provider manage its identity
    try (CliFixtures.Facilitator fac =
        CliFixtures.facilitator(
            chain, dir.resolve("fac"), chain.deployment().account("provider").address())) {
      Run req =
          run(
              deployment,
              "validate",
              "request",
              fac.agentId().toString(),
              "--account",
              "provider",
              "--validator",
              "validator",
              "--json");
      assertEquals(0, req.exit(), req.err());
      String hash = req.json().get("requestHash").asText();

      // a validator whose policy pins no measurement refuses to run
      Run unpinned =
          run(
              deployment,
              "validator",
              "--account",
              "validator",
              "--once",
              "--data-dir",
              dir.resolve("vindex-unpinned").toString(),
              "--json");
      assertTrue(unpinned.exit() != 0, unpinned.out());
      assertTrue(unpinned.err().contains("pins no measurement"), unpinned.err());
      // pinned, but no simulation root: the simulated facilitator fails
      java.nio.file.Path pinned = dir.resolve("pinned-policy.json");
      java.nio.file.Files.writeString(
          pinned,
          "{\"mrEnclave\":\""
              + org.web3j.utils.Numeric.toHexStringNoPrefix(
                  io.attest402.enclave.tee.SimulatedBackend.SIM_MRENCLAVE)
              + "\"}");
      Run strict =
          run(
              deployment,
              "validator",
              "--account",
              "validator",
              "--once",
              "--policy",
              pinned.toString(),
              "--data-dir",
              dir.resolve("vindex-strict").toString(),
              "--json");
      assertEquals(0, strict.exit(), strict.err());
      assertEquals(0, strict.json().at("/answered/0/response").asInt(), strict.out());

      Run req2 =
          run(
              deployment,
              "validate",
              "request",
              fac.agentId().toString(),
              "--account",
              "provider",
              "--validator",
              "validator",
              "--attestation-url",
              fac.url() + "/attestation",
              "--json");
      String hash2 = req2.json().get("requestHash").asText();
      Run answered =
          run(
              deployment,
              "validator",
              "--account",
              "validator",
              "--once",
              "--simulation-root",
              fac.simulationRoot(),
              "--allow-any-measurement",
              "--data-dir",
              dir.resolve("vindex").toString(),
              "--json");
      assertEquals(0, answered.exit(), answered.err());
      assertEquals(1, answered.json().get("answered").size(), answered.out());
      assertEquals(hash2, answered.json().at("/answered/0/requestHash").asText());
      assertEquals(100, answered.json().at("/answered/0/response").asInt(), answered.out());

      Run status = run(deployment, "validate", "status", hash2, "--json");
      assertEquals(100, status.json().get("response").asInt());
      assertEquals("tee-attestation", status.json().get("tag").asText());
      assertEquals(
          0, run(deployment, "validate", "status", hash, "--json").json().get("response").asInt());

      Run show = run(deployment, "show", fac.agentId().toString(), "--json");
      assertEquals(0, show.exit(), show.err());
      assertEquals(2, show.json().at("/teeAttestation/count").asInt());
      assertEquals(50, show.json().at("/teeAttestation/averageResponse").asInt());
      Run showHuman = run(deployment, "show", agentId);
      assertTrue(showHuman.out().contains("1 payment-backed of 2 feedback"), showHuman.out());
    }
  }

  @Test
  void usageErrors(Chain chain, @TempDir Path dir) {
    Path deployment = dir.resolve("deployment.json");
    chain.deployment().write(deployment);
    Run noName = run(deployment, "register", "--account", "provider");
    assertEquals(2, noName.exit());
    assertTrue(noName.err().contains("--uri"), noName.err());
    Run noSigner = run(deployment, "register", "--name", "x");
    assertEquals(2, noSigner.exit());
    assertTrue(noSigner.err().contains("--key-file"), noSigner.err());
    Run noSuchAccount = run(deployment, "register", "--name", "x", "--account", "nobody");
    assertEquals(2, noSuchAccount.exit());
    assertTrue(noSuchAccount.err().contains("no 'nobody' dev account"), noSuchAccount.err());
    Run both =
        run(
            deployment,
            "register",
            "--name",
            "x",
            "--account",
            "provider",
            "--key-file",
            deployment.toString());
    assertEquals(2, both.exit());
    assertTrue(both.err().contains("not both"), both.err());
    Run missing = run(dir.resolve("nope.json"), "show", "0");
    assertEquals(2, missing.exit());
    Run help = run(deployment, "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("feedback") && help.out().contains("validator"), help.out());
  }
}
