package io.attest402.pcs;

import io.attest402.enclave.tee.TeeException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Loopback PCS servers for whoever starts several simulated facilitators (a test class, a
 * benchmark): one per facilitator data directory, closed together.
 */
public final class SimulatedPcsPool implements AutoCloseable {
  private final Clock clock;
  private final List<SimulatedPcs> started = new CopyOnWriteArrayList<>();

  public SimulatedPcsPool(Clock clock) {
    this.clock = clock;
  }

  /**
   * The URL of a new PCS serving the simulation CA of {@code dataDir} (created there as the
   * facilitator would create it).
   */
  public URI forDataDir(Path dataDir) {
    try {
      SimulatedPcs pcs = SimulatedPcs.forDataDir(dataDir, clock);
      started.add(pcs);
      return pcs.url();
    } catch (TeeException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    started.forEach(SimulatedPcs::close);
    started.clear();
  }
}
