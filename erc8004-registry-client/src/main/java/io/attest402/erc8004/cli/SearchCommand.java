package io.attest402.erc8004.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.index.AgentQuery;
import io.attest402.erc8004.index.IndexedAgent;
import io.attest402.erc8004.index.RegistryIndexer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code registry search}: bring the event index up to date, then filter agents. */
@Command(
    name = "search",
    mixinStandardHelpOptions = true,
    description =
        "Search agents by name, service, x402 support, supported trust or wallet (indexes the registry's "
            + "events first; the index persists under --data-dir).")
public final class SearchCommand implements Callable<Integer> {
  @Mixin Common common;

  @Option(names = "--name", description = "Substring of the agent's name (case-insensitive).")
  String name;

  @Option(
      names = "--service",
      description = "A service name (MCP, A2A, x402, ...) or endpoint substring.")
  String service;

  @Option(
      names = "--x402",
      arity = "0..1",
      fallbackValue = "true",
      description = "Only agents with x402Support " + "(--x402=false: only without).")
  Boolean x402;

  @Option(names = "--trust", description = "A supportedTrust value, e.g. tee-attestation.")
  String trust;

  @Option(names = "--wallet", description = "The agentWallet address.")
  String wallet;

  @Override
  public Integer call() {
    try {
      RegistryIndexer idx = common.indexer();
      RegistryIndexer.SyncResult sync = idx.sync();
      common
          .err()
          .println(
              "index at block "
                  + sync.toBlock()
                  + " ("
                  + sync.newEvents()
                  + " new events"
                  + (sync.reorged() ? ", rewound to " + sync.rewoundTo() + " after a reorg" : "")
                  + ")");
      List<IndexedAgent> found =
          idx.search(new AgentQuery(name, service, x402, trust, null, wallet));
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("count", found.size());
      o.put("indexedBlock", sync.toBlock());
      ArrayNode a = o.putArray("agents");
      for (IndexedAgent ag : found) {
        ObjectNode e = a.addObject();
        e.put("agentId", ag.agentId());
        e.put("owner", ag.owner());
        e.put("agentWallet", ag.agentWallet());
        e.put("name", ag.file() == null ? null : ag.file().name());
        if (ag.file() != null) {
          e.set("registrationFile", ag.file().toJsonNode());
        } else {
          e.put("registrationFileError", ag.fileError());
        }
      }
      common.emit(
          o,
          () -> {
            common.out().println(found.size() + " agent" + (found.size() == 1 ? "" : "s"));
            for (IndexedAgent ag : found) {
              common
                  .out()
                  .printf(
                      "  %-6s %-30s wallet %s%s%n",
                      ag.agentId(),
                      ag.file() == null ? "(no file)" : ag.file().name(),
                      ag.agentWallet(),
                      ag.file() == null
                          ? ""
                          : "  services "
                              + ag.file().services().stream().map(s -> s.name()).toList());
            }
          });
      return 0;
    } finally {
      common.close();
    }
  }
}
