package io.attest402.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.generated.TestUSDC;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;

/** Runs the packaged launcher jar ({@code bin/attest402} execs it) as a user would. */
class ChainCommandIT {

  @Test
  void chainWritesADeploymentWithCodeAndFundedAccountsAndStopsAnvilOnTerm(@TempDir Path dir)
      throws Exception {
    int port = Anvil.freePort();
    Path out = dir.resolve("deployment.json");
    Process p =
        Launcher.start(dir, "chain", "--port", Integer.toString(port), "--out", out.toString());
    try {
      Launcher.awaitLine(p, "deployment written to", 60);
      Deployment d = Deployment.read(out);
      assertEquals("http://127.0.0.1:" + port, d.rpcUrl());
      Web3j web3j = Web3j.build(new HttpService(d.rpcUrl()));
      try {
        for (String address :
            List.of(
                d.contracts().usdc(),
                d.contracts().identityRegistry(),
                d.contracts().reputationRegistry(),
                d.contracts().validationRegistry())) {
          assertNotEquals(
              "0x",
              web3j.ethGetCode(address, DefaultBlockParameterName.LATEST).send().getCode(),
              "code at " + address);
        }
        assertNotEquals(
            "0x",
            web3j
                .ethGetCode(
                    "0xcA11bde05977b3631167028862bE2a173976CA11", DefaultBlockParameterName.LATEST)
                .send()
                .getCode(),
            "Multicall3 at its canonical address");
        TestUSDC usdc =
            TestUSDC.load(
                d.contracts().usdc(),
                web3j,
                new ReadonlyTransactionManager(web3j, d.account("agent").address()),
                new DefaultGasProvider());
        for (String role : List.of("provider", "agent", "validator")) {
          String a = d.account(role).address();
          assertTrue(
              web3j.ethGetBalance(a, DefaultBlockParameterName.LATEST).send().getBalance().signum()
                  > 0);
          assertEquals(Deployer.DEV_USDC, usdc.balanceOf(a).send(), role + " USDC");
        }
      } finally {
        web3j.shutdown();
      }
    } finally {
      p.destroy(); // SIGTERM, as Ctrl-C or a service manager would stop it
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "launcher exits on SIGTERM");
    }
    assertFalse(portOpen(port), "anvil stopped with the launcher");
  }

  private static boolean portOpen(int port) {
    for (int i = 0; i < 50; i++) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        Thread.sleep(100);
      } catch (IOException closed) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }
    return true;
  }
}
