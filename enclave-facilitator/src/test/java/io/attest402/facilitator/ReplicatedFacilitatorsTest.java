package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.ProjectPaths;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.store.PostgresServer;
import io.attest402.facilitator.store.PostgresSettlementStore;
import io.attest402.testkit.ProcessOutput;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.utils.Numeric;

/**
 * Three facilitator replicas, each its own JVM with its own sealed key and signer, on one anvil and
 * one PostgreSQL journal, behind a round-robin client that retries a request (same body, same
 * {@code Idempotency-Key}) on the next replica when it gets no final answer:
 *
 * <ul>
 *   <li>1,000 distinct settlements while replica 1 is killed with SIGKILL (with broadcast, unmined
 *       transactions of its own in flight) and restarted only after its lease expired: every
 *       authorization is used on chain exactly once, and every caller ends with success (the truth)
 *       from whichever replica answered its retry; a live replica took the dead one's lease over
 *       and the dead one took it back when it returned;
 *   <li>30 identical settles spread over the three replicas: one transaction, one success; a retry
 *       of the successful request (its key) on another replica gets the same transaction.
 * </ul>
 */
@ExtendWith(ChainExtension.class)
class ReplicatedFacilitatorsTest {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
  private static final Pattern ADDRESS = Pattern.compile("facilitator address (0x[0-9a-fA-F]{40})");
  private static final int SETTLEMENTS = 1_000;
  private static final int LEASE_SECONDS = 3;

