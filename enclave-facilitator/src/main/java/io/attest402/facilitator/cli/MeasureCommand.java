package io.attest402.facilitator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.attest402.enclave.tee.CodeMeasurement;
import io.attest402.enclave.tee.SimulatedBackend;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code attest402 measure}: the measurement a facilitator started from this build's enclave
 * artifact with the given arguments will report, and an attestation policy file (the verifier's
 * {@code VerificationPolicy} JSON) that pins it. Simulated TEE: computed here, exactly as the
 * running facilitator computes it ({@link MeasuredLaunch}). Gramine: MRENCLAVE also covers the JDK,
 * Gramine and the manifest, so only {@code gramine-sgx-sign} can compute it; {@code make -C
 * deploy/gramine policy} writes the same policy format.
 */
@Command(
    name = "measure",
    mixinStandardHelpOptions = true,
    description =
        "Prints the measurement of this build's facilitator and writes an attestation policy pinning it.",
    footer = {
      "",
      "Example: attest402 measure --out policy.json -- --deployment deployment.json --data-dir data/f "
          + "--validator 0x90F7...",
      "Pass the facilitator's arguments exactly as it is started (after --), and its JVM options with --jvm-option."
    })
public final class MeasureCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = "--out",
      defaultValue = "policy.json",
      paramLabel = "FILE",
      description = "attestation policy to write (default ${DEFAULT-VALUE})")
  Path out;

  @Option(
      names = "--tee",
      defaultValue = "simulated",
      paramLabel = "simulated|gramine",
      description = "TEE the facilitator runs in (default ${DEFAULT-VALUE})")
  String tee;

  @Option(
      names = "--artifact",
      paramLabel = "DIR",
      description =
          "the enclave artifact (default: enclave-facilitator/target/enclave of this checkout)")
  Path artifact;

  @Option(
      names = "--jvm-option",
      paramLabel = "OPTION",
      description =
          "a JVM option the facilitator is started with, in order (repeatable; measured too)")
  List<String> jvmOptions = new ArrayList<>();

  @Parameters(
      paramLabel = "FACILITATOR_ARGS",
      description = "the facilitator's arguments, after --")
  List<String> facilitatorArgs = new ArrayList<>();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    if (tee.equals("gramine")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "a Gramine MRENCLAVE covers the JDK, Gramine "
              + "and the signed manifest: compute it where gramine-sgx-sign runs, with `make -C deploy/gramine policy` "
              + "(writes the same policy format; see deploy/README.md)");
    }
    if (!tee.equals("simulated")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--tee must be simulated or gramine, not " + tee);
    }
    List<String> args = new ArrayList<>(facilitatorArgs);
    int teeAt = args.indexOf("--tee");
    String given =
        teeAt >= 0 && teeAt + 1 < args.size()
            ? args.get(teeAt + 1)
            : args.stream()
                .filter(a -> a.startsWith("--tee="))
                .map(a -> a.substring(6))
                .findFirst()
                .orElse(null);
    if (given == null) {
      args.add(0, "simulated");
      args.add(0, "--tee");
    } else if (!given.equals("simulated")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "the facilitator arguments say --tee "
              + given
              + "; measure computes the simulated TEE's measurement (--tee simulated)");
    }
    Path dir = artifact != null ? artifact : defaultArtifact();
    if (!Files.isRegularFile(dir.resolve("attest402-facilitator.jar"))) {
      throw new IllegalStateException(
          "no enclave artifact in "
              + dir
              + ": build it with `mvn -B package -pl "
              + "enclave-facilitator -am` (bin/attest402 does) or name it with --artifact");
    }
    CodeMeasurement m;
    CommandLine parsed = new CommandLine(new FacilitatorCommand());
    try {
      parsed.parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "facilitator arguments: " + e.getMessage());
    }
    m =
        CodeMeasurement.of(
            CodeMeasurement.directory(dir),
            MeasuredLaunch.configuration(jvmOptions, parsed.getCommandSpec()));
    Path dataDir = parsed.getCommandSpec().findOption("--data-dir").getValue();
    Optional<String> root = SimulatedBackend.simulationRootFingerprint(dataDir);
    Files.writeString(out, policyJson(m.mrEnclaveHex(), root), StandardCharsets.UTF_8);

    long bytes = 0;
    for (CodeMeasurement.FileDigest f : m.files()) {
      bytes += Files.size(dir.resolve(f.name()));
    }
    w.println("MRENCLAVE " + m.mrEnclaveHex() + " (simulated TEE)");
    w.printf("artifact %s: %d files, %.1f MB%n", dir, m.files().size(), bytes / 1e6);
    w.println("measured configuration:");
    m.configuration().forEach(c -> w.println("  " + c));
    w.println(
        "policy "
            + out
            + ": pins mrEnclave"
            + root.map(r -> ", trusts the simulation root " + r + " of " + dataDir)
                .orElse(
                    "; no simulation root in "
                        + dataDir
                        + " yet (the facilitator creates it on first start: "
                        + "run measure again then to pin it)"));
    w.flush();
    return 0;
  }

  /**
   * The policy pinning a simulated facilitator: its MRENCLAVE and, when known, its simulation root.
   */
  public static String policyJson(String mrEnclaveHex, Optional<String> simulationRoot) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("mrEnclave", mrEnclaveHex);
    simulationRoot.ifPresent(r -> p.put("simulationRoots", List.of(r)));
    try {
      return JSON.writeValueAsString(p) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path defaultArtifact() {
    String root = System.getProperty("attest402.root");
    return (root == null ? Path.of("") : Path.of(root))
        .resolve("enclave-facilitator/target/enclave");
  }
}
