package io.attest402.erc8004.index;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.ReputationRegistry;
import io.attest402.erc8004.Events;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.ReputationRegistryClient;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.files.RegistrationFile;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * What the registries' events say, folded in chain order: agents (owner, URI, wallet, metadata),
 * feedback with revocations and responses, validation requests with their responses. Pure: no I/O;
 * rebuilt from the raw logs after a rewind. Not thread-safe: the indexer calls it under its lock.
 */
final class RegistryProjection {
  private static final Logger log = LoggerFactory.getLogger(RegistryProjection.class);

  private final RegistryAddresses addresses;
  private final Map<BigInteger, Agent> agents = new TreeMap<>();
  private final Map<BigInteger, List<Fb>> feedback = new HashMap<>();
  private final Map<String, Val> validations = new LinkedHashMap<>();

  RegistryProjection(RegistryAddresses addresses) {
    this.addresses = addresses;
  }

  /** The projection of {@code events}, in order. */
  static RegistryProjection of(RegistryAddresses addresses, List<Log> events) {
    RegistryProjection p = new RegistryProjection(addresses);
    events.forEach(p::apply);
    return p;
  }

  private static final class Agent {
    BigInteger id;
    String owner;
    String uri = "";
    String wallet;
    final Map<String, String> metadata = new LinkedHashMap<>();
    long block;
  }

  private static final class Fb {
    FeedbackEvent event;
    boolean revoked;
    final List<IndexedFeedback.Response> responses = new ArrayList<>();
  }

  private static final class Val {
    ValidationRegistryClient.Request request;
    final List<ValidationRegistryClient.Response> responses = new ArrayList<>();
  }

  void apply(Log l) {
    String t0 = l.getTopics().get(0);
    String addr = l.getAddress();
    try {
      if (addr.equalsIgnoreCase(addresses.identityRegistry())) {
        applyIdentity(l, t0);
      } else if (addr.equalsIgnoreCase(addresses.reputationRegistry())) {
        applyReputation(l, t0);
      } else if (addr.equalsIgnoreCase(addresses.validationRegistry())) {
        if (t0.equals(Events.VALIDATION_REQUEST)) {
          Val v = new Val();
          v.request = ValidationRegistryClient.request(l);
          validations.putIfAbsent(v.request.requestHash().toLowerCase(Locale.ROOT), v);
        } else if (t0.equals(Events.VALIDATION_RESPONSE)) {
          ValidationRegistryClient.Response r = ValidationRegistryClient.response(l);
          Val v = validations.get(r.requestHash().toLowerCase(Locale.ROOT));
          if (v != null) {
            v.responses.add(r);
          }
        }
      }
    } catch (RuntimeException malformed) {
      log.warn(
          "skipping an undecodable log in tx {}: {}", l.getTransactionHash(), malformed.toString());
    }
  }

  private Agent agent(BigInteger id) {
    return agents.computeIfAbsent(
        id,
        k -> {
          Agent a = new Agent();
          a.id = k;
          return a;
        });
  }

  private void applyIdentity(Log l, String t0) {
    long block = l.getBlockNumber().longValueExact();
    if (t0.equals(Events.REGISTERED)) {
      IdentityRegistry.RegisteredEventResponse e = IdentityRegistry.getRegisteredEventFromLog(l);
      Agent a = agent(e.agentId);
      a.owner = Keys.toChecksumAddress(e.owner);
      a.uri = e.agentURI;
      a.block = block;
    } else if (t0.equals(Events.URI_UPDATED)) {
      IdentityRegistry.URIUpdatedEventResponse e = IdentityRegistry.getURIUpdatedEventFromLog(l);
      agent(e.agentId).uri = e.newURI;
    } else if (t0.equals(Events.METADATA_SET)) {
      IdentityRegistry.MetadataSetEventResponse e = IdentityRegistry.getMetadataSetEventFromLog(l);
      Agent a = agent(e.agentId);
      if ("agentWallet".equals(e.metadataKey)) {
        a.wallet =
            e.metadataValue.length == 20
                ? Keys.toChecksumAddress(Numeric.toHexString(e.metadataValue))
                : null;
      } else {
        a.metadata.put(e.metadataKey, Numeric.toHexString(e.metadataValue));
      }
    } else if (t0.equals(Events.TRANSFER)) {
      IdentityRegistry.TransferEventResponse e = IdentityRegistry.getTransferEventFromLog(l);
      Agent a = agent(e.tokenId);
      a.owner = Keys.toChecksumAddress(e.to);
      if (a.block == 0) {
        a.block = block;
      }
    }
  }

