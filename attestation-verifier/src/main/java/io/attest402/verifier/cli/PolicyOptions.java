package io.attest402.verifier.cli;

import io.attest402.verifier.VerificationPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for commands that verify quotes: {@code --policy FILE}, {@code --simulation-root
 * SHA256} and {@code --allow-any-measurement}, and the policy they give.
 */
public final class PolicyOptions {
  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description =
          "Verification policy JSON (default: strict, UpToDate only, a measurement pin required).")
  Path policyFile;

  @Option(
      names = "--simulation-root",
      paramLabel = "SHA256",
      description =
          "Accept quotes signed by the attest402 simulation CA whose root certificate DER has this "
              + "SHA-256 (simulated TEE, dev only; repeatable).")
  List<String> simulationRoots = new ArrayList<>();

  @Option(
      names = "--allow-any-measurement",
      description =
          "Accept any enclave or TD measurement when the policy pins none (flagged in the output).")
  boolean allowAnyMeasurement;

  /**
   * The policy of {@code --policy} (default: {@link VerificationPolicy#defaults()}), with the given
   * simulation roots pinned and {@code allowAnyMeasurement} set when {@code
   * --allow-any-measurement} is given.
   *
   * @throws IOException when the policy file cannot be read
   * @throws IllegalArgumentException when it is not a valid policy
   */
  public VerificationPolicy policy() throws IOException {
    VerificationPolicy policy =
        policyFile == null
            ? VerificationPolicy.defaults()
            : VerificationPolicy.fromJson(Files.readString(policyFile, StandardCharsets.UTF_8));
    if (!simulationRoots.isEmpty() || allowAnyMeasurement) {
      VerificationPolicy.Builder b = policy.toBuilder();
      simulationRoots.forEach(b::trustSimulationRoot);
      if (allowAnyMeasurement) {
        b.allowAnyMeasurement(true);
      }
      policy = b.build();
    }
    return policy;
  }
}
