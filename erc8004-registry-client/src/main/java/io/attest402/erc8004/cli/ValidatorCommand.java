package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.validator.TeeValidator;
import io.attest402.erc8004.validator.ValidationOutcome;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.cli.PolicyOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code registry validator}: the TEE-attestation validator service. */
@Command(
    name = "validator",
    mixinStandardHelpOptions = true,
    description =
        "Run a TEE-attestation validator: answer the ValidationRequests addressed to the signing account "
            + "with 100 (attestation verifies under the policy and binds the agent's wallet key) or 0, tag "
            + "tee-attestation, with a data: URI report.")
public final class ValidatorCommand implements Callable<Integer> {
  @Mixin Common common;

  @Mixin PolicyOptions policyOptions;

  @Option(
      names = "--pccs",
      paramLabel = "URL",
      description =
          "Fetch each quote's collateral from this PCS/PCCS "
              + "(Intel PCS v4 API) instead of verifying the collateral the facilitator serves.")
  java.net.URI pccs;

  @Option(names = "--once", description = "Answer the pending requests, then exit.")
  boolean once;

  @Option(
      names = "--poll-ms",
      defaultValue = "2000",
      description = "Polling interval (default: ${DEFAULT-VALUE}).")
  long pollMs;

  @Override
  public Integer call() throws Exception {
    try {
      VerificationPolicy policy = policyOptions.policy();
      TeeValidator v =
          new TeeValidator(
              common.signed(),
              common.indexer(),
              common.resolver(),
              policy,
              Clock.systemUTC(),
              pccs);
      common
          .err()
          .println(
              "validator "
                  + v.address()
                  + " on "
                  + common.client().addresses().agentRegistry()
                  + (policy.allowSimulated() ? " (accepts SIMULATED attestation)" : "")
                  + (policy.pinsMeasurement()
                      ? ""
                      : " (MEASUREMENT NOT PINNED: accepts any enclave)"));
      if (!once) {
        v.run(Duration.ofMillis(pollMs), () -> false);
        return 0;
      }
      List<ValidationOutcome> done = new ArrayList<>(v.runOnce());
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("validator", v.address());
      ArrayNode a = o.putArray("answered");
      for (ValidationOutcome d : done) {
        ObjectNode e = a.addObject();
        e.put("requestHash", d.requestHash());
        e.put("agentId", d.agentId());
        e.put("response", d.response());
        e.put("attestationUrl", d.attestationUrl());
        e.put("signerAddress", d.signerAddress());
        e.put("simulated", d.simulated());
        ArrayNode r = e.putArray("reasons");
        d.reasons().forEach(r::add);
        e.put("txHash", d.responseTx());
      }
      common.emit(
          o,
          () -> {
            common
                .out()
                .println(
                    "validator "
                        + v.address()
                        + " answered "
                        + done.size()
                        + " request"
                        + (done.size() == 1 ? "" : "s"));
            for (ValidationOutcome d : done) {
              common
                  .out()
                  .println(
                      "  agent "
                          + d.agentId()
                          + " request "
                          + d.requestHash()
                          + ": "
                          + d.response()
                          + (d.passed()
                              ? " (pass" + (d.simulated() ? ", SIMULATED TEE)" : ")")
                              : " (fail: " + String.join("; ", d.reasons()) + ")"));
            }
          });
      return 0;
    } finally {
      common.close();
    }
  }
}