  private void applyReputation(Log l, String t0) {
    if (t0.equals(Events.NEW_FEEDBACK)) {
      Fb f = new Fb();
      f.event = ReputationRegistryClient.feedbackEvent(l);
      feedback.computeIfAbsent(f.event.agentId(), k -> new ArrayList<>()).add(f);
    } else if (t0.equals(Events.FEEDBACK_REVOKED)) {
      ReputationRegistry.FeedbackRevokedEventResponse e =
          ReputationRegistry.getFeedbackRevokedEventFromLog(l);
      for (Fb f : feedback.getOrDefault(e.agentId, List.of())) {
        if (f.event.client().equalsIgnoreCase(e.clientAddress)
            && f.event.index() == e.feedbackIndex.longValueExact()) {
          f.revoked = true;
        }
      }
    } else if (t0.equals(Events.RESPONSE_APPENDED)) {
      ReputationRegistry.ResponseAppendedEventResponse e =
          ReputationRegistry.getResponseAppendedEventFromLog(l);
      for (Fb f : feedback.getOrDefault(e.agentId, List.of())) {
        if (f.event.client().equalsIgnoreCase(e.clientAddress)
            && f.event.index() == e.feedbackIndex.longValueExact()) {
          f.responses.add(
              new IndexedFeedback.Response(
                  Keys.toChecksumAddress(e.responder),
                  e.responseURI,
                  Numeric.toHexString(e.responseHash),
                  l.getBlockNumber().longValueExact()));
        }
      }
    }
  }

  /** The agentURIs set so far (for fetching their registration files). */
  List<String> uris() {
    List<String> out = new ArrayList<>();
    for (Agent a : agents.values()) {
      if (a.uri != null && !a.uri.isBlank()) {
        out.add(a.uri);
      }
    }
    return out;
  }

  private static IndexedAgent view(Agent a, Function<String, ObjectNode> files) {
    RegistrationFile file = null;
    String error = null;
    if (a.uri != null && !a.uri.isBlank()) {
      ObjectNode c = files.apply(a.uri);
      if (c == null) {
        error = "not fetched yet";
      } else if (c.has("file")) {
        file = RegistrationFile.fromJson(c.get("file"));
      } else {
        error = c.path("error").asText();
      }
    } else {
      error = "no agentURI";
    }
    return new IndexedAgent(
        a.id, a.owner, a.uri, a.wallet, Map.copyOf(a.metadata), a.block, file, error);
  }

  Optional<IndexedAgent> agent(BigInteger agentId, Function<String, ObjectNode> files) {
    Agent a = agents.get(agentId);
    return a == null || a.owner == null ? Optional.empty() : Optional.of(view(a, files));
  }

  /** Agents matching {@code q}, by agentId. */
  List<IndexedAgent> search(AgentQuery q, Function<String, ObjectNode> files) {
    List<IndexedAgent> out = new ArrayList<>();
    for (Agent a : agents.values()) {
      if (a.owner == null || a.owner.equals("0x0000000000000000000000000000000000000000")) {
        continue;
      }
      IndexedAgent v = view(a, files);
      if (q.matches(v)) {
        out.add(v);
      }
    }
    return out;
  }

  int agentCount() {
    return agents.size();
  }

  /** Every NewFeedback for the agent, in chain order. */
  List<FeedbackEvent> feedbackEvents(BigInteger agentId) {
    List<FeedbackEvent> out = new ArrayList<>();
    feedback.getOrDefault(agentId, List.of()).forEach(f -> out.add(f.event));
    return out;
  }

  List<IndexedFeedback> feedback(BigInteger agentId) {
    List<IndexedFeedback> out = new ArrayList<>();
    for (Fb f : feedback.getOrDefault(agentId, List.of())) {
      out.add(new IndexedFeedback(f.event, f.revoked, List.copyOf(f.responses)));
    }
    return out;
  }

  /**
   * Validation requests, optionally only those addressed to {@code validator} and/or for {@code
   * agentId}.
   */
  List<IndexedValidation> validations(String validator, BigInteger agentId) {
    List<IndexedValidation> out = new ArrayList<>();
    for (Val v : validations.values()) {
      if (validator != null && !v.request.validator().equalsIgnoreCase(validator)) {
        continue;
      }
      if (agentId != null && !v.request.agentId().equals(agentId)) {
        continue;
      }
      out.add(
          new IndexedValidation(
              v.request.requestHash(),
              v.request.validator(),
              v.request.agentId(),
              v.request.requestURI(),
              v.request.blockNumber(),
              List.copyOf(v.responses)));
    }
    return out;
  }
}
