package io.attest402.verifier.cli;

import io.attest402.verifier.VerificationPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Picocli mixin for commands that verify quotes: {@code --policy FILE} and {@code --allow-simulated}, and the
 * policy they give.
 */
public final class PolicyOptions {
    @Option(names = "--policy", paramLabel = "FILE",
            description = "Verification policy JSON (default: strict, UpToDate only).")
    Path policyFile;

    @Option(names = "--allow-simulated",
            description = "Accept quotes signed by the attest402 simulation CA (simulated TEE, dev only).")
    boolean allowSimulated;

    /**
     * The policy of {@code --policy} (default: {@link VerificationPolicy#defaults()}), with simulated quotes
     * allowed when {@code --allow-simulated} is given.
     *
     * @throws IOException              when the policy file cannot be read
     * @throws IllegalArgumentException when it is not a valid policy
     */
    public VerificationPolicy policy() throws IOException {
        VerificationPolicy policy = policyFile == null ? VerificationPolicy.defaults()
                : VerificationPolicy.fromJson(Files.readString(policyFile, StandardCharsets.UTF_8));
        if (allowSimulated) {
            policy = policy.toBuilder().allowSimulated(true).build();
        }
        return policy;
    }
}
