package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.Registered;
import io.attest402.erc8004.WalletSigner;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.RegistrationFile.Service;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.web3j.crypto.Credentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code registry register}: mint an agent, with a registration file written on-chain or at a given
 * URI.
 */
@Command(
    name = "register",
    mixinStandardHelpOptions = true,
    description =
        "Register an agent. Without --uri, builds the registration file from the options and stores it "
            + "on-chain as a data: URI listing the new agentId.")
public final class RegisterCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(
      names = "--uri",
      paramLabel = "URI",
      description = "An existing registration file (https://, ipfs://, data:).")
  String uri;

  @Option(names = "--name", description = "Agent name.")
  String name;

  @Option(names = "--description", defaultValue = "", description = "Agent description.")
  String description;

  @Option(names = "--image", description = "Image URL.")
  String image;

  @Option(
      names = "--service",
      paramLabel = "NAME=ENDPOINT",
      description =
          "A service entry (repeatable), e.g. "
              + "MCP=https://mcp.example/ or x402-facilitator=http://127.0.0.1:4020.")
  List<String> services = new ArrayList<>();

  @Option(names = "--x402", description = "Declare x402Support: true.")
  boolean x402;

  @Option(
      names = "--trust",
      paramLabel = "MODEL",
      description =
          "supportedTrust value (repeatable): reputation, " + "crypto-economic, tee-attestation.")
  List<String> trust = new ArrayList<>();

  @Option(
      names = "--metadata",
      paramLabel = "KEY=VALUE",
      description = "On-chain metadata, UTF-8 (repeatable).")
  List<String> metadata = new ArrayList<>();

  @Option(
      names = "--wallet-key-file",
      paramLabel = "FILE",
      description = "Make this key's address the agentWallet (it signs the EIP-712 consent).")
  Path walletKeyFile;

  @Option(
      names = "--wallet-account",
      paramLabel = "ROLE",
      description = "Make this dev account the agentWallet.")
  String walletAccount;

  @Override
  public Integer call() {
    try {
      if (uri == null && (name == null || name.isBlank())) {
        throw new ParameterException(
            common.spec.commandLine(), "give --uri, or --name (and the file's options)");
      }
      Erc8004Client c = common.signed();
      Map<String, byte[]> md = new LinkedHashMap<>();
      for (String kv : metadata) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new ParameterException(
              common.spec.commandLine(), "--metadata wants KEY=VALUE, got " + kv);
        }
        md.put(kv.substring(0, eq), kv.substring(eq + 1).getBytes(StandardCharsets.UTF_8));
      }
      Registered r;
      String agentUri;
      RegistrationFile file = null;
      if (uri != null) {
        r = md.isEmpty() ? c.identity().register(uri) : c.identity().register(uri, md);
        agentUri = uri;
      } else {
        List<Service> svc = new ArrayList<>();
        for (String s : services) {
          int eq = s.indexOf('=');
          if (eq <= 0) {
            throw new ParameterException(
                common.spec.commandLine(), "--service wants NAME=ENDPOINT, got " + s);
          }
          svc.add(Service.of(s.substring(0, eq), s.substring(eq + 1)));
        }
        r = md.isEmpty() ? c.identity().register() : c.identity().register("", md);
        file =
            RegistrationFile.of(name, description, image, svc, x402, trust)
                .withRegistration(r.agentId(), c.addresses().agentRegistry());
        agentUri = file.toDataUri();
        c.identity().setAgentURI(r.agentId(), agentUri);
      }
      Credentials wallet =
          walletKeyFile != null
              ? common.readKey(walletKeyFile, "--wallet-key-file")
              : walletAccount != null
                  ? common.deployment().account(walletAccount).credentials()
                  : null;
      if (wallet != null) {
        c.identity().setAgentWallet(r.agentId(), WalletSigner.eoa(wallet));
      }
      String agentWallet = c.identity().agentWallet(r.agentId()).orElse(null);
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("agentId", r.agentId());
      o.put("agentRegistry", c.addresses().agentRegistry());
      o.put("owner", r.owner());
      o.put("agentWallet", agentWallet);
      o.put("agentURI", agentUri);
      o.put("txHash", r.txHash());
      if (file != null) {
        o.set("registrationFile", file.toJsonNode());
      }
      BigInteger id = r.agentId();
      common.emit(
          o,
          () -> {
            common.out().println("registered agent " + id + " on " + c.addresses().agentRegistry());
            common.out().println("  owner        " + r.owner());
            common.out().println("  agentWallet  " + agentWallet);
            common.out().println("  agentURI     " + abbreviate(agentUri));
            common.out().println("  tx           " + r.txHash());
          });
      return 0;
    } finally {
      common.close();
    }
  }

  static String abbreviate(String s) {
    return s == null || s.length() <= 100 ? s : s.substring(0, 97) + "...";
  }
}
