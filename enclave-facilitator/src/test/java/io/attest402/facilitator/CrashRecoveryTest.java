package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.ProjectPaths;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.testkit.ProcessOutput;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * The facilitator as a child JVM ({@code FacilitatorCommand}), killed with SIGKILL after
 * broadcasting and before the receipt (anvil's automine is off, so the transaction waits in the
 * mempool); restarted on the same data directory, the caller's retry gets the one settlement, with
 * the transaction hash the first process journaled.
 */
@ExtendWith(ChainExtension.class)
class CrashRecoveryTest {
  private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

  /** A running child facilitator and what it printed. */
  record Child(Process process, String url, Path log, io.attest402.pcs.SimulatedPcs pcs)
      implements AutoCloseable {
    @Override
    public void close() {
      process.destroyForcibly();
      pcs.close();
    }
  }

  static Child startChild(Path deployment, Path dataDir, Path log) throws Exception {
    // the child's simulated TEE gets its collateral over HTTP, from a loopback PCS serving its data
    // dir's CA
    io.attest402.pcs.SimulatedPcs pcs =
        io.attest402.pcs.SimulatedPcs.forDataDir(dataDir, java.time.Clock.systemUTC());
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                javaBin.toString(),
                "-Xmx256m",
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
                "--tee",
                "simulated",
                "--pccs",
                pcs.url().toString(),
                "--no-register",
                "--receipt-timeout",
                "30",
                "--replace-after",
                "600", // no fee bump while a loaded machine restarts the child: the hash must stay
                "--poll-interval-ms",
                "100"));
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    CompletableFuture<String> url = new CompletableFuture<>();
    ProcessOutput.follow(
        p,
        "child-stdout",
        line -> {
          Files.writeString(log, "stdout: " + line + "\n", java.nio.file.StandardOpenOption.APPEND);
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
        },
        ended ->
            url.completeExceptionally(new IllegalStateException("child exited before listening")));
    try {
      return new Child(p, url.get(60, TimeUnit.SECONDS), log, pcs);
    } catch (Exception e) {
      p.destroyForcibly();
      pcs.close();
      throw new AssertionError("child facilitator did not start:\n" + Files.readString(log), e);
    }
  }

  @Test
  void killedBetweenBroadcastAndReceiptRecoversTheOneSettlement(Chain chain, @TempDir Path dir)
      throws Exception {
    Path deployment = dir.resolve("deployment.json");
    chain.deployment().write(deployment);
    Path data = dir.resolve("data");
    Path log = dir.resolve("child.log");
    Files.writeString(log, "");
    Credentials payer = chain.account(DevAccounts.AGENT);
    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    String body = TestKit.payment(chain, payer, payTo, BigInteger.valueOf(2_500));
    String nonce = TestKit.nonceOf(body);

    String journaledTx;
    try (Child first = startChild(deployment, data, log)) {
      chain.setAutomine(false);
      CompletableFuture<TestKit.Answer> inFlight =
          CompletableFuture.supplyAsync(
              () -> TestKit.post(first.url() + "/settle", body, "crash-retry"));
      TestKit.waitUntil(
          "the settlement journaled and broadcast",
          Duration.ofSeconds(20),
          () -> {
            TestKit.Answer s = TestKit.get(first.url() + "/settlements/" + nonce);
            return s.status() == 200 && s.json().path("state").asText().equals("BROADCAST");
          });
      journaledTx =
          TestKit.get(first.url() + "/settlements/" + nonce).json().path("transaction").asText();
      assertFalse(inFlight.isDone(), "the caller is still waiting for the receipt");
      first.process().destroyForcibly(); // SIGKILL: no shutdown hook, no graceful anything
      assertTrue(first.process().waitFor(10, TimeUnit.SECONDS));
      assertTrue(
          inFlight.handle((a, e) -> e != null || a.status() != 200).get(10, TimeUnit.SECONDS),
          "the first caller lost its answer");
    }
    assertEquals(
        0, TestKit.authorizationUsedCount(chain, payer.getAddress(), nonce), "not mined yet");

    try (Child second = startChild(deployment, data, log)) {
      CompletableFuture<TestKit.Answer> retry =
          CompletableFuture.supplyAsync(
              () -> TestKit.post(second.url() + "/settle", body, "crash-retry"));
      Thread.sleep(500);
      chain.mine();
      TestKit.Answer a = retry.get(40, TimeUnit.SECONDS);
      assertEquals(200, a.status(), a.text() + "\n" + Files.readString(log));
      assertTrue(a.json().path("success").asBoolean(), a.text() + "\n" + Files.readString(log));
      assertEquals(journaledTx, a.json().path("transaction").asText());
      JsonNode status = TestKit.get(second.url() + "/settlements/" + journaledTx).json();
      assertEquals("settled", status.path("status").asText());
      assertEquals(1, status.path("transactions").size(), "no second transaction was ever signed");
      assertEquals(1, TestKit.authorizationUsedCount(chain, payer.getAddress(), nonce));
      // a graceful stop (SIGTERM) exits cleanly; it anchors its receipt head first, so let blocks
      // come again
      chain.setAutomine(true);
      second.process().destroy();
      assertTrue(second.process().waitFor(30, TimeUnit.SECONDS), Files.readString(log));
      // privacy by default: the two processes' logs name settlements by id, never who paid whom how
      // much
      String logs = Files.readString(log);
      assertTrue(logs.contains("settlement id="), logs);
      for (String secret :
          List.of(
              payer.getAddress(),
              payTo,
              Numeric.cleanHexPrefix(payer.getAddress()),
              "amount=",
              chain.rpcUrl())) {
        assertFalse(
            logs.toLowerCase(java.util.Locale.ROOT)
                .contains(secret.toLowerCase(java.util.Locale.ROOT)),
            "the log names " + secret + ":\n" + logs);
      }
    } finally {
      chain.setAutomine(true);
    }
  }
}
