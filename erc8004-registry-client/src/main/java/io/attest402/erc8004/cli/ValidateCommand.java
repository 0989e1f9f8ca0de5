package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.ValidationStatus;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.validator.ValidationRequestDocument;
import java.math.BigInteger;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.web3j.utils.Numeric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code registry validate request|status}. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = "Request and inspect validations.",
    subcommands = {ValidateCommand.Request.class, ValidateCommand.Status.class})
public final class ValidateCommand extends GroupCommand {
  @Command(
      name = "request",
      mixinStandardHelpOptions = true,
      description =
          "Ask a validator for a tee-attestation validation of an agent (sent by its owner or operator). "
              + "The request document is stored on-chain as a data: URI; its keccak256 is the requestHash.")
  public static final class Request implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "AGENT_ID")
    BigInteger agentId;

    @Option(
        names = "--validator",
        required = true,
        paramLabel = "ADDRESS|ROLE",
        description = "The validator.")
    String validator;

    @Option(
        names = "--attestation-url",
        paramLabel = "URL",
        description =
            "Where the attestation document is (default: from the agent's registration file).")
    String attestationUrl;

    @Override
    public Integer call() {
      try {
        Erc8004Client c = common.signed();
        String v = common.address(validator, "--validator");
        ValidationRequestDocument doc =
            new ValidationRequestDocument(
                c.addresses().agentRegistry(),
                agentId,
                attestationUrl,
                Clock.systemUTC().instant().truncatedTo(ChronoUnit.SECONDS).toString());
        ValidationRegistryClient.Request r =
            c.validation().validationRequest(v, agentId, doc.toDataUri(), doc.requestHash());
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("agentId", agentId);
        o.put("validator", r.validator());
        o.put("requestHash", r.requestHash());
        o.put("requestURI", r.requestURI());
        o.put("txHash", r.txHash());
        common.emit(
            o,
            () -> {
              common
                  .out()
                  .println("validation requested for agent " + agentId + " from " + r.validator());
              common.out().println("  requestHash  " + r.requestHash());
              common.out().println("  tx           " + r.txHash());
            });
        return 0;
      } finally {
        common.close();
      }
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show a validation request's state.")
  public static final class Status implements Callable<Integer> {
    @Mixin Common common;

    @Parameters(paramLabel = "REQUEST_HASH")
    String requestHash;

    @Override
    public Integer call() {
      try {
        ValidationStatus s =
            common
                .client()
                .validation()
                .getValidationStatus(Numeric.hexStringToByteArray(requestHash));
        boolean answered = !s.tag().isEmpty() || s.response() != 0;
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("requestHash", s.requestHash());
        o.put("validator", s.validator());
        o.put("agentId", s.agentId());
        o.put("answered", answered);
        o.put("response", s.response());
        o.put("tag", s.tag());
        o.put("responseHash", s.responseHash());
        o.put("lastUpdate", s.lastUpdate());
        common.emit(
            o,
            () ->
                common
                    .out()
                    .println(
                        "request "
                            + s.requestHash()
                            + " for agent "
                            + s.agentId()
                            + " to "
                            + s.validator()
                            + ": "
                            + (answered
                                ? s.response() + " (" + s.tag() + ")"
                                : "not answered yet")));
        return 0;
      } finally {
        common.close();
      }
    }
  }
}
