package io.attest402.demo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.FacilitatorNode;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.testkit.BenchResult;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.testing.Interop;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A whole paid request, end to end, on one automining anvil: client → resource server → facilitator
 * → chain → response. Ours: {@link PayingHttpClient} → Vert.x route behind {@link
 * X402PaymentHandler} (delivery store in SQLite) → our facilitator ({@link FacilitatorNode},
 * simulated TEE) → anvil. Official: {@code @x402/fetch} → {@code @x402/express} → the official
 * facilitator ({@code @x402/core} + {@code @x402/evm}, interop/official-*.mjs). Same price, same
 * token, each with its own payer and settlement account. Not a test: bench/paid-request/run.sh.
 *
 * <p>Args: REQUESTS (default 100) at concurrency 1, then REQUESTS × 2 at CONCURRENCY (default 8).
 */
public final class PaidRequestBenchmark {
  static final BigInteger PRICE = BigInteger.valueOf(1_000);
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Path dir = Files.createTempDirectory("paid-request-bench");
    Vertx vertx = Vertx.vertx();
    try (Chain chain = Chain.start()) {
      Deployment d = chain.deployment();
      Interop.installMulticall3(chain);
      StringWriter sink = new StringWriter();
      // the drain limits are off: one payer pays back to back, the bench measures throughput
      FacilitatorOptions options =
          FacilitatorOptions.defaults()
              .withPollInterval(Duration.ofMillis(20))
              .withLimits(io.attest402.facilitator.SettleLimits.defaults().withRates(0, 0, 0));
      io.attest402.pcs.SimulatedPcs pcs =
          io.attest402.pcs.SimulatedPcs.forDataDir(dir.resolve("facilitator"), Clock.systemUTC());
      FacilitatorNode ours =
          FacilitatorNode.start(
              FacilitatorNode.Config.simulated(d, dir.resolve("facilitator"), pcs.url())
                  .withOptions(options),
              Clock.systemUTC(),
              new PrintWriter(sink, true),
              new PrintWriter(sink, true));
      SqliteDeliveryStore deliveries =
          SqliteDeliveryStore.open(dir.resolve("provider/deliveries.db"));
      Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
      env.put("FACILITATOR_PRIVATE_KEY", Interop.key(8));
      try (NodeScript officialFacilitator =
          NodeScript.start("official-facilitator.mjs", List.of(), env, Duration.ofSeconds(60))) {
        String payTo = chain.account(7).getAddress();
        String asset = d.contracts().usdc();

        // ours: the handler on a Vert.x route, settling through our facilitator
        Router router = Router.router(vertx);
        router
            .get("/weather")
            .handler(
                X402PaymentHandler.builder(HttpFacilitatorClient.of(ours.url()))
                    .accept(
                        PaymentOption.fixed(
                                d.network(),
                                asset,
                                d.usdc().name(),
                                d.usdc().version(),
                                payTo,
                                PRICE)
                            .withMaxTimeoutSeconds(60))
                    .deliveryStore(deliveries)
                    .description("Weather report")
                    .mimeType("application/json")
                    .route(
                        (ctx, p) ->
                            Future.succeededFuture(
                                PaidResponse.json("{\"report\":\"sunny\",\"paid\":true}")))
                    .build());
        HttpServer server = VertxTesting.listen(vertx, router);
        URI ourUrl = URI.create("http://127.0.0.1:" + server.actualPort() + "/weather");
        PayingHttpClient agent =
            new PayingHttpClient(
                HTTP,
                new Eip3009Signer(chain.account(DevAccounts.AGENT), Clock.systemUTC()),
                SpendPolicy.builder().maxPerRequest(PRICE).build(),
                TrustHook.allowAll());

        // official: @x402/express settling through the official facilitator, paid by @x402/fetch
        Map<String, String> serverEnv = new HashMap<>();
        serverEnv.put("FACILITATOR_URL", officialFacilitator.ready().path("url").asText());
        serverEnv.put("PAY_TO", payTo);
        serverEnv.put("ASSET", asset);
        serverEnv.put("PRICE", PRICE.toString());
        serverEnv.put("NETWORK", d.network());
        try (NodeScript express =
            NodeScript.start(
                "official-express-server.mjs", List.of(), serverEnv, Duration.ofSeconds(60))) {
          String officialUrl = express.ready().path("url").asText();
          Map<String, String> clientEnv = new HashMap<>();
          clientEnv.put("PRIVATE_KEY", Interop.key(DevAccounts.PROVIDER));
          clientEnv.put("ASSET", asset);
          clientEnv.put("MAX_AMOUNT", PRICE.toString());
          clientEnv.put("NETWORK", d.network());

          System.err.println("warming up...");
          ours(agent, ourUrl, 20, 1);
          official(officialUrl, clientEnv, 20, 1);
          System.err.println(
              requests
                  + " paid requests each at concurrency 1, "
                  + 2 * requests
                  + " at "
                  + concurrency);
          BenchResult ours1 = ours(agent, ourUrl, requests, 1);
          BenchResult official1 = official(officialUrl, clientEnv, requests, 1);
          BenchResult oursN = ours(agent, ourUrl, 2 * requests, concurrency);
          BenchResult officialN = official(officialUrl, clientEnv, 2 * requests, concurrency);

          System.out.println();
          System.out.printf(
              Locale.ROOT,
              "paid request end to end (client → server → facilitator → anvil automine"
                  + " → response), %d cores%n",
              Runtime.getRuntime().availableProcessors());
          System.out.println(
              "| stack | concurrency | p50 (ms) | p99 (ms) | throughput (paid req/s) | ok / failed |");
          System.out.println("|---|---:|---:|---:|---:|---:|");
          row("attest402 (PayingHttpClient → X402PaymentHandler → our facilitator)", 1, ours1);
          row("official (@x402/fetch → @x402/express → official facilitator)", 1, official1);
          row("attest402", concurrency, oursN);
          row("official", concurrency, officialN);
          System.out.printf(
              Locale.ROOT,
              "ratios ours/official: p50 at 1 %.2fx, throughput at 1 %.2fx, "
                  + "throughput at %d %.2fx%n",
              ours1.percentileMs(50) / official1.percentileMs(50),
              ours1.throughput() / official1.throughput(),
              concurrency,
              oursN.throughput() / officialN.throughput());
          System.out.println(
              "failures: ours "
                  + ours1.errors()
                  + " "
                  + oursN.errors()
                  + ", official "
                  + official1.errors()
                  + " "
                  + officialN.errors());
        } finally {
          VertxTesting.await(server.close());
          ours.close();
          deliveries.close();
        }
      }
    } finally {
      VertxTesting.await(vertx.close());
    }
  }

  private static void row(String name, int concurrency, BenchResult r) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %.1f | %.1f | %.1f | %d / %d |%n",
        name,
        concurrency,
        r.percentileMs(50),
        r.percentileMs(99),
        r.throughput(),
        r.ok(),
        r.failed());
  }

  static BenchResult ours(PayingHttpClient agent, URI url, int n, int concurrency)
      throws Exception {
    ConcurrentLinkedQueue<Double> lat = new ConcurrentLinkedQueue<>();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> errors = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    long t0 = System.nanoTime();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(
          CompletableFuture.runAsync(
              () -> {
                while (next.getAndIncrement() < n) {
                  long s = System.nanoTime();
                  try {
                    PaymentResult<String> r =
                        agent.send(
                            HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.isPaid()) {
                      ok.incrementAndGet();
                      lat.add((System.nanoTime() - s) / 1e6);
                    } else {
                      failed.incrementAndGet();
                      errors.merge(
                          String.valueOf(r).substring(0, Math.min(80, String.valueOf(r).length())),
                          1,
                          Integer::sum);
                    }
                  } catch (Exception e) {
                    failed.incrementAndGet();
                    errors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                  }
                }
              },
              pool));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).join();
    double secs = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();
    return new BenchResult(
        "ours",
        ok.get(),
        failed.get(),
        secs,
        lat.stream().mapToDouble(Double::doubleValue).toArray(),
        errors);
  }

  static BenchResult official(String url, Map<String, String> env, int n, int concurrency) {
    try (NodeScript s =
        NodeScript.start(
            "official-paid-bench.mjs",
            List.of(url, Integer.toString(n), Integer.toString(concurrency)),
            env,
            Duration.ofMinutes(15))) {
      JsonNode r = s.ready();
      double[] lat = new double[r.path("latenciesMs").size()];
      for (int i = 0; i < lat.length; i++) {
        lat[i] = r.path("latenciesMs").get(i).asDouble();
      }
      Map<String, Integer> errors = new HashMap<>();
      r.path("errors").properties().forEach(e -> errors.put(e.getKey(), e.getValue().asInt()));
      return new BenchResult(
          "official",
          r.path("ok").asInt(),
          r.path("failed").asInt(),
          r.path("seconds").asDouble(),
          lat,
          errors);
    }
  }
}
