package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.ValidationSummary;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.reputation.PaymentBackedSummary;
import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code registry show AGENT_ID}: identity, registration file, payment-backed reputation,
 * validations.
 */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description =
        "Show an agent: owner, agentWallet, registration file, payment-backed reputation, tee-attestation "
            + "validations.")
public final class ShowCommand implements Callable<Integer> {
  @Mixin Common common;

  @Parameters(paramLabel = "AGENT_ID")
  BigInteger agentId;

  @Override
  public Integer call() {
    try {
      Erc8004Client c = common.client();
      String owner = c.identity().ownerOf(agentId);
      String wallet = c.identity().agentWallet(agentId).orElse(null);
      String uri = c.identity().agentURI(agentId);
      RegistrationFile file = null;
      String fileError = null;
      try {
        file = RegistrationFile.parse(common.resolver().resolve(uri));
      } catch (ResolutionException | IllegalArgumentException e) {
        fileError = e.getMessage();
      }
      PaymentBackedSummary rep = common.reputation().paymentBacked(agentId);
      ValidationSummary val =
          c.validation()
              .getSummary(agentId, List.of(), ValidationRegistryClient.TAG_TEE_ATTESTATION);
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("agentId", agentId);
      o.put("agentRegistry", c.addresses().agentRegistry());
      o.put("owner", owner);
      o.put("agentWallet", wallet);
      o.put("agentURI", uri);
      if (file != null) {
        o.set("registrationFile", file.toJsonNode());
      } else {
        o.put("registrationFileError", fileError);
      }
      ObjectNode r = o.putObject("reputation");
      r.put("feedback", rep.totalFeedback());
      r.put("paymentBacked", rep.paymentBackedCount());
      r.put("average", rep.summary().average().toPlainString());
      ObjectNode v = o.putObject("teeAttestation");
      v.put("count", val.count());
      v.put("averageResponse", val.averageResponse());
      RegistrationFile f = file;
      String fe = fileError;
      common.emit(
          o,
          () -> {
            var out = common.out();
            out.println("agent " + agentId + " on " + c.addresses().agentRegistry());
            out.println("  owner        " + owner);
            out.println("  agentWallet  " + wallet);
            out.println("  agentURI     " + RegisterCommand.abbreviate(uri));
            if (f != null) {
              out.println("  name         " + f.name());
              out.println("  description  " + f.description());
              f.services()
                  .forEach(s -> out.println("  service      " + s.name() + " " + s.endpoint()));
              out.println(
                  "  x402Support  "
                      + f.x402Support()
                      + ", active "
                      + f.active()
                      + ", supportedTrust "
                      + f.supportedTrust());
            } else {
              out.println("  registration file unavailable: " + fe);
            }
            out.println(
                "  reputation   "
                    + rep.paymentBackedCount()
                    + " payment-backed of "
                    + rep.totalFeedback()
                    + " feedback, average "
                    + rep.summary().average().toPlainString());
            out.println(
                "  tee-attestation validations: "
                    + val.count()
                    + ", average response "
                    + val.averageResponse());
          });
      return 0;
    } finally {
      common.close();
    }
  }
}
