package io.attest402.facilitator.bench;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorServer;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.store.SqliteSettlementStore;
import io.attest402.testkit.BenchResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.web3j.crypto.Credentials;

/**
 * Settlement throughput of one facilitator with 1 signer beside the same facilitator with 4 signers
 * ({@code --signers 4}), same anvil, same load, in one run; prints the ratio. Not a test: run it
 * with bench/signers/run.sh.
 *
 * <p>Args: SETTLEMENTS per configuration and round (default 200), CONCURRENCY (default 32), ROUNDS
 * (default 2; the configurations alternate so neither always runs on the warmer JVM or the longer
 * chain).
 */
public final class SignersBenchmark {
  private static final SecureRandom RANDOM = new SecureRandom();

  public static void main(String[] args) throws Exception {
    int settlements = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path dir = Files.createTempDirectory("signers-bench");
    try (Chain chain = Chain.start()) {
      NetworksConfig networks = SettleBench.networks(chain);
      FacilitatorOptions options = SettleBench.options();
      FacilitatorServer one = start(chain, networks, options, dir.resolve("one.db"), 1);
      FacilitatorServer four = start(chain, networks, options, dir.resolve("four.db"), 4);
      String payTo = chain.account(7).getAddress();
      Credentials[] payers = {
        chain.account(DevAccounts.AGENT),
        chain.account(DevAccounts.PROVIDER),
        chain.account(DevAccounts.VALIDATOR)
      };
      try {
        String oneUrl = "http://127.0.0.1:" + one.port();
        String fourUrl = "http://127.0.0.1:" + four.port();
        System.err.println("warming up...");
        FacilitatorBenchmark.counted(
            "warm-up", oneUrl + "/settle", bodies(chain, payers, payTo, 20), 8);
        FacilitatorBenchmark.counted(
            "warm-up", fourUrl + "/settle", bodies(chain, payers, payTo, 20), 8);
        List<BenchResult> r1 = new ArrayList<>();
        List<BenchResult> r4 = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          boolean oneFirst = round % 2 == 0;
          for (int k = 0; k < 2; k++) {
            boolean runOne = (k == 0) == oneFirst;
            BenchResult r =
                FacilitatorBenchmark.counted(
                    runOne ? "1 signer" : "4 signers",
                    (runOne ? oneUrl : fourUrl) + "/settle",
                    bodies(chain, payers, payTo, settlements),
                    concurrency);
            (runOne ? r1 : r4).add(r);
            System.err.printf(
                Locale.ROOT,
                "round %d %s: %.1f settled/s (%d ok, %d failed %s)%n",
                round + 1,
                r.name(),
                r.throughput(),
                r.ok(),
                r.failed(),
                r.errors());
          }
        }
        double t1 = total(r1);
        double t4 = total(r4);
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "signers benchmark: one anvil (automine), %d settlements x %d rounds each at concurrency"
                + " %d, %d cores%n",
            settlements,
            rounds,
            concurrency,
            Runtime.getRuntime().availableProcessors());
        System.out.println(
            "| signers | settle throughput (settled/s) | p50 (ms) | p99 (ms) | ok / failed |");
        System.out.println("|---:|---:|---:|---:|---:|");
        line(1, t1, r1);
        line(4, t4, r4);
        System.out.printf(Locale.ROOT, "4 signers / 1 signer throughput: %.2fx%n", t4 / t1);
      } finally {
        one.stop();
        four.stop();
      }
    }
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

  private static void line(int n, double t, List<BenchResult> rs) {
    BenchResult last = rs.get(rs.size() - 1);
    System.out.printf(
        Locale.ROOT,
        "| %d | %.1f | %.1f | %.1f | %d / %d |%n",
        n,
        t,
        last.percentileMs(50),
        last.percentileMs(99),
        rs.stream().mapToInt(BenchResult::ok).sum(),
        rs.stream().mapToInt(BenchResult::failed).sum());
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
      Chain chain, NetworksConfig networks, FacilitatorOptions options, Path db, int signers)
      throws Exception {
    return SettleBench.start(
        networks,
        options,
        SettleBench.fundedKeys(chain, signers, BigDecimal.valueOf(100)),
        SqliteSettlementStore.open(db, Clock.systemUTC()));
  }
}
