package io.attest402.erc8004.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.generated.IdentityRegistry;
import io.attest402.contracts.generated.ReputationRegistry;
import io.attest402.erc8004.ContractRpc;
import io.attest402.erc8004.Events;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.RegistryException;
import io.attest402.erc8004.ReputationRegistryClient;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * Follows the three registries' events from a start block and answers searches. Reorg-safe: only blocks with
 * {@code confirmations} blocks on top are processed, and before every step the hash of the last processed block
 * is compared with the chain's; on a mismatch the index rewinds to the newest remembered block whose hash still
 * matches (or to the start) and replays from there. Resumable: the raw logs are appended to
 * {@code events.jsonl} and the cursor (last block, remembered block hashes) is replaced atomically in
 * {@code cursor.json} after each batch, so a restart (even a crash between the two writes) neither loses nor
 * duplicates an event. Resolved registration files are cached in {@code files.json}. Thread-safe.
 */
public final class RegistryIndexer {
  private static final Logger log = LoggerFactory.getLogger(RegistryIndexer.class);

  /** How the indexer follows the chain. */
  public record Options(long startBlock, int confirmations, long batchBlocks, int hashWindow, boolean resolveFiles,
      long fileRetrySeconds) {
    public static Options defaults() {
      return new Options(0, 0, 2_000, 512, true, 60);
    }

    public Options withStartBlock(long b) {
      return new Options(b, confirmations, batchBlocks, hashWindow, resolveFiles, fileRetrySeconds);
    }

    public Options withConfirmations(int c) {
      return new Options(startBlock, c, batchBlocks, hashWindow, resolveFiles, fileRetrySeconds);
    }

    public Options withBatchBlocks(long n) {
      return new Options(startBlock, confirmations, n, hashWindow, resolveFiles, fileRetrySeconds);
    }

    public Options withResolveFiles(boolean r) {
      return new Options(startBlock, confirmations, batchBlocks, hashWindow, r, fileRetrySeconds);
    }
  }

  /** What one {@link #sync()} did. */
  public record SyncResult(long fromBlock, long toBlock, int newEvents, Long rewoundTo) {
    public boolean reorged() {
      return rewoundTo != null;
    }
  }

  private final ContractRpc rpc;
  private final RegistryAddresses addresses;
  private final Path dir;
  private final Options options;
  private final UriResolver resolver;
  private final Clock clock;
  private final List<String> contractAddresses;

  // persisted
  private long lastBlock;
  private final TreeMap<Long, String> hashes = new TreeMap<>();
  private final List<Log> events = new ArrayList<>();
  private final Map<String, ObjectNode> fileCache = new LinkedHashMap<>();

  // derived
  private State state = new State();

  public RegistryIndexer(ContractRpc rpc, RegistryAddresses addresses, Path dataDir, Options options,
      UriResolver resolver, Clock clock) {
    this.rpc = rpc;
    this.addresses = addresses;
    this.dir = dataDir;
    this.options = options;
    this.resolver = resolver;
    this.clock = clock;
    List<String> a = new ArrayList<>();
    a.add(addresses.identityRegistry());
    if (addresses.reputationRegistry() != null) {
      a.add(addresses.reputationRegistry());
    }
    if (addresses.validationRegistry() != null) {
      a.add(addresses.validationRegistry());
    }
    this.contractAddresses = List.copyOf(a);
    this.lastBlock = options.startBlock() - 1;
    load();
  }

  public RegistryIndexer(ContractRpc rpc, RegistryAddresses addresses, Path dataDir, Options options,
      UriResolver resolver) {
    this(rpc, addresses, dataDir, options, resolver, Clock.systemUTC());
  }

  // ------------------------------------------------------------------------------------------ persistence

  private Path cursorFile() {
    return dir.resolve("cursor.json");
  }

  private Path eventsFile() {
    return dir.resolve("events.jsonl");
  }

  private Path filesFile() {
    return dir.resolve("files.json");
  }

