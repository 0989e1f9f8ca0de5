package io.attest402.facilitator.bench;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorServer;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.store.PostgresServer;
import io.attest402.facilitator.store.PostgresSettlementStore;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.facilitator.store.SqliteSettlementStore;
import io.attest402.testkit.BenchResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.web3j.crypto.Credentials;

/**
 * Settlement throughput of one facilitator on SQLite beside one replica and three replicas on one
 * PostgreSQL database (each replica its own key, journal pool and signer leases; the client spreads
 * requests round robin), same anvil, same load, in one run; prints the ratios to SQLite. Not a
 * test: run it with bench/replicas/run.sh.
 *
 * <p>Args: SETTLEMENTS per configuration and round (default 200), CONCURRENCY (default 32), ROUNDS
 * (default 2; the configurations rotate so none always runs on the warmer JVM or longer chain).
 */
public final class ReplicasBenchmark {
  private static final SecureRandom RANDOM = new SecureRandom();

  public static void main(String[] args) throws Exception {
    int settlements = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path dir = Files.createTempDirectory("replicas-bench");
    try (Chain chain = Chain.start()) {
      NetworksConfig networks = SettleBench.networks(chain);
      FacilitatorOptions options = SettleBench.options();
      PostgresSettlementStore.Location one = PostgresServer.freshDatabase();
      PostgresSettlementStore.Location three = PostgresServer.freshDatabase();
      Map<String, List<FacilitatorServer>> configs = new LinkedHashMap<>();
      configs.put(
          "SQLite, 1 node",
          List.of(
              start(
                  chain,
                  networks,
                  options,
                  SqliteSettlementStore.open(dir.resolve("one.db"), Clock.systemUTC()))));
      configs.put("PostgreSQL, 1 replica", List.of(start(chain, networks, options, pg(one))));
      List<FacilitatorServer> replicas = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        replicas.add(start(chain, networks, options, pg(three)));
      }
      configs.put("PostgreSQL, 3 replicas", replicas);
      String payTo = chain.account(7).getAddress();
      Credentials[] payers = {
        chain.account(DevAccounts.AGENT),
        chain.account(DevAccounts.PROVIDER),
        chain.account(DevAccounts.VALIDATOR)
      };
      try {
        Map<String, List<String>> urls = new LinkedHashMap<>();
        configs.forEach(
            (name, servers) ->
                urls.put(
                    name,
                    servers.stream()
                        .map(s -> "http://127.0.0.1:" + s.port() + "/settle")
                        .toList()));
        System.err.println("warming up...");
        for (List<String> u : urls.values()) {
          FacilitatorBenchmark.counted("warm-up", u, bodies(chain, payers, payTo, 30), 8);
        }
        Map<String, List<BenchResult>> results = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(urls.keySet());
        for (int round = 0; round < rounds; round++) {
          for (int k = 0; k < names.size(); k++) {
            String name = names.get((k + round) % names.size());
            BenchResult r =
                FacilitatorBenchmark.counted(
                    name, urls.get(name), bodies(chain, payers, payTo, settlements), concurrency);
            results.computeIfAbsent(name, x -> new ArrayList<>()).add(r);
            System.err.printf(
                Locale.ROOT,
                "round %d %s: %.1f settled/s (%d ok, %d failed %s)%n",
                round + 1,
                name,
                r.throughput(),
                r.ok(),
                r.failed(),
                r.errors());
          }
        }
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "replicas benchmark: one anvil (automine), %d settlements x %d rounds each at concurrency"
                + " %d, round robin over the replicas, %d cores%n",
            settlements,
            rounds,
            concurrency,
            Runtime.getRuntime().availableProcessors());
        System.out.println(
            "| journal | settle throughput (settled/s) | vs SQLite | p50 (ms) | p99 (ms) | ok / failed |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        double base = total(results.get(names.get(0)));
        for (String name : names) {
          List<BenchResult> rs = results.get(name);
          BenchResult last = rs.get(rs.size() - 1);
          System.out.printf(
              Locale.ROOT,
              "| %s | %.1f | %.2fx | %.1f | %.1f | %d / %d |%n",
              name,
              total(rs),
              total(rs) / base,
              last.percentileMs(50),
              last.percentileMs(99),
              rs.stream().mapToInt(BenchResult::ok).sum(),
              rs.stream().mapToInt(BenchResult::failed).sum());
        }
        double t1 = total(results.get(names.get(1)));
        double t3 = total(results.get(names.get(2)));
        System.out.printf(Locale.ROOT, "3 replicas / 1 replica throughput: %.2fx%n", t3 / t1);
      } finally {
        for (List<FacilitatorServer> servers : configs.values()) {
          servers.forEach(FacilitatorServer::stop);
        }
      }
    }
  }

  private static SettlementStore pg(PostgresSettlementStore.Location db) {
    return PostgresSettlementStore.open(db, "", Clock.systemUTC());
  }

  private static double total(List<BenchResult> rs) {
    double ok = 0;
    double secs = 0;
    for (var r : rs) {
      ok += r.ok();
      secs += r.seconds();
    }
    return ok / secs;
  }

  private static List<String> bodies(Chain chain, Credentials[] payers, String payTo, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          FacilitatorBenchmark.payment(
              chain, payers[i % payers.length], payTo, BigInteger.valueOf(100 + i)));
    }
    return out;
  }

  private static FacilitatorServer start(
      Chain chain, NetworksConfig networks, FacilitatorOptions options, SettlementStore store)
      throws Exception {
    return SettleBench.start(
        networks, options, SettleBench.fundedKeys(chain, 1, BigDecimal.valueOf(100)), store);
  }
}
