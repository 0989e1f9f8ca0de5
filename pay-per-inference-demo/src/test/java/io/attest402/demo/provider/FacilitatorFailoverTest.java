package io.attest402.demo.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.demo.agent.SummaryAgent;
import io.attest402.demo.stack.FacilitatorProcess;
import io.attest402.demo.stack.LocalStack;
import io.attest402.x402.facilitator.FailoverFacilitatorClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/**
 * A provider with several facilitators on anvil, each facilitator a real one from the enclave
 * artifact: one whose ERC-8004 identity does not check out is skipped; an agent's {@code
 * facilitator-demand} is settled through the demanded facilitator (the transaction's sender on
 * chain) or refused, with nothing moved; the per-facilitator counters on {@code /metrics}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FacilitatorFailoverTest {
  static final String DOC =
      "Dora pays for a summary. The provider settles through a facilitator it checked. ";
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  LocalStack stack;
  FacilitatorProcess first;
  FacilitatorProcess second;

  @BeforeAll
  void start(@TempDir Path dir) {
    stack = new LocalStack(dir, Clock.systemUTC());
    stack.startChain();
    first = stack.startFacilitator();
    second = stack.startReplica("second-facilitator");
  }

  @AfterAll
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /**
   * A relay in front of {@code target}: answers everything as the target does (so its health and
   * attestation pass, with the target's key), except the registration file when {@code
   * withRegistration} is false; counts the payments it is asked to verify or settle.
   */
  static final class Relay implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger payments = new AtomicInteger();

    Relay(String target, boolean withRegistration) throws Exception {
      HttpClient client = HttpClient.newHttpClient();
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          ex -> {
            String path = ex.getRequestURI().toString();
            if (path.startsWith("/verify") || path.startsWith("/settle")) {
              payments.incrementAndGet();
            }
            if (!withRegistration && path.startsWith("/.well-known/agent-registration.json")) {
              ex.sendResponseHeaders(404, -1);
              ex.close();
              return;
            }
            try (InputStream in = ex.getRequestBody()) {
              byte[] body = in.readAllBytes();
              HttpRequest.Builder b =
                  HttpRequest.newBuilder(URI.create(target + path))
                      .timeout(Duration.ofSeconds(60))
                      .method(
                          ex.getRequestMethod(),
                          body.length == 0
                              ? HttpRequest.BodyPublishers.noBody()
                              : HttpRequest.BodyPublishers.ofByteArray(body));
              String type = ex.getRequestHeaders().getFirst("Content-Type");
              if (type != null) {
                b.header("Content-Type", type);
              }
              HttpResponse<byte[]> r =
                  client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
              r.headers()
                  .firstValue("Content-Type")
                  .ifPresent(t -> ex.getResponseHeaders().add("Content-Type", t));
              ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
              try (OutputStream out = ex.getResponseBody()) {
                out.write(r.body());
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              ex.sendResponseHeaders(502, -1);
            } finally {
              ex.close();
            }
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  BigInteger balance(String who) throws Exception {
    return TestUSDC.load(
            stack.deployment().contracts().usdc(),
            stack.chain().web3j(),
            new ReadonlyTransactionManager(stack.chain().web3j(), who),
            new DefaultGasProvider())
        .balanceOf(who)
        .send();
  }

  SummaryAgent.Result pay(SummaryProvider p, SummaryAgent agent) throws Exception {
    return agent.run(
        new SummaryAgent.Request(
            URI.create(p.baseUrl() + "/summarize"),
            DOC.getBytes(StandardCharsets.UTF_8),
            "text/plain",
            SummaryAgent.Trust.NONE,
            BigInteger.valueOf(1_000_000),
            Set.of(),
            stack.attestationPolicy(),
            null,
            0,
            false),
        s -> {});
  }

  SummaryAgent agent() {
    return new SummaryAgent(
            stack.deployment(), DevAccounts.account(DevAccounts.AGENT), Clock.systemUTC())
        .withAttestationPolicy(stack.attestationPolicy());
  }

  String sender(String tx) throws Exception {
    return stack
        .chain()
        .web3j()
        .ethGetTransactionByHash(tx)
        .send()
        .getTransaction()
        .orElseThrow()
        .getFrom();
  }

  JsonNode facilitators(SummaryProvider p) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/facilitators")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return JSON.readTree(r.body()).path("facilitators");
  }

  @Test
  void theReplicaRunsThePinnedMeasurementWithItsOwnKey() {
    assertEquals(stack.pinnedMrEnclave(), second.reportedMeasurement());
    assertFalse(first.address().equalsIgnoreCase(second.address()));
    assertNotNull(second.agentId());
  }

  /**
   * A relay that serves another facilitator's attestation passes {@code /health} and the
   * attestation policy; only its identity gives it away: without a registration file it is not
   * registered, with the relayed one the agent is registered at the other facilitator's URL. Either
   * way it is down with the reason and never asked; the payment settles through the next one.
   */
  @Test
  void aFacilitatorWhoseIdentityDoesNotCheckOutIsSkipped() throws Exception {
    for (boolean withRegistration : List.of(false, true)) {
      try (Relay relay = new Relay(first.url(), withRegistration)) {
        var key = DevAccounts.account(withRegistration ? 6 : 7);
        SummaryProvider p =
            stack.startProvider(
                "identity-provider-" + withRegistration,
                key,
                null,
                List.of(relay.url(), second.url()));
        JsonNode listed = facilitators(p);
        assertFalse(listed.get(0).path("healthy").asBoolean(), listed.toString());
        String reason = listed.get(0).path("reason").asText();
        assertTrue(
            reason.startsWith(
                withRegistration
                    ? "identity: agent #" + first.agentId() + " is registered at " + first.url()
                    : "identity: serves no ERC-8004 registration file"),
            reason);
        assertTrue(listed.get(1).path("healthy").asBoolean(), listed.toString());
        assertEquals(
            "ERC-8004 agent #" + second.agentId(),
            p.facilitatorStatus().get(1).reason(),
            "the genuine one passes the identity check");

        BigInteger before = balance(key.getAddress());
        SummaryAgent.Result r = pay(p, agent());
        assertEquals("paid", r.outcome(), String.join("; ", r.refusalReasons()));
        assertTrue(second.address().equalsIgnoreCase(sender(r.transaction())));
        assertEquals(before.add(r.amount()), balance(key.getAddress()), "one transfer");
        assertEquals(0, relay.payments.get(), "the relay was never asked to verify or settle");
        p.close();
      }
    }
  }

  @Test
  void anAgentsDemandedFacilitatorSettlesAndAnUnlistedOneIsRefused() throws Exception {
    var key = DevAccounts.account(8);
    SummaryProvider p =
        stack.startProvider("demand-provider", key, null, List.of(first.url(), second.url()));
    BigInteger before = balance(key.getAddress());
    SummaryAgent.Result r = pay(p, agent().demandingFacilitators(List.of(second.url() + "/")));
    assertEquals("paid", r.outcome(), String.join("; ", r.refusalReasons()));
    assertTrue(
        second.address().equalsIgnoreCase(sender(r.transaction())),
        "settled through the demanded, second facilitator");
    assertTrue(r.receiptCheck().startsWith("valid"), r.receiptCheck());
    assertEquals(before.add(r.amount()), balance(key.getAddress()));

    // the provider's /metrics: per facilitator, in Prometheus form, no addresses
    HttpResponse<String> m =
        http.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, m.statusCode());
    assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(
        m.body()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("attest402_provider_facilitator_events_total{")
                        && l.contains("event=\"settle_success\"")
                        && l.contains("facilitator=\"" + second.url() + "\"")
                        && l.endsWith(" 1.0")),
        m.body());
    assertTrue(
        m.body()
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("attest402_provider_facilitator_healthy{")
                        && l.contains("facilitator=\"" + first.url() + "\"")
                        && l.endsWith(" 1.0")),
        m.body());
    assertTrue(
        m.body()
            .lines()
            .noneMatch(
                l ->
                    l.contains("event=\"settle_success\"")
                        && l.contains("facilitator=\"" + first.url() + "\"")),
        "the first was not asked: " + m.body());
    String lower = m.body().toLowerCase(java.util.Locale.ROOT);
    assertFalse(
        lower.contains(DevAccounts.account(DevAccounts.AGENT).getAddress().toLowerCase())
            || lower.contains(key.getAddress().toLowerCase()),
        "no payer or payTo in the labels");

    // a demand the provider cannot meet: the documented refusal, nothing moves
    String agentAddress = DevAccounts.account(DevAccounts.AGENT).getAddress();
    BigInteger agentBefore = balance(agentAddress);
    BigInteger payToBefore = balance(key.getAddress());
    SummaryAgent.Result refused =
        pay(p, agent().demandingFacilitators(List.of("http://127.0.0.1:9")));
    assertFalse(refused.paid());
    assertEquals(402, refused.httpStatus());
    assertTrue(
        String.join("; ", refused.refusalReasons())
            .contains(FailoverFacilitatorClient.DEMANDED_NOT_AVAILABLE),
        refused.refusalReasons().toString());
    assertEquals(agentBefore, balance(agentAddress));
    assertEquals(payToBefore, balance(key.getAddress()));
  }

  /**
   * {@code provider --pccs}: the provider fetches the collateral for each facilitator's quote from
   * the PCS itself (the loopback PCS counts the fetches); a PCS that does not answer makes the
   * facilitator fail its attestation check, with the reason.
   */
  @Test
  void aProviderWithPccsFetchesTheCollateralItself() throws Exception {
    long tcbBefore = stack.pcs().served("/sgx/certification/v4/tcb");
    SummaryProvider p =
        stack.startProvider(
            "pccs-provider", DevAccounts.account(5), null, List.of(first.url()), stack.pcs().url());
    assertTrue(p.facilitatorStatus().get(0).healthy(), p.facilitatorStatus().toString());
    assertTrue(
        stack.pcs().served("/sgx/certification/v4/tcb") > tcbBefore,
        "the provider asked the PCS for the TCB info");
    p.close();

    SummaryProvider offline =
        stack.startProvider(
            "pccs-offline-provider",
            DevAccounts.account(4),
            null,
            List.of(first.url()),
            URI.create("http://127.0.0.1:9"));
    var status = offline.facilitatorStatus().get(0);
    assertFalse(status.healthy());
    assertTrue(
        status.reason().contains("cannot fetch collateral for the quote from the PCCS"),
        status.reason());
    offline.close();
  }
}
