package io.attest402.erc8004;

import io.attest402.contracts.chain.Chain;
import java.math.BigInteger;
import java.nio.file.Path;

/** Test fixtures the CLI tests (another package) use. */
public final class CliFixtures {
  private CliFixtures() {}

  /** A registered simulated-TEE facilitator. */
  public interface Facilitator extends AutoCloseable {
    BigInteger agentId();

    String url();

    String address();

    @Override
    void close();

    String simulationRoot();
  }

  /**
   * Starts and registers a simulated facilitator; {@code operator} may then manage its identity.
   */
  public static Facilitator facilitator(Chain chain, Path dir, String operator) throws Exception {
    SimulatedFacilitator f = new SimulatedFacilitator(dir).register(chain);
    if (operator != null) {
      f.self(chain).identity().setApprovalForAll(operator, true);
    }
    return new Facilitator() {
      @Override
      public BigInteger agentId() {
        return f.agentId;
      }

      @Override
      public String url() {
        return f.url();
      }

      @Override
      public String address() {
        return f.identity.address();
      }

      @Override
      public String simulationRoot() {
        return f.simulationRoot();
      }

      @Override
      public void close() {
        f.close();
      }
    };
  }
}
