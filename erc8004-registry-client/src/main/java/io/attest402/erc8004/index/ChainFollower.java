package io.attest402.erc8004.index;

import io.attest402.erc8004.ContractRpc;
import io.attest402.erc8004.Events;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.RegistryException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.Log;

/**
 * Reads the registries' events from the chain, batch by batch, and tells whether the blocks the
 * index remembers are still canonical. Only RPC, no state: the indexer calls it outside its lock
 * and commits what it returns.
 */
final class ChainFollower {
  /**
   * The logs of blocks {@code start..end}, in chain order, and the hashes of the blocks they came
   * from.
   */
  record Batch(long start, long end, List<Log> logs, Map<Long, String> hashes) {}

  private final ContractRpc rpc;
  private final RegistryAddresses addresses;
  private final List<String> contractAddresses;
  private final long batchBlocks;

  ChainFollower(
      ContractRpc rpc,
      RegistryAddresses addresses,
      List<String> contractAddresses,
      long batchBlocks) {
    this.rpc = rpc;
    this.addresses = addresses;
    this.contractAddresses = List.copyOf(contractAddresses);
    this.batchBlocks = batchBlocks;
  }

  long head() {
    return rpc.blockNumber();
  }

  /**
   * Where to rewind to when the last remembered block is no longer on the chain: the newest
   * remembered block whose hash still matches, else {@code startBlock - 1}; null when there was no
   * reorg.
   */
  Long forkPoint(long lastBlock, long startBlock, NavigableMap<Long, String> hashes) {
    if (lastBlock < startBlock || hashes.isEmpty()) {
      return null;
    }
    Map.Entry<Long, String> last = hashes.lastEntry();
    if (matches(last.getKey(), last.getValue())) {
      return null;
    }
    long fork = startBlock - 1;
    for (Long b : hashes.descendingKeySet()) {
      if (matches(b, hashes.get(b))) {
        fork = b;
        break;
      }
    }
    return fork;
  }

  /**
   * Blocks {@code start..end}; empty when the logs disagree with the chain on block hashes (reorg
   * in progress).
   */
  Optional<Batch> fetch(long start, long end) {
    List<Log> logs =
        rpc.logs(
            contractAddresses,
            List.of(
                List.of(
                    Events.REGISTERED,
                    Events.URI_UPDATED,
                    Events.METADATA_SET,
                    Events.TRANSFER,
                    Events.NEW_FEEDBACK,
                    Events.FEEDBACK_REVOKED,
                    Events.RESPONSE_APPENDED,
                    Events.VALIDATION_REQUEST,
                    Events.VALIDATION_RESPONSE)),
            start,
            end,
            batchBlocks);
    logs.removeIf(l -> l.isRemoved() || !relevant(l));
    logs.sort(Comparator.comparing((Log l) -> l.getBlockNumber()).thenComparing(Log::getLogIndex));
    EthBlock.Block endBlock =
        rpc.block(end)
            .orElseThrow(
                () ->
                    new RegistryException(
                        "block " + end + " vanished while indexing (reorg in progress?)"));
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
    // Every block the logs came from must still be canonical now that the end block was read (a
    // block
    // hash fixes all earlier blocks, so a later change shows as a new hash of the last processed
    // block).
    for (Map.Entry<Long, String> e : batchHashes.entrySet()) {
      if (consistent && e.getKey() != end && !matches(e.getKey(), e.getValue())) {
        consistent = false;
      }
    }
    if (!consistent) {
      return Optional.empty();
    }
    batchHashes.put(end, endBlock.getHash());
    return Optional.of(new Batch(start, end, logs, batchHashes));
  }

  private boolean relevant(Log l) {
    String t0 = l.getTopics().isEmpty() ? "" : l.getTopics().get(0);
    boolean identity = l.getAddress().equalsIgnoreCase(addresses.identityRegistry());
    if (t0.equals(Events.TRANSFER)) {
      return identity && l.getTopics().size() == 4; // ERC-721 Transfer (tokenId indexed)
    }
    return true;
  }

  private boolean matches(long block, String hash) {
    return rpc.block(block).map(b -> b.getHash().equalsIgnoreCase(hash)).orElse(false);
  }
}
