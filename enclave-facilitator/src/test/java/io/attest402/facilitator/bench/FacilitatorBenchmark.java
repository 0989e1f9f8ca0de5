package io.attest402.facilitator.bench;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.Facilitator;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorServer;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.facilitator.store.SqliteSettlementStore;
import io.attest402.testkit.BenchResult;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.evm.TransferWithAuthorization;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * Verify and settle throughput and latency of our facilitator and of the official facilitator logic
 * (interop/official-facilitator.mjs), side by side against one anvil with Multicall3, same
 * payloads, same load generator. Not a test: run it with bench/facilitator/run.sh.
 *
 * <p>Args: VERIFY_SECONDS (default 8), SETTLEMENTS (default 200), CONCURRENCY (default 32).
 */
public final class FacilitatorBenchmark {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  public static void main(String[] args) throws Exception {
    int verifySeconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int settlements = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    Path dir = Files.createTempDirectory("facilitator-bench");
    try (Chain chain = Chain.start()) {
      Interop.installMulticall3(chain);
      NetworksConfig networks = SettleBench.networks(chain);
      EnclaveKey key = SettleBench.fundedKeys(chain, 1, BigDecimal.valueOf(1000)).get(0);
      // ours as it ships (verify batching off, the default) verifies and settles; the same with
      // batching on only verifies (its key needs no funds), for the batched/unbatched ratio
      FacilitatorOptions options = SettleBench.options();
      Facilitator ours =
          Facilitator.create(
              networks,
              key,
              SqliteSettlementStore.open(dir.resolve("s.db"), Clock.systemUTC()),
              Clock.systemUTC(),
              options,
              SignedReceiptIssuer.of(key),
              new FacilitatorMetrics());
      FacilitatorServer server = new FacilitatorServer(ours, options, "127.0.0.1", 0);
      server.start();
      FacilitatorOptions batchedOptions = options.withVerifyBatchWindow(Duration.ofMillis(2));
      EnclaveKey batchedKey = InMemoryEnclaveKey.generate(RANDOM);
      Facilitator batched =
          Facilitator.create(
              networks,
              batchedKey,
              SqliteSettlementStore.open(dir.resolve("batched.db"), Clock.systemUTC()),
              Clock.systemUTC(),
              batchedOptions,
              SignedReceiptIssuer.of(batchedKey),
              new FacilitatorMetrics());
      FacilitatorServer batchedServer =
          new FacilitatorServer(batched, batchedOptions, "127.0.0.1", 0);
      batchedServer.start();
      Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
      env.put("FACILITATOR_PRIVATE_KEY", Interop.key(8));
      try (NodeScript official =
          NodeScript.start("official-facilitator.mjs", List.of(), env, Duration.ofSeconds(60))) {
        String oursUrl = "http://127.0.0.1:" + server.port();
        String batchedUrl = "http://127.0.0.1:" + batchedServer.port();
        String officialUrl = official.ready().path("url").asText();
        String payTo = chain.account(7).getAddress();
        Credentials[] payers = {
          chain.account(DevAccounts.AGENT),
          chain.account(DevAccounts.PROVIDER),
          chain.account(DevAccounts.VALIDATOR)
        };

        List<String> verifyBodies = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
          verifyBodies.add(
              payment(chain, payers[i % payers.length], payTo, BigInteger.valueOf(1000)));
        }
        System.err.println("warming up...");
        timed("warm-up", oursUrl + "/verify", verifyBodies, 2, concurrency);
        timed("warm-up", officialUrl + "/verify", verifyBodies, 2, concurrency);
        timed("warm-up", batchedUrl + "/verify", verifyBodies, 2, concurrency);
        System.err.println("verify: " + verifySeconds + " s each at concurrency " + concurrency);
        BenchResult vOurs =
            timed("ours", oursUrl + "/verify", verifyBodies, verifySeconds, concurrency);
        BenchResult vOfficial =
            timed("official", officialUrl + "/verify", verifyBodies, verifySeconds, concurrency);
        BenchResult vBatched =
            timed(
                "ours, batching on (2 ms)",
                batchedUrl + "/verify",
                verifyBodies,
                verifySeconds,
                concurrency);

        // both settle paths warmed alike (JIT, connections) before the measured settlements
        counted("warm-up", oursUrl + "/settle", settleBodies(chain, payers, payTo, 10), 1);
        counted("warm-up", officialUrl + "/settle", settleBodies(chain, payers, payTo, 10), 1);
        System.err.println(
            "settle: "
                + settlements
                + " distinct authorizations each at concurrency "
                + concurrency);
        BenchResult sOurs =
            counted(
                "ours",
                oursUrl + "/settle",
                settleBodies(chain, payers, payTo, settlements),
                concurrency);
        BenchResult sOfficial =
            counted(
                "official",
                officialUrl + "/settle",
                settleBodies(chain, payers, payTo, settlements),
                concurrency);

        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "facilitator benchmark: one anvil (automine), Multicall3, concurrency %d, "
                + "%d cores%n",
            concurrency,
            Runtime.getRuntime().availableProcessors());
        System.out.println("| measurement | attest402 | official (@x402 2.27.0) | ratio |");
        System.out.println("|---|---:|---:|---:|");
        row("verify throughput (req/s)", vOurs.throughput(), vOfficial.throughput(), "%.0f");
        row("verify p50 (ms)", vOurs.percentileMs(50), vOfficial.percentileMs(50), "%.1f");
        row("verify p99 (ms)", vOurs.percentileMs(99), vOfficial.percentileMs(99), "%.1f");
        System.out.printf(
            Locale.ROOT,
            "| verify throughput, batching on, 2 ms (req/s) | %.0f | | batched/unbatched %.2fx |%n",
            vBatched.throughput(),
            vBatched.throughput() / Math.max(1e-9, vOurs.throughput()));
        row("settle throughput (settled/s)", sOurs.throughput(), sOfficial.throughput(), "%.1f");
        row("settle p50 (ms)", sOurs.percentileMs(50), sOfficial.percentileMs(50), "%.1f");
        row("settle p99 (ms)", sOurs.percentileMs(99), sOfficial.percentileMs(99), "%.1f");
        System.out.printf(
            Locale.ROOT,
            "| settled ok / failed | %d / %d | %d / %d | |%n",
            sOurs.ok(),
            sOurs.failed(),
            sOfficial.ok(),
            sOfficial.failed());
        System.out.println();
        System.out.println(
            "verify errors: ours "
                + vOurs.errors()
                + ", ours batching on "
                + vBatched.errors()
                + ", official "
                + vOfficial.errors());
        System.out.println(
            "settle failures: ours " + sOurs.errors() + ", official " + sOfficial.errors());
      } finally {
        server.stop();
        batchedServer.stop();
      }
    }
  }

  private static void row(String name, double ours, double official, String fmt) {
    System.out.printf(
        Locale.ROOT,
        "| %s | " + fmt + " | " + fmt + " | %.2fx |%n",
        name,
        ours,
        official,
        ours / official);
  }

  private static List<String> settleBodies(Chain chain, Credentials[] payers, String payTo, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(payment(chain, payers[i % payers.length], payTo, BigInteger.valueOf(100 + i)));
    }
    return out;
  }

  /**
   * Runs the bodies round-robin for {@code seconds}; only 200 answers with isValid:true count as
   * ok.
   */
  static BenchResult timed(
      String name, String url, List<String> bodies, int seconds, int concurrency) throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    ConcurrentLinkedQueue<Long> lat = new ConcurrentLinkedQueue<>();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> errors = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                while (System.nanoTime() < end) {
                  String body = bodies.get(Math.floorMod(next.getAndIncrement(), bodies.size()));
                  one(url, body, "\"isValid\":true", lat, ok, failed, errors);
                }
              },
              java.util.concurrent.Executors.newSingleThreadExecutor()));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    double secs = (System.nanoTime() - t0) / 1e9;
    return new BenchResult(
        name,
        ok.get(),
        failed.get(),
        secs,
        lat.stream().mapToDouble(us -> us / 1000.0).toArray(),
        errors);
  }

  /** Sends every body once, {@code concurrency} at a time; ok = 200 with success:true. */
  static BenchResult counted(String name, String url, List<String> bodies, int concurrency)
      throws Exception {
    return counted(name, List.of(url), bodies, concurrency);
  }

  /** {@link #counted(String, String, List, int)} spread round robin over {@code urls}. */
  static BenchResult counted(String name, List<String> urls, List<String> bodies, int concurrency)
      throws Exception {
    ConcurrentLinkedQueue<Long> lat = new ConcurrentLinkedQueue<>();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> errors = new java.util.concurrent.ConcurrentHashMap<>();
    Semaphore slots = new Semaphore(concurrency);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(concurrency);
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    int n = 0;
    for (String b : bodies) {
      String url = urls.get(n++ % urls.size());
      slots.acquire();
      all.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  one(url, b, "\"success\":true", lat, ok, failed, errors);
                } finally {
                  slots.release();
                }
              },
              pool));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    double secs = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    return new BenchResult(
        name,
        ok.get(),
        failed.get(),
        secs,
        lat.stream().mapToDouble(us -> us / 1000.0).toArray(),
        errors);
  }

  private static void one(
      String url,
      String body,
      String okMarker,
      ConcurrentLinkedQueue<Long> lat,
      AtomicInteger ok,
      AtomicInteger failed,
      Map<String, Integer> errors) {
    long s = System.nanoTime();
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(120))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      long us = (System.nanoTime() - s) / 1000;
      if (r.statusCode() == 200 && r.body().replace(" ", "").contains(okMarker)) {
        ok.incrementAndGet();
        lat.add(us);
      } else {
        failed.incrementAndGet();
        errors.merge(r.statusCode() + " " + reason(r.body()), 1, Integer::sum);
      }
    } catch (Exception e) {
      failed.incrementAndGet();
      errors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
    }
  }

  private static String reason(String body) {
    try {
      var j = X402Json.parse(body);
      String r =
          j.path("invalidReason").asText(j.path("errorReason").asText(j.path("error").asText("?")));
      return r.length() > 80 ? r.substring(0, 80) : r;
    } catch (RuntimeException e) {
      return "?";
    }
  }

  static String payment(Chain chain, Credentials payer, String payTo, BigInteger amount) {
    var d = chain.deployment();
    PaymentRequirements req =
        PaymentRequirements.exactEvm(
            d.network(),
            amount,
            d.contracts().usdc(),
            payTo,
            600,
            d.usdc().name(),
            d.usdc().version());
    byte[] nonce = new byte[32];
    RANDOM.nextBytes(nonce);
    ExactEvmPayload.Authorization a =
        new ExactEvmPayload.Authorization(
            payer.getAddress(),
            payTo,
            amount,
            BigInteger.ZERO,
            BigInteger.valueOf(System.currentTimeMillis() / 1000 + 3600),
            Numeric.toHexString(nonce));
    String sig =
        Signatures.sign(
            TransferWithAuthorization.digest(Eip712Domain.of(req), a), payer.getEcKeyPair());
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/bench", "bench", "application/json"),
            req,
            new ExactEvmPayload(sig, a).toJson(),
            null);
    return X402Json.write(new FacilitatorRequest(p, req).toJson());
  }
}
