package io.attest402.facilitator.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Deployment;
import io.attest402.enclave.EnclaveKey;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.IdentityRegistryClient;
import io.attest402.erc8004.WalletSigner;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.validator.ValidationRequestDocument;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.utils.Numeric;

/**
 * The facilitator is an ERC-8004 agent too. It registers itself with its enclave key, so owner and
 * agentWallet are the enclave address and no operator key can speak for it; its registration file
 * lists its x402 and attestation endpoints and {@code supportedTrust: ["tee-attestation"]}. A
 * restart with the same (sealed) key keeps the same agentId; a new key (TDX boots, a new enclave
 * build) registers anew.
 *
 * <p>It also asks TEE validators to validate it: the ERC-8004 validation registry accepts requests
 * only from an agent's owner or operators, so the facilitator itself, not the providers that use
 * it, files them, once per key and validator.
 */
public final class Erc8004Registration {
  private static final Logger log = LoggerFactory.getLogger(Erc8004Registration.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String STATE_FILE = "erc8004-identity.json";

  /** The outcome, for the operator's output. */
  public record Result(
      BigInteger agentId,
      boolean registered,
      List<String> validationRequests,
      RegistrationFile file) {}

  private Erc8004Registration() {}

  /** The registration file for {@code publicUrl}; {@code agentId} null before registration. */
  public static RegistrationFile file(String publicUrl, Deployment d, BigInteger agentId) {
    return file(publicUrl, d, agentId, Map.of());
  }

  /**
   * The facts about the running code published with the {@code attestation} service entry: its
   * measurement (as its quote carries it) and the source revision it was built from. Clients still
   * pin their own expected measurement; this says what to expect to find.
   */
  public static Map<String, JsonNode> attestationFacts(
      io.attest402.enclave.tee.Measurement measurement, String sourceRevision) {
    return Map.of(
        "measurement",
        JSON.valueToTree(measurement),
        "sourceRevision",
        JSON.getNodeFactory().textNode(sourceRevision));
  }

  /**
   * {@link #file(String, Deployment, BigInteger)} with {@code attestationFacts} on the attestation
   * entry.
   */
  public static RegistrationFile file(
      String publicUrl, Deployment d, BigInteger agentId, Map<String, JsonNode> attestationFacts) {
    RegistrationFile f =
        RegistrationFile.of(
            "attest402 facilitator",
            "x402 facilitator running in a TEE: its settlement and receipt key is born in the enclave and bound into "
                + "its attestation quote.",
            null,
            List.of(
                new RegistrationFile.Service(
                    RegistrationFile.Service.X402_FACILITATOR, publicUrl, "2", Map.of()),
                new RegistrationFile.Service(
                    RegistrationFile.Service.ATTESTATION,
                    publicUrl + "/attestation",
                    null,
                    attestationFacts)),
            true,
            List.of(RegistrationFile.TRUST_TEE_ATTESTATION));
    return agentId == null ? f : f.withRegistration(agentId, agentRegistry(d));
  }

  static String agentRegistry(Deployment d) {
    return d.network() + ":" + d.contracts().identityRegistry();
  }

  /**
   * Registers (or keeps) the identity and files validation requests with {@code validators} not yet
   * asked for this key. The key's account pays the gas.
   */
  public static Result ensure(
      Deployment d,
      EnclaveKey key,
      String publicUrl,
      Path dataDir,
      List<String> validators,
      Clock clock) {
    return ensure(d, key, publicUrl, dataDir, validators, clock, Map.of());
  }

  /**
   * {@link #ensure(Deployment, EnclaveKey, String, Path, List, Clock)} publishing {@code
   * attestationFacts}.
   */
  public static Result ensure(
      Deployment d,
      EnclaveKey key,
      String publicUrl,
      Path dataDir,
      List<String> validators,
      Clock clock,
      Map<String, JsonNode> attestationFacts) {
    Erc8004Client client = Erc8004Client.connect(d).withSigner(key);
    try {
      IdentityRegistryClient identity = client.identity();
      String agentUri = publicUrl + "/.well-known/agent-registration.json";
      Path stateFile = dataDir.resolve(STATE_FILE);
      ObjectNode state = readState(stateFile);
      BigInteger agentId = null;
      boolean registered = false;
      if (state.path("identityRegistry").asText().equalsIgnoreCase(identity.address())
          && state.path("address").asText().equalsIgnoreCase(key.address())) {
        BigInteger remembered = new BigInteger(state.path("agentId").asText());
        if (identity.exists(remembered)
            && identity.ownerOf(remembered).equalsIgnoreCase(key.address())) {
          agentId = remembered;
          if (!agentUri.equals(identity.agentURI(agentId))) {
            identity.setAgentURI(agentId, agentUri);
          }
        }
      }
      if (agentId == null) {
        agentId = identity.register(agentUri).agentId();
        registered = true;
        state =
            JSON.createObjectNode()
                .put("identityRegistry", identity.address())
                .put("address", key.address())
                .put("agentId", agentId.toString());
        state.putArray("validationRequests");
      }
      Optional<String> wallet = identity.agentWallet(agentId);
      if (wallet.isEmpty() || !wallet.get().equalsIgnoreCase(key.address())) {
        identity.setAgentWallet(agentId, WalletSigner.enclave(key));
      }
      List<String> requested = new ArrayList<>();
      ArrayNode asked = state.withArray("validationRequests");
      for (String validator : validators) {
        if (alreadyAsked(asked, validator)) {
          continue;
        }
        ValidationRequestDocument doc =
            new ValidationRequestDocument(
                agentRegistry(d), agentId, publicUrl + "/attestation", clock.instant().toString());
        client
            .validation()
            .validationRequest(validator, agentId, doc.toDataUri(), doc.requestHash());
        String hash = Numeric.toHexString(doc.requestHash());
        asked.addObject().put("validator", validator).put("requestHash", hash);
        requested.add(hash);
        log.info("asked validator {} to validate agent {} (request {})", validator, agentId, hash);
      }
      writeState(stateFile, state);
      log.info(
          "facilitator identity: agentId {} ({})", agentId, registered ? "registered" : "kept");
      return new Result(
          agentId, registered, requested, file(publicUrl, d, agentId, attestationFacts));
    } finally {
      client.shutdown();
    }
  }

  private static boolean alreadyAsked(ArrayNode asked, String validator) {
    for (JsonNode a : asked) {
      if (a.path("validator").asText().equalsIgnoreCase(validator)) {
        return true;
      }
    }
    return false;
  }

  private static ObjectNode readState(Path file) {
    if (!Files.isRegularFile(file)) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      return n instanceof ObjectNode o ? o : JSON.createObjectNode();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static void writeState(Path file, ObjectNode state) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".erc8004", ".json");
      Files.writeString(tmp, state.toPrettyString());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