  /** A replica JVM; {@code url} and {@code address} as it printed them. */
  record Replica(Process process, String url, String address, io.attest402.pcs.SimulatedPcs pcs) {
    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL
      process.waitFor(10, TimeUnit.SECONDS);
      pcs.close();
    }
  }

  private static Replica start(Path deployment, Path dataDir, String store, Path log)
      throws Exception {
    Files.createDirectories(dataDir);
    io.attest402.pcs.SimulatedPcs pcs =
        io.attest402.pcs.SimulatedPcs.forDataDir(dataDir, java.time.Clock.systemUTC());
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd =
        List.of(
            javaBin.toString(),
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            cp,
            "-Dattest402.root=" + ProjectPaths.root(),
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "io.attest402.facilitator.cli.FacilitatorCommand",
            "--deployment",
            deployment.toString(),
            "--port",
            "0",
            "--data-dir",
            dataDir.toString(),
            "--store",
            store,
            "--lease-seconds",
            String.valueOf(LEASE_SECONDS),
            "--tee",
            "simulated",
            "--pccs",
            pcs.url().toString(),
            "--no-register",
            "--no-anchor",
            "--payer-rate",
            "0",
            "--pay-to-rate",
            "0",
            "--gas-budget-per-hour",
            "0",
            "--receipt-timeout",
            "5",
            "--replace-after",
            "600",
            "--poll-interval-ms",
            "100");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    CompletableFuture<String> url = new CompletableFuture<>();
    CompletableFuture<String> address = new CompletableFuture<>();
    ProcessOutput.follow(
        p,
        "replica-stdout",
        line -> {
          Files.writeString(log, "stdout: " + line + "\n", java.nio.file.StandardOpenOption.APPEND);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
          Matcher a = ADDRESS.matcher(line);
          if (a.find()) {
            address.complete(a.group(1));
          }
        },
        ended -> {
          url.completeExceptionally(new IllegalStateException("replica exited before listening"));
          address.completeExceptionally(new IllegalStateException("replica exited"));
        });
    try {
      return new Replica(p, url.get(120, TimeUnit.SECONDS), address.get(10, TimeUnit.SECONDS), pcs);
    } catch (Exception e) {
      p.destroyForcibly();
      pcs.close();
      throw new AssertionError("replica did not start:\n" + Files.readString(log), e);
    }
  }

  /** Round robin over the replicas as they are now (one may be down, or restarted). */
  private static final class Client {
    final Replica[] replicas;
    final AtomicInteger next = new AtomicInteger();

    Client(Replica[] replicas) {
      this.replicas = replicas;
    }

    /**
     * POSTs {@code body} with {@code key} until some replica gives a final answer (not pending, not
     * 5xx, not unreachable), each retry on the next replica; the final answer's JSON.
     */
    TestKit.Answer settle(String body, String key, Duration within) {
      long deadline = System.nanoTime() + within.toNanos();
      TestKit.Answer last = null;
      while (System.nanoTime() < deadline) {
        Replica r = replicas[Math.floorMod(next.getAndIncrement(), replicas.length)];
        try {
          TestKit.Answer a = TestKit.post(r.url() + "/settle", body, key);
          last = a;
          if (a.status() == 200
              && a.json() != null
              && !"settlement_pending".equals(a.json().path("errorReason").asText())) {
            return a;
          }
        } catch (RuntimeException unreachable) {
          // killed replica: try the next
        }
        sleep(50);
      }
      throw new AssertionError(
          "no final answer for " + key + "; last " + (last == null ? "none" : last.text()));
    }
  }

  @Test
  void threeReplicasOneJournalSurviveAKilledReplica(Chain chain, @TempDir Path dir)
      throws Exception {
    Path deployment = dir.resolve("deployment.json");
    chain.deployment().write(deployment);
    PostgresSettlementStore.Location db = PostgresServer.freshDatabase();
    String store = "postgresql://" + db.user() + "@127.0.0.1:" + db.port() + "/" + db.database();
    Path log = dir.resolve("replicas.log");
    Files.writeString(log, "");
    Replica[] replicas = new Replica[3];
    // in parallel: each funds its new signer from the one dev deployer account at start
    ExecutorService starting = Executors.newFixedThreadPool(3);
    try {
      List<Future<Replica>> started = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Path data = dir.resolve("replica-" + i);
        started.add(starting.submit(() -> start(deployment, data, store, log)));
      }
      for (int i = 0; i < 3; i++) {
        replicas[i] = started.get(i).get(180, TimeUnit.SECONDS);
      }
    } finally {
      starting.shutdown();
    }
    ExecutorService callers = Executors.newFixedThreadPool(24);
    try {
      Credentials payer = chain.account(DevAccounts.AGENT);
      String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
      Client client = new Client(replicas);
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < SETTLEMENTS; i++) {
        bodies.add(TestKit.payment(chain, payer, payTo, BigInteger.valueOf(1_000 + i)));
      }
      AtomicInteger done = new AtomicInteger();
      List<Future<TestKit.Answer>> answers = new ArrayList<>();
      for (int i = 0; i < SETTLEMENTS; i++) {
        String body = bodies.get(i);
        String key = "replicas-" + i;
        answers.add(
            callers.submit(
                () -> {
                  TestKit.Answer a = client.settle(body, key, Duration.ofSeconds(150));
                  done.incrementAndGet();
                  return a;
                }));
      }
      TestKit.waitUntil(
          "a third of the settlements answered", Duration.ofSeconds(90), () -> done.get() >= 300);
      // replica 0 gets killed with broadcast transactions of its own waiting in the mempool
      chain.setAutomine(false);
      Thread.sleep(700);
      String killed = replicas[0].address();
      replicas[0].kill();
      chain.setAutomine(true);
      chain.mine();
      // down past its lease: a live replica takes its signer's lease and finishes its rows
      TestKit.waitUntil(
          "another replica took over the killed replica's lease",
          Duration.ofSeconds(30),
          () -> holderOf(db, killed).map(h -> !h.equalsIgnoreCase(killed)).orElse(false));
      replicas[0] = start(deployment, dir.resolve("replica-0"), store, log);
      assertEquals(killed, replicas[0].address(), "the same sealed key");
      int settled = 0;
      Map<String, Integer> byNonce = new HashMap<>();
      for (int i = 0; i < SETTLEMENTS; i++) {
        TestKit.Answer a = answers.get(i).get(180, TimeUnit.SECONDS);
        assertTrue(
            a.json().path("success").asBoolean(),
            "settlement " + i + ": the caller must learn it landed: " + a.text());
        settled++;
        byNonce.put(TestKit.nonceOf(bodies.get(i)).toLowerCase(Locale.ROOT), 0);
      }
      assertEquals(SETTLEMENTS, settled);
      Map<String, Integer> onChain = authorizationsUsed(chain, payer.getAddress());
      for (String n : byNonce.keySet()) {
        assertEquals(1, onChain.getOrDefault(n, 0), "authorization " + n + " used exactly once");
      }
      TestKit.waitUntil(
          "the restarted replica took its lease back",
          Duration.ofSeconds(30),
          () -> holderOf(db, killed).map(h -> h.equalsIgnoreCase(killed)).orElse(false));
      String logs = Files.readString(log);
      assertTrue(logs.contains("lease taken over"), "a live replica took the lease over");
      try (Connection c = PostgresServer.connect(db);
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*), count(DISTINCT replica), sum(CASE WHEN state = 'SETTLED' THEN 1"
                      + " ELSE 0 END) FROM settlements")) {
        rs.next();
        assertEquals(SETTLEMENTS, rs.getLong(1), "one journal row per settlement");
        assertEquals(3, rs.getLong(2), "three receipt chains");
        assertEquals(SETTLEMENTS, rs.getLong(3));
      }
      assertReceiptChainsUnbroken(db);

      // 30 identical settles spread over the replicas: one transaction, one success
      String one = TestKit.payment(chain, payer, payTo, BigInteger.valueOf(777));
      List<Future<TestKit.Answer>> same = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        Replica r = replicas[i % 3];
        String key = "identical-" + i;
        same.add(callers.submit(() -> TestKit.post(r.url() + "/settle", one, key)));
      }
      int successes = 0;
      String winnerKey = null;
      String tx = null;
      for (int i = 0; i < 30; i++) {
        TestKit.Answer a = same.get(i).get(120, TimeUnit.SECONDS);
        if (a.json() != null && a.json().path("success").asBoolean()) {
          successes++;
          winnerKey = "identical-" + i;
          tx = a.json().path("transaction").asText();
        }
      }
      assertEquals(1, successes, "one success for one authorization");
      assertEquals(
          1,
          TestKit.authorizationUsedCount(chain, payer.getAddress(), TestKit.nonceOf(one)),
          "one transaction");
      for (Replica r : replicas) {
        TestKit.Answer again = TestKit.post(r.url() + "/settle", one, winnerKey);
        assertTrue(again.json().path("success").asBoolean(), again.text());
        assertEquals(tx, again.json().path("transaction").asText(), "the retry learns the truth");
      }
    } finally {
      callers.shutdownNow();
      for (Replica r : replicas) {
        if (r != null) {
          r.kill();
        }
      }
    }
  }

  /** Each replica's receipts are numbered 0, 1, 2, ... and each names its predecessor. */
  private static void assertReceiptChainsUnbroken(PostgresSettlementStore.Location db)
      throws Exception {
    try (Connection c = PostgresServer.connect(db);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT replica, outcome_seq, receipt FROM settlements ORDER BY replica, outcome_seq")) {
      String replica = null;
      long expect = 0;
      String prevHash = null;
      while (rs.next()) {
        if (!rs.getString(1).equals(replica)) {
          replica = rs.getString(1);
          expect = 0;
          prevHash = "0".repeat(64);
        }
        assertEquals(expect, rs.getLong(2), "replica " + replica + "'s chain has no gap");
        com.fasterxml.jackson.databind.JsonNode receipt =
            io.attest402.x402.codec.X402Json.parse(rs.getString(3));
        assertEquals(expect, receipt.path("seq").asLong(-1));
        String payload = receipt.path("jws").asText().split("\\.")[1];
        com.fasterxml.jackson.databind.JsonNode claims =
            io.attest402.x402.codec.X402Json.parse(
                new String(
                    java.util.Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
        assertEquals(
            prevHash, claims.path("prev").asText(), "replica " + replica + " chained in order");
        prevHash = receipt.path("hash").asText();
        expect++;
      }
    }
  }

  private static java.util.Optional<String> holderOf(
      PostgresSettlementStore.Location db, String signer) {
    try (Connection c = PostgresServer.connect(db);
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT holder FROM signer_leases WHERE lower(signer) = ?")) {
      ps.setString(1, signer.toLowerCase(Locale.ROOT));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? java.util.Optional.of(rs.getString(1)) : java.util.Optional.empty();
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How many AuthorizationUsed logs each nonce of {@code authorizer} has, in one query. */
  private static Map<String, Integer> authorizationsUsed(Chain chain, String authorizer)
      throws IOException {
    EthFilter f =
        new EthFilter(
            DefaultBlockParameterName.EARLIEST,
            DefaultBlockParameterName.LATEST,
            chain.deployment().contracts().usdc());
    f.addSingleTopic(TestKit.AUTHORIZATION_USED);
    f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
    EthLog logs = chain.web3j().ethGetLogs(f).send();
    if (logs.hasError()) {
      throw new IOException(logs.getError().getMessage());
    }
    Map<String, Integer> out = new HashMap<>();
    for (EthLog.LogResult<?> r : logs.getLogs()) {
      org.web3j.protocol.core.methods.response.Log l =
          (org.web3j.protocol.core.methods.response.Log) r.get();
      out.merge(l.getTopics().get(2).toLowerCase(Locale.ROOT), 1, Integer::sum);
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
