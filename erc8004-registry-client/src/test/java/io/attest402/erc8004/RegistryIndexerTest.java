package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.ReputationRegistryClient.NewFeedback;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.RegistrationFile.Service;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.AgentQuery;
import io.attest402.erc8004.index.IndexedAgent;
import io.attest402.erc8004.index.RegistryIndexer;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

@ExtendWith(ChainExtension.class)
class RegistryIndexerTest {

  static RegistryIndexer indexer(Chain chain, Path dir, int confirmations) {
    return new RegistryIndexer(
        new ContractRpc(chain.web3j(), chain.chainId()),
        RegistryAddresses.fromDeployment(chain.deployment()),
        dir,
        RegistryIndexer.Options.defaults().withConfirmations(confirmations).withBatchBlocks(7),
        UriResolver.defaults());
  }

  static BigInteger register(
      Erc8004Client c, String name, List<Service> services, boolean x402, List<String> trust) {
    BigInteger id = c.identity().register().agentId();
    RegistrationFile f =
        RegistrationFile.of(name, name + " agent", null, services, x402, trust)
            .withRegistration(id, c.addresses().agentRegistry());
    c.identity().setAgentURI(id, f.toDataUri());
    return id;
  }

  static List<String> names(List<IndexedAgent> agents) {
    return agents.stream().map(a -> a.file().name()).toList();
  }

  @Test
  void indexesSearchesAndResumesWithoutDuplicates(Chain chain, @TempDir Path dir) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    Erc8004Client rater = IdentityRegistryClientTest.client(chain, chain.account(2));
    RegistryIndexer idx = indexer(chain, dir, 0);
    idx.sync();
    int baseline = idx.search(AgentQuery.any()).size();

    BigInteger summarizer =
        register(
            owner,
            "Summarizer Pro",
            List.of(
                Service.of("MCP", "https://mcp.summ.example/"),
                Service.of("x402", "https://summ.example/pay")),
            true,
            List.of("reputation", "tee-attestation"));
    BigInteger translator =
        register(
            owner,
            "Translator",
            List.of(Service.of("A2A", "https://tr.example/.well-known/agent-card.json")),
            false,
            List.of("reputation"));
    rater
        .reputation()
        .giveFeedback(
            new NewFeedback(
                summarizer, BigInteger.valueOf(90), 0, "starred", "", "", "ipfs://fb1", null));
    idx.sync();
    assertEquals(baseline + 2, idx.search(AgentQuery.any()).size());
    assertEquals(List.of("Summarizer Pro"), names(idx.search(AgentQuery.byName("summ"))));
    assertEquals(
        List.of("Translator"),
        names(idx.search(new AgentQuery(null, "a2a", null, null, null, null))));
    assertEquals(
        List.of("Summarizer Pro"),
        names(idx.search(new AgentQuery(null, "summ.example", null, null, null, null))));
    assertEquals(
        List.of("Summarizer Pro"),
        names(idx.search(new AgentQuery(null, null, true, null, null, null))));
    assertEquals(
        List.of("Summarizer Pro"),
        names(idx.search(new AgentQuery(null, null, null, "tee-attestation", null, null))));
    assertEquals(2, idx.search(new AgentQuery(null, null, null, "reputation", true, null)).size());
    IndexedAgent s = idx.agent(summarizer).orElseThrow();
    assertEquals(chain.account(1).getAddress(), s.owner().toLowerCase());
    assertEquals(chain.account(1).getAddress(), s.agentWallet().toLowerCase());
    assertEquals(
        summarizer,
        idx.search(AgentQuery.byWallet(chain.account(1).getAddress())).stream()
            .filter(a -> a.agentId().equals(summarizer))
            .findFirst()
            .orElseThrow()
            .agentId());
    assertEquals(1, idx.feedbackEvents(summarizer).size());
    assertEquals("ipfs://fb1", idx.feedbackEvents(summarizer).get(0).feedbackURI());
    int events = idx.eventCount();
    long last = idx.lastBlock();

    // a restart resumes from the cursor: same state, nothing re-read twice
    RegistryIndexer again = indexer(chain, dir, 0);
    assertEquals(last, again.lastBlock());
    assertEquals(events, again.eventCount());
    assertEquals("Summarizer Pro", again.agent(summarizer).orElseThrow().file().name());
    rater.reputation().revokeFeedback(summarizer, 1);
    owner
        .reputation()
        .appendResponse(
            summarizer, chain.account(2).getAddress(), 1, "https://refund.example", null);
    owner.identity().setMetadata(translator, "lang", "fr".getBytes(StandardCharsets.UTF_8));
    RegistryIndexer.SyncResult r = again.sync();
    assertEquals(3, r.newEvents());
    assertEquals(events + 3, again.eventCount());
    assertTrue(again.feedback(summarizer).get(0).revoked());
    assertEquals(1, again.feedback(summarizer).get(0).responses().size());
    assertEquals("0x6672", again.agent(translator).orElseThrow().metadata().get("lang"));

    // a crash after appending events but before the cursor moved, plus a torn line: reloaded
    // cleanly
    Files.writeString(
        dir.resolve("events.jsonl"),
        Files.readAllLines(dir.resolve("events.jsonl"))
                .get(0)
                .replaceFirst("\"blockNumber\":\\d+", "\"blockNumber\":999999")
            + "\n{\"blockNum",
        StandardOpenOption.APPEND);
    RegistryIndexer afterCrash = indexer(chain, dir, 0);
    assertEquals(events + 3, afterCrash.eventCount());
    afterCrash.sync();
    assertEquals(events + 3, afterCrash.eventCount());

