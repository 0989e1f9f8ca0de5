package io.attest402.pcs;

import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.verifier.simulation.SimulationCa;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code attest402 simulated-pcs}: the Intel PCS v4 API on loopback for a simulated facilitator's
 * collateral (the simulation CA of its data directory, created if absent), for a hand-run local
 * stack: {@code facilitator --tee simulated --pccs URL}. Runs until interrupted.
 */
@Command(
    name = "simulated-pcs",
    mixinStandardHelpOptions = true,
    description =
        "Serve the Intel PCS v4 API (TCB info, QE identity, PCK and root CA CRLs) for a SIMULATED TEE's "
            + "collateral, so that the facilitator, validators and agents fetch it with --pccs as on hardware.")
public final class PcsCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      defaultValue = "./data/facilitator",
      paramLabel = "DIR",
      description =
          "the simulated facilitator's data directory, whose simulated-tee/simulation-ca.json signs "
              + "(default ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--port",
      defaultValue = "8086",
      description = "port on 127.0.0.1 (default ${DEFAULT-VALUE})")
  int port;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    SimulationCa ca = SimulatedBackend.loadOrCreateCa(dataDir, Clock.systemUTC());
    CountDownLatch stopped = new CountDownLatch(1);
    try (SimulatedPcs pcs =
        SimulatedPcs.start("127.0.0.1", port, SimulatedPcs.fromCa(ca, Clock.systemUTC()))) {
      Runtime.getRuntime()
          .addShutdownHook(new Thread(stopped::countDown, "simulated-pcs-shutdown"));
      out.println("SIMULATED PCS listening on " + pcs.url() + " (pass it as --pccs)");
      out.println(
          "simulation root SHA-256 "
              + ca.rootFingerprintSha256()
              + " (pin it with --simulation-root)");
      out.flush();
      stopped.await();
    }
    return 0;
  }
}
