package io.attest402.erc8004.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.RegistryAddresses;
import io.attest402.erc8004.files.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * The index on disk: raw logs appended to {@code events.jsonl}, the cursor (last block, remembered
 * block hashes) replaced atomically in {@code cursor.json} after each batch, resolved registration
 * files in {@code files.json}. A restart, even after a crash between two writes, neither loses nor
 * duplicates an event: logs past the cursor and lines torn mid-write are dropped on load (they are
 * read again from the chain). Not thread-safe: the indexer calls it under its lock.
 */
final class IndexStore {
  /** What the directory held. */
  record Loaded(
      long lastBlock,
      TreeMap<Long, String> hashes,
      List<Log> events,
      Map<String, ObjectNode> files) {}

  private final Path dir;
  private final RegistryAddresses addresses;
  private final long startBlock;

  IndexStore(Path dir, RegistryAddresses addresses, long startBlock) {
    this.dir = dir;
    this.addresses = addresses;
    this.startBlock = startBlock;
  }

  Path dir() {
    return dir;
  }

  private Path cursorFile() {
    return dir.resolve("cursor.json");
  }

  private Path eventsFile() {
    return dir.resolve("events.jsonl");
  }

  private Path filesFile() {
    return dir.resolve("files.json");
  }

  Loaded load() {
    long lastBlock = startBlock - 1;
    TreeMap<Long, String> hashes = new TreeMap<>();
    List<Log> events = new ArrayList<>();
    Map<String, ObjectNode> files = new LinkedHashMap<>();
    try {
      Files.createDirectories(dir);
      if (Files.exists(cursorFile())) {
        JsonNode c = Json.parse(Files.readAllBytes(cursorFile()));
        if (c.path("chainId").asLong() != addresses.chainId()
            || !c.path("identityRegistry")
                .asText()
                .equalsIgnoreCase(addresses.identityRegistry())) {
          throw new IllegalStateException(
              dir
                  + " indexes another chain or registry ("
                  + c.path("chainId").asLong()
                  + ", "
                  + c.path("identityRegistry").asText()
                  + ")");
        }
        lastBlock = c.path("lastBlock").asLong();
        c.path("hashes")
            .properties()
            .forEach(e -> hashes.put(Long.parseLong(e.getKey()), e.getValue().asText()));
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
            dropped =
                true; // appended, but the cursor was not advanced before a crash: will be re-read
            continue;
          }
          events.add(l);
        }
      }
      if (dropped) {
        rewriteEvents(events);
      }
      if (Files.exists(filesFile())) {
        JsonNode f = Json.parse(Files.readAllBytes(filesFile()));
        f.properties().forEach(e -> files.put(e.getKey(), (ObjectNode) e.getValue()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the index in " + dir, e);
    }
    return new Loaded(lastBlock, hashes, events, files);
  }

  void writeCursor(long lastBlock, NavigableMap<Long, String> hashes) throws IOException {
    ObjectNode c = Json.MAPPER.createObjectNode();
    c.put("chainId", addresses.chainId());
    c.put("identityRegistry", addresses.identityRegistry());
    c.put("reputationRegistry", addresses.reputationRegistry());
    c.put("validationRegistry", addresses.validationRegistry());
    c.put("startBlock", startBlock);
    c.put("lastBlock", lastBlock);
    ObjectNode h = c.putObject("hashes");
    hashes.forEach((k, v) -> h.put(Long.toString(k), v));
    atomicWrite(cursorFile(), Json.writeBytes(c));
  }

  void appendEvents(List<Log> logs) throws IOException {
    if (logs.isEmpty()) {
      return;
    }
    try (BufferedWriter w =
        Files.newBufferedWriter(
            eventsFile(),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      for (Log l : logs) {
        w.write(Json.write(logToJson(l)));
        w.write('\n');
      }
    }
  }

  void rewriteEvents(List<Log> events) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Log l : events) {
      sb.append(Json.write(logToJson(l))).append('\n');
    }
    atomicWrite(eventsFile(), sb.toString().getBytes(StandardCharsets.UTF_8));
  }

  void writeFiles(Map<String, ObjectNode> files) throws IOException {
    ObjectNode o = Json.MAPPER.createObjectNode();
    files.forEach(o::set);
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
    return new Log(
        false,
        Numeric.toHexStringWithPrefix(BigInteger.valueOf(o.get("logIndex").asLong())),
        o.path("transactionIndex").asText("0x0"),
        o.get("transactionHash").asText(),
        o.get("blockHash").asText(),
        Numeric.toHexStringWithPrefix(BigInteger.valueOf(o.get("blockNumber").asLong())),
        o.get("address").asText(),
        o.get("data").asText(),
        null,
        topics);
  }
}
