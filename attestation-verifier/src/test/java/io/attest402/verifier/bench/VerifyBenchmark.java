package io.attest402.verifier.bench;

import io.attest402.verifier.Collateral;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Quotes verified per second with cached collateral, ours beside @phala/dcap-qvl (node) in the same
 * run. Not a test: run through bench/attestation-verifier/run.sh. Args: REPO_ROOT VECTOR_DIR
 * SECONDS.
 */
public final class VerifyBenchmark {
  private VerifyBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path root = Paths.get(args[0]);
    Path vectors = Paths.get(args[1]);
    double seconds = Double.parseDouble(args[2]);
    // One verifier for the whole run: collateral, PCK chains and QE reports are cached in the
    // instance, as in
    // a long-running facilitator or client.
    QuoteVerifier verifier = new QuoteVerifier();
    List<String> rows = new ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode v :
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(vectors.resolve("manifest.json").toFile())
            .get("vectors")) {
      if (!v.path("expect").path("ok").asBoolean(false)) {
        continue;
      }
      String id = v.get("id").asText();
      String now = v.get("now").asText();
      Path dir = vectors.resolve(id);
      byte[] quote = Files.readAllBytes(dir.resolve("quote.bin"));
      Collateral coll = Collateral.fromJson(Files.readAllBytes(dir.resolve("collateral.json")));
      Instant at = Instant.ofEpochSecond(Long.parseLong(now));
      // third-party quotes: any measurement; the vectors whose source ships no CRLs opt out of
      // requireCrls
      VerificationPolicy policy =
          VerificationPolicy.builder()
              .acceptAnyNonRevokedStatus()
              .allowAnyMeasurement(true)
              .requireCrls(!id.endsWith("_nocrl"))
              .build();
      Verdict first = verifier.verify(quote, coll, at, policy);
      if (!first.ok()) {
        throw new IllegalStateException(id + " does not verify: " + first);
      }
      run(verifier, quote, coll, at, policy, 1.0);
      double ours = run(verifier, quote, coll, at, policy, seconds);
      double theirs = node(root, dir, now, seconds);
      rows.add(
          String.format("| %-30s | %12.0f | %15.0f | %7.1fx |", id, ours, theirs, ours / theirs));
    }
    System.out.println(
        "| vector                         | ours (q/s)   | dcap-qvl (q/s)  | ratio    |");
    System.out.println(
        "|--------------------------------|--------------|-----------------|----------|");
    rows.forEach(System.out::println);
  }

  private static double run(
      QuoteVerifier verifier,
      byte[] quote,
      Collateral coll,
      Instant at,
      VerificationPolicy policy,
      double seconds) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    long n = 0;
    while (System.nanoTime() < end) {
      if (!verifier.verify(quote, coll, at, policy).ok()) {
        throw new IllegalStateException("verification failed during the benchmark");
      }
      n++;
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }

  private static double node(Path root, Path dir, String now, double seconds) throws Exception {
    Process p =
        new ProcessBuilder(
                "node",
                root.resolve("interop/dcap-qvl-verify.mjs").toString(),
                "bench",
                dir.resolve("quote.bin").toString(),
                dir.resolve("collateral.json").toString(),
                now,
                Double.toString(seconds))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("dcap-qvl benchmark failed");
    }
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(out)
        .get("perSecond")
        .asDouble();
  }
}
