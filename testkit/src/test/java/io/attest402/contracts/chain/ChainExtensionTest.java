package io.attest402.contracts.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.generated.TestUSDC;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.core.DefaultBlockParameterName;

@ExtendWith(ChainExtension.class)
class ChainExtensionTest {

  @Test
  void deploysEveryContractAndFundsDevAccounts(Chain chain) throws Exception {
    Deployment d = chain.deployment();
    assertEquals(31337, d.chainId());
    assertEquals("eip155:31337", d.network());
    for (String address :
        new String[] {
          d.contracts().usdc(),
          d.contracts().identityRegistry(),
          d.contracts().reputationRegistry(),
          d.contracts().validationRegistry()
        }) {
      String code =
          chain.web3j().ethGetCode(address, DefaultBlockParameterName.LATEST).send().getCode();
      assertNotEquals("0x", code, "no code at " + address);
    }
    TestUSDC usdc =
        TestUSDC.load(
            d.contracts().usdc(), chain.web3j(), chain.txManager(chain.account(0)), chain.gas());
    assertEquals("USD Coin", usdc.name().send());
    assertEquals(BigInteger.valueOf(6), usdc.decimals().send());
    for (String role : new String[] {"provider", "agent", "validator"}) {
      String addr = d.account(role).address();
      assertEquals(Deployer.DEV_USDC, usdc.balanceOf(addr).send(), role);
      assertTrue(
          chain
                  .web3j()
                  .ethGetBalance(addr, DefaultBlockParameterName.LATEST)
                  .send()
                  .getBalance()
                  .signum()
              > 0,
          role + " has ETH");
    }
  }

  @Test
  void snapshotAndRevertRestoreState(Chain chain) throws Exception {
    String snap = chain.snapshot();
    long before = chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
    chain.mine();
    chain.mine();
    chain.revert(snap);
    assertEquals(before, chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact());
  }

  @Test
  void deploymentFileRoundTrips(Chain chain, @TempDir Path dir) {
    Path file = dir.resolve("deployment.json");
    chain.deployment().write(file);
    assertTrue(Files.exists(file));
    assertEquals(chain.deployment(), Deployment.read(file));
  }

  @Test
  void anvilStopsWhenClosed() {
    Anvil anvil = Anvil.start();
    assertTrue(anvil.isAlive());
    anvil.close();
    assertFalse(anvil.isAlive());
  }
}
