package io.attest402.x402.testing;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.web3j.utils.Numeric;

/** Helpers for tests that run beside the official SDK scripts in interop/. */
public final class Interop {
  private Interop() {}

  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  public static String key(int devAccount) {
    return Numeric.toHexStringWithPrefixZeroPadded(
        DevAccounts.account(devAccount).getEcKeyPair().getPrivateKey(), 64);
  }

  /** Environment every script needs: RPC_URL and CHAIN_ID. */
  public static Map<String, String> chainEnv(Chain chain) {
    return Map.of("RPC_URL", chain.rpcUrl(), "CHAIN_ID", Long.toString(chain.chainId()));
  }

  /** Places Multicall3 at its canonical address (interop/install-multicall3.mjs). */
  public static void installMulticall3(Chain chain) {
    Map<String, String> env = new java.util.HashMap<>(chainEnv(chain));
    env.put("PRIVATE_KEY", key(DevAccounts.DEPLOYER));
    try (NodeScript s = NodeScript.start("install-multicall3.mjs", List.of(), env, START_TIMEOUT)) {
      if (s.ready().path("codeBytes").asInt() < 100) {
        throw new IllegalStateException("Multicall3 not installed: " + s.ready());
      }
    }
  }
}
