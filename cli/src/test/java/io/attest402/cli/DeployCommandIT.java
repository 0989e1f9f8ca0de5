package io.attest402.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.DevAccounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * {@code attest402 deploy} onto a bare chain (no dev setup), as an operator deploys to any EVM
 * chain.
 */
class DeployCommandIT {

  @Test
  void deploysEveryContractToABareChainAndWritesADeploymentWithoutKeys(@TempDir Path dir)
      throws Exception {
    try (Anvil anvil = Anvil.start()) {
      Path key = dir.resolve("deployer.key");
      Files.writeString(
          key,
          Numeric.toHexStringWithPrefixZeroPadded(
                  DevAccounts.account(7).getEcKeyPair().getPrivateKey(), 64)
              + "\n");
      Path out = dir.resolve("deployment.json");
      Process p =
          Launcher.start(
              dir,
              "deploy",
              "--rpc",
              anvil.rpcUrl(),
              "--key-file",
              key.toString(),
              "--out",
              out.toString());
      Launcher.awaitLine(p, "deployment written to", 60);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue());
      Deployment d = Deployment.read(out);
      assertEquals(Anvil.CHAIN_ID, d.chainId());
      assertNull(d.accounts(), "a deployment for a real chain carries no keys");
      Web3j web3j = Web3j.build(new HttpService(anvil.rpcUrl()));
      try {
        for (String a :
            List.of(
                d.contracts().usdc(),
                d.contracts().identityRegistry(),
                d.contracts().reputationRegistry(),
                d.contracts().validationRegistry())) {
          assertNotEquals(
              "0x", web3j.ethGetCode(a, DefaultBlockParameterName.LATEST).send().getCode());
        }
      } finally {
        web3j.shutdown();
      }
    }
  }

  @Test
  void aMissingOrBadKeyFileIsAUsageErrorAndAnUnreachableNodeSaysSo(@TempDir Path dir)
      throws Exception {
    Path key = dir.resolve("bad.key");
    Files.writeString(key, "not a key");
    Process bad =
        Launcher.start(dir, "deploy", "--rpc", "http://127.0.0.1:1", "--key-file", key.toString());
    Launcher.awaitLine(bad, "does not hold a 32-byte hex private key", 30);
    assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, bad.exitValue());

    Process none = Launcher.start(dir, "deploy", "--rpc", "http://127.0.0.1:1");
    Launcher.awaitLine(none, "give --key-file FILE", 30);
    assertTrue(none.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, none.exitValue());

    Files.writeString(key, "0x" + "11".repeat(32));
    Process down =
        Launcher.start(dir, "deploy", "--rpc", "http://127.0.0.1:1", "--key-file", key.toString());
    Launcher.awaitLine(down, "cannot reach the RPC at http://127.0.0.1:1", 30);
    assertTrue(down.waitFor(30, TimeUnit.SECONDS));
    assertEquals(1, down.exitValue());
  }
}
