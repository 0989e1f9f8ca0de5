package io.attest402.facilitator.bench;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.Facilitator;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.FacilitatorServer;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.facilitator.store.SettlementStore;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.web3j.tx.Transfer;
import org.web3j.utils.Convert;

/**
 * The setup the settle benchmarks share (FacilitatorBenchmark, SignersBenchmark,
 * ReplicasBenchmark): the chain's network with TestUSDC, the facilitator options they measure
 * under, funded in-process keys, and an in-process facilitator server on loopback.
 */
final class SettleBench {
  static final SecureRandom RANDOM = new SecureRandom();

  private SettleBench() {}

  /** The deployment's network with its TestUSDC. */
  static NetworksConfig networks(Chain chain) {
    var d = chain.deployment();
    return new NetworksConfig(
        List.of(
            new NetworkConfig(
                d.network(),
                d.rpcUrl(),
                List.of(
                    new AssetConfig(
                        d.contracts().usdc(),
                        d.usdc().name(),
                        d.usdc().version(),
                        d.usdc().decimals())))));
  }

  /**
   * Throughput, not the drain limits, is measured: rate limits off (3 payers settle hundreds of
   * payments in seconds), a long receipt wait, a short poll, 64 workers.
   */
  static FacilitatorOptions options() {
    return FacilitatorOptions.defaults()
        .withReceiptWait(Duration.ofSeconds(30))
        .withWorkerThreads(64)
        .withLimits(io.attest402.facilitator.SettleLimits.defaults().withRates(0, 0, 0));
  }

  /** {@code n} fresh keys, each given {@code eth} by the dev deployer. */
  static List<EnclaveKey> fundedKeys(Chain chain, int n, BigDecimal eth) throws Exception {
    List<EnclaveKey> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      EnclaveKey k = InMemoryEnclaveKey.generate(RANDOM);
      if (eth.signum() > 0) {
        new Transfer(chain.web3j(), chain.txManager(chain.account(DevAccounts.DEPLOYER)))
            .sendFunds(k.address(), eth, Convert.Unit.ETHER)
            .send();
      }
      keys.add(k);
    }
    return keys;
  }

  /**
   * A started facilitator server on loopback over {@code keys} (the first is the identity and
   * receipt key) journaling in {@code store}.
   */
  static FacilitatorServer start(
      NetworksConfig networks,
      FacilitatorOptions options,
      List<EnclaveKey> keys,
      SettlementStore store)
      throws Exception {
    Facilitator f =
        Facilitator.create(
            networks,
            keys,
            store,
            Clock.systemUTC(),
            options,
            SignedReceiptIssuer.of(keys.get(0)),
            new FacilitatorMetrics());
    FacilitatorServer s = new FacilitatorServer(f, options, "127.0.0.1", 0);
    s.start();
    return s;
  }
}