  private void load() {
    try {
      Files.createDirectories(dir);
      if (Files.exists(cursorFile())) {
        JsonNode c = Json.parse(Files.readAllBytes(cursorFile()));
        if (c.path("chainId").asLong() != addresses.chainId()
            || !c.path("identityRegistry").asText().equalsIgnoreCase(addresses.identityRegistry())) {
          throw new IllegalStateException(dir + " indexes another chain or registry ("
              + c.path("chainId").asLong() + ", " + c.path("identityRegistry").asText() + ")");
        }
        lastBlock = c.path("lastBlock").asLong();
        c.path("hashes").properties().forEach(e -> hashes.put(Long.parseLong(e.getKey()), e.getValue().asText()));
      }
      boolean dropped = false;
      if (Files.exists(eventsFile())) {
        for (String line : Files.readAllLines(eventsFile(), StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          Log l;
          try {
            l = logFromJson(Json.parse(line));
          } catch (RuntimeException torn) {
            dropped = true; // a line torn by a crash mid-write: the cursor never covered it
            continue;
          }
          if (l.getBlockNumber().longValueExact() > lastBlock) {
            dropped = true; // appended, but the cursor was not advanced before a crash: will be re-read
            continue;
          }
          events.add(l);
        }
      }
      if (dropped) {
        rewriteEvents();
      }
      if (Files.exists(filesFile())) {
        JsonNode f = Json.parse(Files.readAllBytes(filesFile()));
        f.properties().forEach(e -> fileCache.put(e.getKey(), (ObjectNode) e.getValue()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the index in " + dir, e);
    }
    rebuild();
  }

  private void writeCursor() throws IOException {
    ObjectNode c = Json.MAPPER.createObjectNode();
    c.put("chainId", addresses.chainId());
    c.put("identityRegistry", addresses.identityRegistry());
    c.put("reputationRegistry", addresses.reputationRegistry());
    c.put("validationRegistry", addresses.validationRegistry());
    c.put("startBlock", options.startBlock());
    c.put("lastBlock", lastBlock);
    ObjectNode h = c.putObject("hashes");
    hashes.forEach((k, v) -> h.put(Long.toString(k), v));
    atomicWrite(cursorFile(), Json.writeBytes(c));
  }

  private void appendEvents(List<Log> logs) throws IOException {
    if (logs.isEmpty()) {
      return;
    }
    try (BufferedWriter w = Files.newBufferedWriter(eventsFile(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND)) {
      for (Log l : logs) {
        w.write(Json.write(logToJson(l)));
        w.write('\n');
      }
    }
  }

  private void rewriteEvents() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Log l : events) {
      sb.append(Json.write(logToJson(l))).append('\n');
    }
    atomicWrite(eventsFile(), sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void writeFiles() throws IOException {
    ObjectNode o = Json.MAPPER.createObjectNode();
    fileCache.forEach(o::set);
    atomicWrite(filesFile(), Json.writeBytes(o));
  }

  private void atomicWrite(Path target, byte[] bytes) throws IOException {
    Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static ObjectNode logToJson(Log l) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("blockNumber", l.getBlockNumber().longValueExact());
    o.put("blockHash", l.getBlockHash());
    o.put("transactionHash", l.getTransactionHash());
    o.put("transactionIndex", l.getTransactionIndexRaw());
    o.put("logIndex", l.getLogIndex().longValueExact());
    o.put("address", l.getAddress());
    o.put("data", l.getData());
    ArrayNode t = o.putArray("topics");
    l.getTopics().forEach(t::add);
    return o;
  }

  private static Log logFromJson(JsonNode o) {
    List<String> topics = new ArrayList<>();
    o.get("topics").forEach(t -> topics.add(t.asText()));
    return new Log(false, Numeric.toHexStringWithPrefix(BigInteger.valueOf(o.get("logIndex").asLong())),
        o.path("transactionIndex").asText("0x0"), o.get("transactionHash").asText(), o.get("blockHash").asText(),
        Numeric.toHexStringWithPrefix(BigInteger.valueOf(o.get("blockNumber").asLong())), o.get("address").asText(),
        o.get("data").asText(), null, topics);
  }

  // --------------------------------------------------------------------------------------------- syncing

  /** The last block processed (startBlock - 1 before the first). */
  public synchronized long lastBlock() {
    return lastBlock;
  }

  /** Processes every confirmed block up to the chain head (in batches), after checking for a reorg. */
  public synchronized SyncResult sync() {
    Long rewound = checkReorg();
    long head = rpc.blockNumber();
    long target = head - options.confirmations();
    long from = lastBlock + 1;
    int added = 0;
    try {
      while (lastBlock < target) {
        long start = lastBlock + 1;
        long end = Math.min(target, start + options.batchBlocks() - 1);
        List<Log> logs = rpc.logs(contractAddresses, List.of(List.of(Events.REGISTERED, Events.URI_UPDATED,
            Events.METADATA_SET, Events.TRANSFER, Events.NEW_FEEDBACK, Events.FEEDBACK_REVOKED,
            Events.RESPONSE_APPENDED, Events.VALIDATION_REQUEST, Events.VALIDATION_RESPONSE)), start, end,
            options.batchBlocks());
        logs.removeIf(l -> l.isRemoved() || !relevant(l));
        logs.sort(Comparator.comparing((Log l) -> l.getBlockNumber()).thenComparing(Log::getLogIndex));
        EthBlock.Block endBlock = rpc.block(end).orElseThrow(() -> new RegistryException("block " + end
            + " vanished while indexing (reorg in progress?)"));
        Map<Long, String> batchHashes = new HashMap<>();
        boolean consistent = true;
        for (Log l : logs) {
          long b = l.getBlockNumber().longValueExact();
          String prev = batchHashes.putIfAbsent(b, l.getBlockHash());
          if ((prev != null && !prev.equalsIgnoreCase(l.getBlockHash()))
              || (b == end && !l.getBlockHash().equalsIgnoreCase(endBlock.getHash()))) {
            consistent = false;
          }
        }
        // Every block the logs came from must still be canonical now that the end block was read (a block
        // hash fixes all earlier blocks, so a later change shows as a new hash of the last processed block).
        for (Map.Entry<Long, String> e : batchHashes.entrySet()) {
          if (consistent && e.getKey() != end && !matches(e.getKey(), e.getValue())) {
            consistent = false;
          }
        }
        if (!consistent) {
          log.warn("logs of blocks {}..{} disagree on block hashes (reorg in progress); retrying later", start, end);
          break;
        }
        batchHashes.put(end, endBlock.getHash());
        appendEvents(logs);
        events.addAll(logs);
        for (Log l : logs) {
          apply(state, l);
        }
        hashes.putAll(batchHashes);
        while (hashes.size() > options.hashWindow()) {
          hashes.pollFirstEntry();
        }
        lastBlock = end;
        writeCursor();
        added += logs.size();
      }
      if (options.resolveFiles()) {
        resolveFiles();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the index in " + dir, e);
    }
    return new SyncResult(from, lastBlock, added, rewound);
  }

  private boolean relevant(Log l) {
    String t0 = l.getTopics().isEmpty() ? "" : l.getTopics().get(0);
    boolean identity = l.getAddress().equalsIgnoreCase(addresses.identityRegistry());
    if (t0.equals(Events.TRANSFER)) {
      return identity && l.getTopics().size() == 4; // ERC-721 Transfer (tokenId indexed)
    }
    return true;
  }

  /** Rewinds when the last processed block is no longer on the chain; returns the block rewound to, or null. */
  private Long checkReorg() {
    if (lastBlock < options.startBlock() || hashes.isEmpty()) {
      return null;
    }
    Map.Entry<Long, String> last = hashes.lastEntry();
    if (matches(last.getKey(), last.getValue())) {
      return null;
    }
    long fork = options.startBlock() - 1;
    for (Long b : hashes.descendingKeySet()) {
      if (matches(b, hashes.get(b))) {
        fork = b;
        break;
      }
    }
    log.warn("reorg: block {} changed; rewinding the index to block {}", last.getKey(), fork);
    rewind(fork);
    return fork;
  }

  private boolean matches(long block, String hash) {
    return rpc.block(block).map(b -> b.getHash().equalsIgnoreCase(hash)).orElse(false);
  }

  private void rewind(long to) {
    final long keep = to;
    events.removeIf(l -> l.getBlockNumber().longValueExact() > keep);
    hashes.tailMap(keep, false).clear();
    lastBlock = keep;
    try {
      rewriteEvents();
      writeCursor();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite the index in " + dir, e);
    }
    rebuild();
  }

  private void rebuild() {
    State s = new State();
    for (Log l : events) {
      apply(s, l);
    }
    state = s;
  }

  // ------------------------------------------------------------------------------------------------ state

  private static final class State {
    final Map<BigInteger, Agent> agents = new TreeMap<>();
    final Map<BigInteger, List<Fb>> feedback = new HashMap<>();
    final Map<String, Val> validations = new LinkedHashMap<>();
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

  private void apply(State s, Log l) {
    String t0 = l.getTopics().get(0);
    String addr = l.getAddress();
    try {
      if (addr.equalsIgnoreCase(addresses.identityRegistry())) {
        applyIdentity(s, l, t0);
      } else if (addr.equalsIgnoreCase(addresses.reputationRegistry())) {
        applyReputation(s, l, t0);
      } else if (addr.equalsIgnoreCase(addresses.validationRegistry())) {
        if (t0.equals(Events.VALIDATION_REQUEST)) {
          Val v = new Val();
          v.request = ValidationRegistryClient.request(l);
          s.validations.putIfAbsent(v.request.requestHash().toLowerCase(Locale.ROOT), v);
        } else if (t0.equals(Events.VALIDATION_RESPONSE)) {
          ValidationRegistryClient.Response r = ValidationRegistryClient.response(l);
          Val v = s.validations.get(r.requestHash().toLowerCase(Locale.ROOT));
          if (v != null) {
            v.responses.add(r);
          }
        }
      }
    } catch (RuntimeException malformed) {
      log.warn("skipping an undecodable log in tx {}: {}", l.getTransactionHash(), malformed.toString());
    }
  }

  private static Agent agent(State s, BigInteger id) {
    return s.agents.computeIfAbsent(id, k -> {
      Agent a = new Agent();
      a.id = k;
      return a;
    });
  }

  private void applyIdentity(State s, Log l, String t0) {
    long block = l.getBlockNumber().longValueExact();
    if (t0.equals(Events.REGISTERED)) {
      IdentityRegistry.RegisteredEventResponse e = IdentityRegistry.getRegisteredEventFromLog(l);
      Agent a = agent(s, e.agentId);
      a.owner = Keys.toChecksumAddress(e.owner);
      a.uri = e.agentURI;
      a.block = block;
    } else if (t0.equals(Events.URI_UPDATED)) {
      IdentityRegistry.URIUpdatedEventResponse e = IdentityRegistry.getURIUpdatedEventFromLog(l);
      agent(s, e.agentId).uri = e.newURI;
    } else if (t0.equals(Events.METADATA_SET)) {
      IdentityRegistry.MetadataSetEventResponse e = IdentityRegistry.getMetadataSetEventFromLog(l);
      Agent a = agent(s, e.agentId);
      if ("agentWallet".equals(e.metadataKey)) {
        a.wallet = e.metadataValue.length == 20 ? Keys.toChecksumAddress(Numeric.toHexString(e.metadataValue)) : null;
      } else {
        a.metadata.put(e.metadataKey, Numeric.toHexString(e.metadataValue));
      }
    } else if (t0.equals(Events.TRANSFER)) {
      IdentityRegistry.TransferEventResponse e = IdentityRegistry.getTransferEventFromLog(l);
      Agent a = agent(s, e.tokenId);
      a.owner = Keys.toChecksumAddress(e.to);
      if (a.block == 0) {
        a.block = block;
      }
    }
  }

  private void applyReputation(State s, Log l, String t0) {
    if (t0.equals(Events.NEW_FEEDBACK)) {
      Fb f = new Fb();
      f.event = ReputationRegistryClient.feedbackEvent(l);
      s.feedback.computeIfAbsent(f.event.agentId(), k -> new ArrayList<>()).add(f);
    } else if (t0.equals(Events.FEEDBACK_REVOKED)) {
      ReputationRegistry.FeedbackRevokedEventResponse e = ReputationRegistry.getFeedbackRevokedEventFromLog(l);
      for (Fb f : s.feedback.getOrDefault(e.agentId, List.of())) {
        if (f.event.client().equalsIgnoreCase(e.clientAddress) && f.event.index() == e.feedbackIndex.longValueExact()) {
          f.revoked = true;
        }
      }
    } else if (t0.equals(Events.RESPONSE_APPENDED)) {
      ReputationRegistry.ResponseAppendedEventResponse e = ReputationRegistry.getResponseAppendedEventFromLog(l);
      for (Fb f : s.feedback.getOrDefault(e.agentId, List.of())) {
        if (f.event.client().equalsIgnoreCase(e.clientAddress) && f.event.index() == e.feedbackIndex.longValueExact()) {
          f.responses.add(new IndexedFeedback.Response(Keys.toChecksumAddress(e.responder), e.responseURI,
              Numeric.toHexString(e.responseHash), l.getBlockNumber().longValueExact()));
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------- registration files

  private static String uriKey(String uri) {
    return Numeric.toHexString(Hash.sha3(uri.getBytes(StandardCharsets.UTF_8)));
  }

  private void resolveFiles() throws IOException {
    boolean changed = false;
    long now = clock.millis();
    for (Agent a : state.agents.values()) {
      if (a.uri == null || a.uri.isBlank()) {
        continue;
      }
      String key = uriKey(a.uri);
      ObjectNode cached = fileCache.get(key);
      if (cached != null && (cached.has("file")
          || now - cached.path("fetchedAt").asLong() < options.fileRetrySeconds() * 1000)) {
        continue;
      }
      ObjectNode entry = Json.MAPPER.createObjectNode();
      entry.put("fetchedAt", now);
      try {
        RegistrationFile f = RegistrationFile.parse(resolver.resolve(a.uri));
        entry.set("file", f.toJsonNode());
      } catch (ResolutionException | IllegalArgumentException e) {
        entry.put("error", e.getMessage());
      }
      fileCache.put(key, entry);
      changed = true;
    }
    if (changed) {
      writeFiles();
    }
  }

  /** Forgets cached registration files (they are fetched again on the next sync). */
  public synchronized void refreshFiles() {
    fileCache.clear();
  }

  // ----------------------------------------------------------------------------------------------- queries

  private IndexedAgent view(Agent a) {
    RegistrationFile file = null;
    String error = null;
    if (a.uri != null && !a.uri.isBlank()) {
      ObjectNode c = fileCache.get(uriKey(a.uri));
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
    return new IndexedAgent(a.id, a.owner, a.uri, a.wallet, Map.copyOf(a.metadata), a.block, file, error);
  }

  public synchronized Optional<IndexedAgent> agent(BigInteger agentId) {
    Agent a = state.agents.get(agentId);
    return a == null || a.owner == null ? Optional.empty() : Optional.of(view(a));
  }

  /** Agents matching {@code q}, by agentId. */
  public synchronized List<IndexedAgent> search(AgentQuery q) {
    List<IndexedAgent> out = new ArrayList<>();
    for (Agent a : state.agents.values()) {
      if (a.owner == null || a.owner.equals("0x0000000000000000000000000000000000000000")) {
        continue;
      }
      IndexedAgent v = view(a);
      if (q.matches(v)) {
        out.add(v);
      }
    }
    return out;
  }

  public synchronized int agentCount() {
    return state.agents.size();
  }

  /** Every NewFeedback for the agent, in chain order. */
  public synchronized List<FeedbackEvent> feedbackEvents(BigInteger agentId) {
    List<FeedbackEvent> out = new ArrayList<>();
    state.feedback.getOrDefault(agentId, List.of()).forEach(f -> out.add(f.event));
    return out;
  }

  /** {@link #sync()} then {@link #feedbackEvents}: a ReputationService source that is never stale. */
  public synchronized List<FeedbackEvent> syncedFeedbackEvents(BigInteger agentId) {
    sync();
    return feedbackEvents(agentId);
  }

  /** Agent ids whose agentWallet is {@code wallet}, after a {@link #sync()}: a TrustPolicy directory. */
  public synchronized List<BigInteger> syncedAgentsByWallet(String wallet) {
    sync();
    return search(AgentQuery.byWallet(wallet)).stream().map(IndexedAgent::agentId).toList();
  }

  public synchronized List<IndexedFeedback> feedback(BigInteger agentId) {
    List<IndexedFeedback> out = new ArrayList<>();
    for (Fb f : state.feedback.getOrDefault(agentId, List.of())) {
      out.add(new IndexedFeedback(f.event, f.revoked, List.copyOf(f.responses)));
    }
    return out;
  }

  /** Validation requests, optionally only those addressed to {@code validator} and/or for {@code agentId}. */
  public synchronized List<IndexedValidation> validations(String validator, BigInteger agentId) {
    List<IndexedValidation> out = new ArrayList<>();
    for (Val v : state.validations.values()) {
      if (validator != null && !v.request.validator().equalsIgnoreCase(validator)) {
        continue;
      }
      if (agentId != null && !v.request.agentId().equals(agentId)) {
        continue;
      }
      out.add(new IndexedValidation(v.request.requestHash(), v.request.validator(), v.request.agentId(),
          v.request.requestURI(), v.request.blockNumber(), List.copyOf(v.responses)));
    }
    return out;
  }

  /** The number of raw events held (for diagnostics and tests). */
  public synchronized int eventCount() {
    return events.size();
  }

  public RegistryAddresses addresses() {
    return addresses;
  }
}