    // the URI changes: the new file is fetched
    RegistrationFile renamed =
        RegistrationFile.of("Traductrice", "", null, List.of(), false, List.of())
            .withRegistration(translator, owner.addresses().agentRegistry());
    owner.identity().setAgentURI(translator, renamed.toDataUri());
    afterCrash.sync();
    assertEquals(List.of("Traductrice"), names(afterCrash.search(AgentQuery.byName("traduc"))));
    assertTrue(afterCrash.search(AgentQuery.byName("Translator")).isEmpty());
  }

  /**
   * A sync stuck in an RPC call (a slow node) must not hold queries: the indexer reads the chain
   * outside its lock and commits the batch afterwards. Before the split, every query waited behind
   * {@code sync()}.
   */
  @Test
  void queriesDoNotWaitForASyncStuckInRpc(Chain chain, @TempDir Path dir) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    CountDownLatch inGetLogs = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean hold = new AtomicBoolean();
    HttpService slowNode =
        new HttpService(chain.rpcUrl()) {
          @Override
          protected InputStream performIO(String request) throws IOException {
            if (hold.get() && request.contains("eth_getLogs")) {
              inGetLogs.countDown();
              try {
                release.await(120, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return super.performIO(request);
          }
        };
    RegistryIndexer idx =
        new RegistryIndexer(
            new ContractRpc(Web3j.build(slowNode), chain.chainId()),
            RegistryAddresses.fromDeployment(chain.deployment()),
            dir,
            RegistryIndexer.Options.defaults().withBatchBlocks(7),
            UriResolver.defaults());
    idx.sync();
    int before = idx.agentCount();
    BigInteger id = register(owner, "Slow Node", List.of(), false, List.of());
    hold.set(true);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<RegistryIndexer.SyncResult> syncing = pool.submit(idx::sync);
      assertTrue(inGetLogs.await(60, TimeUnit.SECONDS), "sync never reached eth_getLogs");
      // The sync is parked inside the RPC call; a query answers from the state before it.
      Future<Integer> query = pool.submit(idx::agentCount);
      assertEquals(before, query.get(60, TimeUnit.SECONDS));
      assertTrue(idx.agent(id).isEmpty());
      release.countDown();
      assertTrue(syncing.get(60, TimeUnit.SECONDS).newEvents() > 0);
      assertEquals("Slow Node", idx.agent(id).orElseThrow().file().name());
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void waitsForConfirmations(Chain chain, @TempDir Path dir) {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    RegistryIndexer idx = indexer(chain, dir, 3);
    idx.sync();
    BigInteger id = register(owner, "Patient", List.of(), false, List.of());
    idx.sync();
    assertTrue(idx.agent(id).isEmpty(), "indexed before 3 confirmations");
    chain.mine();
    chain.mine();
    chain.mine();
    idx.sync();
    assertEquals("Patient", idx.agent(id).orElseThrow().file().name());
  }

  @Test
  void rewindsOnReorgWithoutDuplicatesOrLosses(Chain chain, @TempDir Path dir) {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    Erc8004Client rater = IdentityRegistryClientTest.client(chain, chain.account(2));
    BigInteger stable = register(owner, "Stable", List.of(), false, List.of());
    RegistryIndexer idx = indexer(chain, dir, 0);
    idx.sync();
    int before = idx.eventCount();

    String snapshot = chain.snapshot();
    BigInteger ghost = register(owner, "Ghost", List.of(), false, List.of());
    rater.reputation().giveFeedback(NewFeedback.of(stable, 10, 0));
    owner
        .validation()
        .validationRequest(
            chain.account(3).getAddress(),
            stable,
            "data:,g",
            Hash.sha3("ghost".getBytes(StandardCharsets.UTF_8)));
    idx.sync();
    assertEquals("Ghost", idx.agent(ghost).orElseThrow().file().name());
    assertEquals(1, idx.feedbackEvents(stable).size());

    chain.revert(snapshot);
    // the other branch: a different agent at the same id, different feedback, and longer
    BigInteger real = register(owner, "Real", List.of(), false, List.of());
    assertEquals(ghost, real);
    rater.reputation().giveFeedback(NewFeedback.of(stable, 99, 0));
    rater.reputation().giveFeedback(NewFeedback.of(stable, 98, 0));
    chain.mine();

    RegistryIndexer.SyncResult r = idx.sync();
    assertTrue(r.reorged(), "reorg not detected");
    assertEquals("Real", idx.agent(real).orElseThrow().file().name());
    assertEquals(
        List.of(BigInteger.valueOf(99), BigInteger.valueOf(98)),
        idx.feedbackEvents(stable).stream().map(FeedbackEvent::value).toList());
    assertTrue(idx.validations(null, stable).isEmpty(), "ghost validation survived the reorg");
    // Registered + MetadataSet(wallet) + Transfer + URIUpdated for "Real", two feedbacks
    assertEquals(before + 6, idx.eventCount());
    assertFalse(idx.search(AgentQuery.byName("Ghost")).stream().anyMatch(a -> true));

    // and the persisted index agrees after a restart
    RegistryIndexer reopened = indexer(chain, dir, 0);
    assertEquals(before + 6, reopened.eventCount());
    assertEquals("Real", reopened.agent(real).orElseThrow().file().name());
    assertNull(reopened.sync().rewoundTo());
  }
}
