package io.attest402.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.attest402.audit.cli.AuditCommand;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.FacilitatorNode;
import io.attest402.facilitator.anchor.AnchorOptions;
import io.attest402.testkit.TestFiles;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.evm.TransferWithAuthorization;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * {@code audit} against a real facilitator on a real chain: an honest one passes; a receipt removed
 * from {@code /receipts} (by a tampering front, as a dishonest operator would) is flagged, a
 * withheld last receipt only under {@code --pay-to}; an older data directory run on under the same
 * key forks from its anchor, and a receipt the auditor holds becomes an equivocation proof anyone
 * can check.
 */
@ExtendWith(ChainExtension.class)
class FacilitatorAuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final BigInteger AMOUNT = BigInteger.valueOf(1_300);

  /**
   * The simulated TEE's root, pinned from the node's own backend (the test knows it; a client would
   * configure it).
   */
  private static String simRoot(FacilitatorNode node) {
    return ((io.attest402.enclave.tee.SimulatedBackend) node.identity().backend())
        .simulationRootFingerprint();
  }

  private static VerificationPolicy simulated(FacilitatorNode node) {
    return VerificationPolicy.builder()
        .trustSimulationRoot(simRoot(node))
        .allowAnyMeasurement(true)
        .build();
  }

  @Test
  void honestPassesRemovedAndWithheldReceiptsAreFlagged(Chain chain, @TempDir Path dir)
      throws Exception {
    Deployment d = chain.deployment();
    Path deployment = dir.resolve("deployment.json");
    d.write(deployment);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    try (FacilitatorNode node = start(d, dir.resolve("data"), AnchorOptions.defaults())) {
      for (int i = 0; i < 3; i++) {
        settle(node.url(), chain, chain.account(DevAccounts.AGENT), payTo);
      }
      // honest: everything holds, three settlements listed for the provider
      Result ok =
          audit(
              node.url(),
              deployment,
              "--pay-to",
              payTo,
              "--simulation-root",
              simRoot(node),
              "--allow-any-measurement");
      assertEquals(0, ok.exit(), ok.out());
      assertTrue(ok.json().path("ok").asBoolean());
      assertEquals(3, ok.json().path("receipts").asInt());
      assertEquals(3, ok.json().path("settlements").size());
      assertEquals(0, ok.json().path("problems").size());

      // without --simulation-root the default policy refuses the simulated TEE: a problem, exit 1
      Result strict = audit(node.url(), deployment);
      assertEquals(1, strict.exit(), strict.out());
      assertEquals("attestation", strict.json().path("problems").get(0).path("kind").asText());

      // a front that removes seq 1 from /receipts: a gap, and under --pay-to its transfer has no
      // receipt
      try (Front front = Front.dropping(node.url(), seq -> seq == 1)) {
        Result gap =
            audit(
                front.url(),
                deployment,
                "--simulation-root",
                simRoot(node),
                "--allow-any-measurement");
        assertEquals(1, gap.exit(), gap.out());
        assertTrue(kinds(gap).contains("GAP"), gap.out());
        Result withheld =
            audit(
                front.url(),
                deployment,
                "--simulation-root",
                simRoot(node),
                "--allow-any-measurement",
                "--pay-to",
                payTo);
        assertTrue(kinds(withheld).contains("withheld-receipt"), withheld.out());
      }
      // a front that withholds the newest receipt: the chain alone looks whole; --pay-to catches
      // the transfer
      try (Front front = Front.dropping(node.url(), seq -> seq == 2)) {
        Result alone =
            audit(
                front.url(),
                deployment,
                "--simulation-root",
                simRoot(node),
                "--allow-any-measurement");
        assertEquals(
            0,
            alone.exit(),
            "nothing anchored yet, so a withheld tail is invisible without --pay-to: "
                + alone.out());
        Result withheld =
            audit(
                front.url(),
                deployment,
                "--simulation-root",
                simRoot(node),
                "--allow-any-measurement",
                "--pay-to",
                payTo);
        assertEquals(1, withheld.exit(), withheld.out());
        assertEquals(List.of("withheld-receipt"), kinds(withheld), withheld.out());
        assertEquals(2, withheld.json().path("settlements").size());
      }
    }
    // the shutdown anchored seq 2: now a front withholding it is behind the anchor even without
    // --pay-to
    try (FacilitatorNode node = start(d, dir.resolve("data"), AnchorOptions.defaults());
        Front front = Front.dropping(node.url(), seq -> seq == 2)) {
      Result behind =
          audit(
              front.url(),
              deployment,
              "--simulation-root",
              simRoot(node),
              "--allow-any-measurement");
      assertEquals(1, behind.exit(), behind.out());
      assertEquals(2, behind.json().path("anchoredSeq").asInt());
      assertTrue(kinds(behind).contains("behind-anchor"), behind.out());
    }
  }

  @Test
  void aFacilitatorWithFourSignersPassesAndATransferByAnySignerWithoutReceiptIsFlagged(
      Chain chain, @TempDir Path dir) throws Exception {
    Deployment d = chain.deployment();
    Path deployment = dir.resolve("deployment.json");
    d.write(deployment);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    try (FacilitatorNode node = start(d, dir.resolve("data"), AnchorOptions.defaults(), 4)) {
      List<String> signers =
          node.identity().signers().stream().map(io.attest402.enclave.EnclaveKey::address).toList();
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(8);
      List<java.util.concurrent.Future<JsonNode>> fs = new ArrayList<>();
      Credentials[] payers = {
        chain.account(DevAccounts.AGENT), chain.account(DevAccounts.VALIDATOR)
      };
      for (int i = 0; i < 8; i++) {
        Credentials p = payers[i % 2];
        fs.add(pool.submit(() -> settle(node.url(), chain, p, payTo)));
      }
      for (var f : fs) {
        f.get();
      }
      pool.shutdown();
      Result ok =
          audit(
              node.url(),
              deployment,
              "--pay-to",
              payTo,
              "--simulation-root",
              simRoot(node),
              "--allow-any-measurement");
      assertEquals(0, ok.exit(), ok.out());
      assertEquals(8, ok.json().path("settlements").size(), ok.out());
      // a receipt naming a signer other than the identity key, withheld by a front
      JsonNode page = JSON.readTree(get(node.url() + "/receipts?from=0"));
      long hidden = -1;
      for (JsonNode e : page.path("receipts")) {
        var r =
            io.attest402.x402.receipt.ReceiptVerifier.verify(
                e.path("receipt").path("jws").asText(), node.address());
        assertTrue(signers.stream().anyMatch(a -> a.equalsIgnoreCase(r.sender())), r.toString());
        if (!r.sender().equalsIgnoreCase(node.address())) {
          hidden = r.seq();
        }
      }
      assertTrue(hidden >= 0, "some settlement was sent by a signer other than signer 1");
      long drop = hidden;
      try (Front front = Front.dropping(node.url(), seq -> seq == drop)) {
        Result withheld =
            audit(
                front.url(),
                deployment,
                "--simulation-root",
                simRoot(node),
                "--allow-any-measurement",
                "--pay-to",
                payTo);
        assertEquals(1, withheld.exit(), withheld.out());
        assertTrue(kinds(withheld).contains("withheld-receipt"), withheld.out());
      }
    }
  }

  private static String get(String url) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void aForkedJournalIsProvenWithAnEquivocationProof(Chain chain, @TempDir Path dir)
      throws Exception {
    Deployment d = chain.deployment();
    Path deployment = dir.resolve("deployment.json");
    d.write(deployment);
    Path data = dir.resolve("data");
    Path copy = dir.resolve("copy");
    Credentials payer = chain.account(DevAccounts.AGENT);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    AnchorOptions every2 = AnchorOptions.defaults().withEvery(2).withInterval(Duration.ofHours(1));
    String original;
    try (FacilitatorNode node = start(d, data, every2)) {
      settle(node.url(), chain, payer, payTo);
      settle(node.url(), chain, payer, payTo);
    }
    TestFiles.copyTree(data, copy);
    try (FacilitatorNode node = start(d, data, every2)) {
      // the provider keeps the receipt it was given (PAYMENT-RESPONSE carries it)
      original =
          settle(node.url(), chain, payer, payTo)
              .path("extensions")
              .path("attest402-receipt")
              .path("jws")
              .asText();
    }
    Path held = dir.resolve("held.txt");
    Files.writeString(held, original + "\n");
    // the old copy, run with anchoring off, signs its own seq 2
    try (FacilitatorNode forked = start(d, copy, AnchorOptions.disabled())) {
      settle(forked.url(), chain, payer, payTo);
      Result r =
          audit(
              forked.url(),
              deployment,
              "--simulation-root",
              simRoot(forked),
              "--allow-any-measurement",
              "--receipts",
              held.toString());
      assertEquals(1, r.exit(), r.out());
      assertEquals(2, r.json().path("anchoredSeq").asInt());
      assertTrue(kinds(r).containsAll(List.of("fork", "equivocation")), r.out());
      JsonNode proof = r.json().path("equivocationProofs").get(0);
      assertEquals(2, proof.path("seq").asInt());

      // the proof stands on its own: no facilitator, no chain
      EquivocationProof.Verdict v =
          EquivocationProof.check(
              JSON.readTree(proof.toString()), simulated(forked), Clock.systemUTC().instant());
      assertTrue(v.ok(), v.reasons().toString());
      assertTrue(v.signer().equalsIgnoreCase(forked.address()));
      // and it cannot be faked: one receipt twice, or a receipt altered, does not prove anything
      ObjectNode same = (ObjectNode) JSON.readTree(proof.toString());
      ((ArrayNode) same.path("receipts")).set(1, same.path("receipts").get(0));
      assertFalse(
          EquivocationProof.check(same, simulated(forked), Clock.systemUTC().instant()).ok());
      ObjectNode altered = (ObjectNode) JSON.readTree(proof.toString());
      String jws = altered.path("receipts").get(1).asText();
      ((ArrayNode) altered.path("receipts"))
          .set(
              1,
              JSON.getNodeFactory()
                  .textNode(
                      jws.substring(0, jws.length() - 4)
                          + (jws.endsWith("AAAA") ? "BBBB" : "AAAA")));
      assertFalse(
          EquivocationProof.check(altered, simulated(forked), Clock.systemUTC().instant()).ok());
    }
  }

  @Test
  void badInputExitsTwo(Chain chain, @TempDir Path dir) throws Exception {
    Path deployment = dir.resolve("deployment.json");
    chain.deployment().write(deployment);
    assertEquals(2, audit("http://127.0.0.1:1", deployment).exit(), "unreachable facilitator");
    assertEquals(
        2, audit("http://127.0.0.1:1", dir.resolve("missing.json")).exit(), "no deployment file");
    assertEquals(
        2, audit("http://127.0.0.1:1", deployment, "--pay-to", "bob").exit(), "bad address");
  }

  // ------------------------------------------------------------------------------------------------ helpers

  record Result(int exit, String out, JsonNode json) {}

  private static List<String> kinds(Result r) {
    List<String> k = new ArrayList<>();
    r.json().path("problems").forEach(p -> k.add(p.path("kind").asText()));
    return k;
  }

  private static Result audit(String url, Path deployment, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of("--facilitator", url, "--deployment", deployment.toString(), "--json"));
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cl = new picocli.CommandLine(new AuditCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args.toArray(String[]::new));
    JsonNode json = null;
    try {
      json = out.toString().isBlank() ? JSON.createObjectNode() : JSON.readTree(out.toString());
    } catch (IOException e) {
      throw new AssertionError("--json output is not JSON: " + out, e);
    }
    return new Result(exit, out + err.toString(), json);
  }

  /**
   * PCS servers started for the facilitators of this class (collateral only over HTTP, as on
   * hardware).
   */
  private static final io.attest402.pcs.SimulatedPcsPool PCS =
      new io.attest402.pcs.SimulatedPcsPool(Clock.systemUTC());

  @org.junit.jupiter.api.AfterAll
  static void stopPcs() {
    PCS.close();
  }

  private static FacilitatorNode start(Deployment d, Path data, AnchorOptions anchors) {
    return start(d, data, anchors, 1);
  }

  private static FacilitatorNode start(
      Deployment d, Path data, AnchorOptions anchors, int signers) {
    StringWriter log = new StringWriter();
    return FacilitatorNode.start(
        FacilitatorNode.Config.simulated(d, data, PCS.forDataDir(data)).withSigners(signers),
        anchors,
        Clock.systemUTC(),
        new PrintWriter(log, true),
        new PrintWriter(log, true));
  }

  /** A valid payment settled through the facilitator; returns the settle response. */
  private static JsonNode settle(String url, Chain chain, Credentials payer, String payTo)
      throws Exception {
    var d = chain.deployment();
    PaymentRequirements req =
        PaymentRequirements.exactEvm(
            d.network(),
            AMOUNT,
            d.contracts().usdc(),
            payTo,
            300,
            d.usdc().name(),
            d.usdc().version());
    byte[] nonce = new byte[32];
    RANDOM.nextBytes(nonce);
    var auth =
        new ExactEvmPayload.Authorization(
            payer.getAddress(),
            payTo,
            AMOUNT,
            BigInteger.ZERO,
            BigInteger.valueOf(System.currentTimeMillis() / 1000 + 300),
            Numeric.toHexString(nonce));
    var payload =
        new ExactEvmPayload(
            Signatures.sign(
                TransferWithAuthorization.digest(Eip712Domain.of(req), auth), payer.getEcKeyPair()),
            auth);
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/summarize", "Summary", "application/json"),
            req,
            payload.toJson(),
            null);
    String body = X402Json.write(new FacilitatorRequest(p, req).toJson());
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url + "/settle"))
                .timeout(Duration.ofSeconds(90))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonNode json = JSON.readTree(r.body());
    assertTrue(json.path("success").asBoolean(), r.body());
    return json;
  }

  /**
   * A tampering front for a facilitator: passes GETs through, drops chosen receipts from /receipts.
   */
  record Front(HttpServer server) implements AutoCloseable {
    static Front dropping(String target, LongPredicate drop) throws IOException {
      HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      s.createContext(
          "/",
          ex -> {
            try {
              HttpResponse<String> r =
                  HTTP.send(
                      HttpRequest.newBuilder(URI.create(target + ex.getRequestURI()))
                          .timeout(Duration.ofSeconds(30))
                          .GET()
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              String body = r.body();
              if (ex.getRequestURI().getPath().equals("/receipts")) {
                ObjectNode page = (ObjectNode) JSON.readTree(body);
                ArrayNode kept = JSON.createArrayNode();
                page.path("receipts")
                    .forEach(
                        e -> {
                          if (!drop.test(e.path("sequence").asLong())) {
                            kept.add(e);
                          }
                        });
                page.set("receipts", kept);
                body = JSON.writeValueAsString(page);
              }
              byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
              ex.getResponseHeaders().add("content-type", "application/json");
              ex.sendResponseHeaders(r.statusCode(), bytes.length);
              try (OutputStream o = ex.getResponseBody()) {
                o.write(bytes);
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              ex.sendResponseHeaders(502, -1);
            } finally {
              ex.close();
            }
          });
      s.start();
      return new Front(s);
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
