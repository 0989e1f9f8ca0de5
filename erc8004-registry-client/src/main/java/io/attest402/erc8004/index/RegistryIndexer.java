package io.attest402.erc8004.index;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.ContractRpc;
import io.attest402.erc8004.FeedbackEvent;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * Follows the three registries' events from a start block and answers searches. Reorg-safe: only
 * blocks with {@code confirmations} blocks on top are processed, and before every sync the hash of
 * the last processed block is compared with the chain's; on a mismatch the index rewinds to the
 * newest remembered block whose hash still matches (or to the start) and replays from there.
 * Resumable: {@link IndexStore} persists raw logs and the cursor so that a restart neither loses
 * nor duplicates an event. Three parts: {@link ChainFollower} reads the chain, {@link
 * RegistryProjection} folds the events into agents, feedback and validations, {@link IndexStore}
 * keeps them on disk. Thread-safe, and queries never wait on the network: RPC calls and
 * registration-file fetches run outside the lock, and a fetched batch is committed only onto the
 * state it was fetched from (a concurrent sync that got there first wins; the other one re-reads
 * where the index is).
 */
public final class RegistryIndexer {
  private static final Logger log = LoggerFactory.getLogger(RegistryIndexer.class);

  /** How the indexer follows the chain. */
  public record Options(
      long startBlock,
      int confirmations,
      long batchBlocks,
      int hashWindow,
      boolean resolveFiles,
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

  private final RegistryAddresses addresses;
  private final Options options;
  private final UriResolver resolver;
  private final Clock clock;
  private final ChainFollower follower;
  private final IndexStore store;

  private final Object lock = new Object();
  // Guarded by lock. generation counts every change of the event list (commit or rewind).
  private long lastBlock;
  private final TreeMap<Long, String> hashes;
  private final List<Log> events;
  private final Map<String, ObjectNode> fileCache;
  private RegistryProjection projection;
  private long generation;

  public RegistryIndexer(
      ContractRpc rpc,
      RegistryAddresses addresses,
      Path dataDir,
      Options options,
      UriResolver resolver,
      Clock clock) {
    this.addresses = addresses;
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
    this.follower = new ChainFollower(rpc, addresses, a, options.batchBlocks());
    this.store = new IndexStore(dataDir, addresses, options.startBlock());
    IndexStore.Loaded loaded = store.load();
    this.lastBlock = loaded.lastBlock();
    this.hashes = loaded.hashes();
    this.events = new ArrayList<>(loaded.events());
    this.fileCache = new LinkedHashMap<>(loaded.files());
    this.projection = RegistryProjection.of(addresses, events);
  }

  public RegistryIndexer(
      ContractRpc rpc,
      RegistryAddresses addresses,
      Path dataDir,
      Options options,
      UriResolver resolver) {
    this(rpc, addresses, dataDir, options, resolver, Clock.systemUTC());
  }

  // ---------------------------------------------------------------------------------------------
  // syncing

  /** The last block processed (startBlock - 1 before the first). */
  public long lastBlock() {
    synchronized (lock) {
      return lastBlock;
    }
  }

  /**
   * Processes every confirmed block up to the chain head (in batches), after checking for a reorg.
   */
  public SyncResult sync() {
    long seenBlock;
    long seenGeneration;
    TreeMap<Long, String> seenHashes;
    synchronized (lock) {
      seenBlock = lastBlock;
      seenGeneration = generation;
      seenHashes = new TreeMap<>(hashes);
    }
    Long rewound = null;
    Long fork = follower.forkPoint(seenBlock, options.startBlock(), seenHashes);
    if (fork != null) {
      synchronized (lock) {
        if (generation
            == seenGeneration) { // else another sync moved the index meanwhile, and checked itself
          log.warn(
              "reorg: block {} changed; rewinding the index to block {}",
              seenHashes.lastKey(),
              fork);
          rewind(fork);
          rewound = fork;
        }
      }
    }
    long target = follower.head() - options.confirmations();
    long from = lastBlock() + 1;
    int added = 0;
    while (true) {
      long start;
      long startGeneration;
      synchronized (lock) {
        if (lastBlock >= target) {
          break;
        }
        start = lastBlock + 1;
        startGeneration = generation;
      }
      long end = Math.min(target, start + options.batchBlocks() - 1);
      Optional<ChainFollower.Batch> batch = follower.fetch(start, end);
      if (batch.isEmpty()) {
        log.warn(
            "logs of blocks {}..{} disagree on block hashes (reorg in progress); retrying later",
            start,
            end);
        break;
      }
      synchronized (lock) {
        if (generation == startGeneration) {
          commit(batch.get());
          added += batch.get().logs().size();
        }
      }
    }
    if (options.resolveFiles()) {
      resolveFiles();
    }
    return new SyncResult(from, lastBlock(), added, rewound);
  }

  private void commit(ChainFollower.Batch batch) {
    try {
      store.appendEvents(batch.logs());
      events.addAll(batch.logs());
      for (Log l : batch.logs()) {
        projection.apply(l);
      }
      hashes.putAll(batch.hashes());
      while (hashes.size() > options.hashWindow()) {
        hashes.pollFirstEntry();
      }
      lastBlock = batch.end();
      generation++;
      store.writeCursor(lastBlock, hashes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the index in " + store.dir(), e);
    }
  }

  private void rewind(long to) {
    final long keep = to;
    events.removeIf(l -> l.getBlockNumber().longValueExact() > keep);
    hashes.tailMap(keep, false).clear();
    lastBlock = keep;
    generation++;
    try {
      store.rewriteEvents(events);
      store.writeCursor(lastBlock, hashes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot rewrite the index in " + store.dir(), e);
    }
    projection = RegistryProjection.of(addresses, events);
  }

  // --------------------------------------------------------------------------------------
  // registration files

  private static String uriKey(String uri) {
    return Numeric.toHexString(Hash.sha3(uri.getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Fetches the registration files not cached yet (failed ones again after fileRetrySeconds), off
   * the lock.
   */
  private void resolveFiles() {
    long now = clock.millis();
    List<String> due = new ArrayList<>();
    synchronized (lock) {
      for (String uri : projection.uris()) {
        ObjectNode cached = fileCache.get(uriKey(uri));
        if (cached != null
            && (cached.has("file")
                || now - cached.path("fetchedAt").asLong() < options.fileRetrySeconds() * 1000)) {
          continue;
        }
        if (!due.contains(uri)) {
          due.add(uri);
        }
      }
    }
    if (due.isEmpty()) {
      return;
    }
    Map<String, ObjectNode> fetched = new LinkedHashMap<>();
    for (String uri : due) {
      ObjectNode entry = Json.MAPPER.createObjectNode();
      entry.put("fetchedAt", now);
      try {
        RegistrationFile f = RegistrationFile.parse(resolver.resolve(uri));
        entry.set("file", f.toJsonNode());
      } catch (ResolutionException | IllegalArgumentException e) {
        entry.put("error", e.getMessage());
      }
      fetched.put(uriKey(uri), entry);
    }
    synchronized (lock) {
      fileCache.putAll(fetched);
      try {
        store.writeFiles(fileCache);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the index in " + store.dir(), e);
      }
    }
  }

  private ObjectNode cachedFile(String uri) {
    return fileCache.get(uriKey(uri));
  }

  // -----------------------------------------------------------------------------------------------
  // queries

  public Optional<IndexedAgent> agent(BigInteger agentId) {
    synchronized (lock) {
      return projection.agent(agentId, this::cachedFile);
    }
  }

  /** Agents matching {@code q}, by agentId. */
  public List<IndexedAgent> search(AgentQuery q) {
    synchronized (lock) {
      return projection.search(q, this::cachedFile);
    }
  }

  public int agentCount() {
    synchronized (lock) {
      return projection.agentCount();
    }
  }

  /** Every NewFeedback for the agent, in chain order. */
  public List<FeedbackEvent> feedbackEvents(BigInteger agentId) {
    synchronized (lock) {
      return projection.feedbackEvents(agentId);
    }
  }

  /**
   * {@link #sync()} then {@link #feedbackEvents}: a ReputationService source that is never stale.
   */
  public List<FeedbackEvent> syncedFeedbackEvents(BigInteger agentId) {
    sync();
    return feedbackEvents(agentId);
  }

  /**
   * Agent ids whose agentWallet is {@code wallet}, after a {@link #sync()}: a TrustPolicy
   * directory.
   */
  public List<BigInteger> syncedAgentsByWallet(String wallet) {
    sync();
    return search(AgentQuery.byWallet(wallet)).stream().map(IndexedAgent::agentId).toList();
  }

  public List<IndexedFeedback> feedback(BigInteger agentId) {
    synchronized (lock) {
      return projection.feedback(agentId);
    }
  }

  /**
   * Validation requests, optionally only those addressed to {@code validator} and/or for {@code
   * agentId}.
   */
  public List<IndexedValidation> validations(String validator, BigInteger agentId) {
    synchronized (lock) {
      return projection.validations(validator, agentId);
    }
  }

  /** The number of raw events held (for diagnostics and tests). */
  public int eventCount() {
    synchronized (lock) {
      return events.size();
    }
  }

  public RegistryAddresses addresses() {
    return addresses;
  }
}
