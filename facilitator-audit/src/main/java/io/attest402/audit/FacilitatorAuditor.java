package io.attest402.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Deployment;
import io.attest402.contracts.chain.SettlementLogView;
import io.attest402.contracts.generated.SettlementLog;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.x402.receipt.Receipt;
import io.attest402.x402.receipt.ReceiptChainVerifier;
import io.attest402.x402.receipt.ReceiptException;
import io.attest402.x402.receipt.ReceiptStatus;
import io.attest402.x402.receipt.ReceiptVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.Transaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Audits a facilitator from the outside: its live attestation (fresh nonce, under the auditor's
 * policy), every receipt it serves from {@code from} on (signature under the attested key, seqs,
 * links), its SettlementLog anchors (the served chain must reach every anchored seq with the
 * anchored hash), every settled receipt's transaction on chain (mined, {@code AuthorizationUsed}
 * and the {@code Transfer} it claims, sent by the attested signer the receipt names), receipts the
 * auditor already holds (one with a seq the facilitator now serves differently is an {@link
 * EquivocationProof}), and for one provider ({@code payTo}) every on-chain transfer to it sent from
 * one of the facilitator's attested signer accounts that no receipt records.
 */
public final class FacilitatorAuditor {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 8 * 1024 * 1024;
  private static final int PAGE = 1000;
  private static final long MAX_RECEIPTS = 1_000_000;
  private static final String TRANSFER = EventEncoder.encode(TestUSDC.TRANSFER_EVENT);
  private static final String AUTHORIZATION_USED =
      EventEncoder.encode(TestUSDC.AUTHORIZATIONUSED_EVENT);
  private static final String ANCHORED = EventEncoder.encode(SettlementLog.ANCHORED_EVENT);

  /**
   * What to audit.
   *
   * @param from first seq to audit (0: the whole chain from genesis)
   * @param payTo a provider whose settlements to list and check for withheld receipts; null for
   *     none
   * @param knownReceipts compact JWS receipts the auditor holds (from PAYMENT-RESPONSE headers, an
   *     earlier audit)
   */
  public record Options(
      String facilitatorUrl,
      Deployment deployment,
      long from,
      String payTo,
      VerificationPolicy policy,
      List<String> knownReceipts,
      Duration timeout) {
    public Options {
      Objects.requireNonNull(facilitatorUrl, "facilitatorUrl");
      Objects.requireNonNull(deployment, "deployment");
      Objects.requireNonNull(policy, "policy");
      facilitatorUrl = facilitatorUrl.replaceAll("/+$", "");
      knownReceipts = knownReceipts == null ? List.of() : List.copyOf(knownReceipts);
      timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
      if (from < 0) {
        throw new IllegalArgumentException("--from must be >= 0");
      }
    }
  }

  /** One receipt of the audited provider. */
  public record Settlement(
      long seq, String status, String transaction, String payer, String amount, String asset) {}

  /** The audit's outcome. */
  public record Report(
      boolean ok,
      String facilitator,
      String signer,
      int receipts,
      Long lastSeq,
      long anchoredSeq,
      List<AuditProblem> problems,
      List<Settlement> settlements,
      List<ObjectNode> proofs) {
    public ObjectNode toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.put("ok", ok);
      o.put("facilitator", facilitator);
      o.put("signer", signer);
      o.put("receipts", receipts);
      if (lastSeq != null) {
        o.put("lastSeq", lastSeq);
      }
      o.put("anchoredSeq", anchoredSeq);
      ArrayNode ps = o.putArray("problems");
      for (AuditProblem p : problems) {
        ObjectNode n = ps.addObject().put("kind", p.kind());
        if (p.seq() != null) {
          n.put("seq", p.seq());
        }
        n.put("message", p.message());
      }
      if (settlements != null) {
        o.set("settlements", JSON.valueToTree(settlements));
      }
      ArrayNode pr = o.putArray("equivocationProofs");
      proofs.forEach(pr::add);
      return o;
    }
  }

  /**
   * The audit could not run (unreachable facilitator or node, answers that are not what the routes
   * serve).
   */
  public static final class AuditInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuditInputException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private record Served(long seq, String jws, String hash, Receipt receipt) {}

  private final Options o;
  private final Clock clock;
  private final HttpClient http;
  private final List<AuditProblem> problems = new ArrayList<>();
  private final List<ObjectNode> proofs = new ArrayList<>();

  private FacilitatorAuditor(Options o, Clock clock) {
    this.o = o;
    this.clock = clock;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(o.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public static Report audit(Options options, Clock clock) throws AuditInputException {
    return new FacilitatorAuditor(options, clock).run();
  }

  private Report run() throws AuditInputException {
    // 1. who signs: the live attestation under the auditor's policy, bound to a fresh nonce
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    String attJson = get("/attestation?nonce=" + HexFormat.of().formatHex(nonce));
    AttestationDocument doc;
    try {
      doc = AttestationDocument.fromJson(attJson);
    } catch (RuntimeException e) {
      throw new AuditInputException(
          "GET /attestation is not an attestation document: " + e.getMessage(), e);
    }
    AttestationChecker.Result att =
        AttestationChecker.check(doc, null, clock.instant(), o.policy(), nonce);
    if (!att.ok()) {
      problems.add(new AuditProblem("attestation", null, att.summary()));
    }
    String signer = doc.signerAddress().toLowerCase(Locale.ROOT);
    byte[] publicKey = doc.publicKeyBytes();
    // every settlement account the quote binds (--signers N); the identity key alone without a list
    Set<String> senders = new HashSet<>();
    (att.ok() && !att.signers().isEmpty() ? att.signers() : List.of(signer))
        .forEach(a -> senders.add(a.toLowerCase(Locale.ROOT)));

    // 2. the served chain
    List<Served> served = fetchReceipts(publicKey);
    ReceiptChainVerifier.Result chain =
        ReceiptChainVerifier.verify(
            served.stream().map(Served::jws).toList(),
            signer,
            o.from(),
            o.from() == 0 ? Receipt.ZERO_HASH : null);
    for (ReceiptChainVerifier.Problem p : chain.problems()) {
      problems.add(new AuditProblem(p.kind().name(), p.seq(), p.message()));
    }
    Map<Long, Served> bySeq = new LinkedHashMap<>();
    served.forEach(s -> bySeq.putIfAbsent(s.seq(), s));
    Long lastSeq = chain.lastSeq();

    // 3. receipts the auditor holds
    for (String known : o.knownReceipts()) {
      Receipt k;
      try {
        k = ReceiptVerifier.verify(known.strip(), publicKey);
      } catch (ReceiptException | RuntimeException e) {
        continue; // not this facilitator's, or not a receipt: proves nothing about it
      }
      if (k.seq() < o.from()) {
        continue;
      }
      Served s = bySeq.get(k.seq());
      if (s == null) {
        problems.add(
            new AuditProblem(
                "missing-receipt",
                k.seq(),
                "a receipt signed by the attested key with seq "
                    + k.seq()
                    + " (tx "
                    + k.txHash()
                    + ") is not served by /receipts: removed"));
      } else if (!s.jws().equals(known.strip()) && s.receipt() != null && !s.receipt().equals(k)) {
        problems.add(
            new AuditProblem(
                "equivocation",
                k.seq(),
                "the attested key signed two different receipts"
                    + " with seq "
                    + k.seq()
                    + " (hashes "
                    + ReceiptVerifier.hash(known.strip())
                    + " and "
                    + s.hash()
                    + "); see equivocationProofs"));
        proofs.add(EquivocationProof.of(known.strip(), s.jws(), doc));
      }
    }

    Web3j web3j = Web3j.build(new HttpService(o.deployment().rpcUrl()));
    long anchoredSeq = -1;
    List<Settlement> settlements = o.payTo() == null ? null : new ArrayList<>();
    try {
      // 4. anchors
      anchoredSeq = checkAnchors(web3j, signer, bySeq, lastSeq);
      // 5. every settled receipt's transaction
      for (Served s : served) {
        if (s.receipt() != null && s.receipt().status() == ReceiptStatus.SETTLED) {
          checkSettlement(web3j, s, senders);
        }
      }
      // 6. one provider's settlements and transfers without a receipt
      if (o.payTo() != null) {
        checkProvider(web3j, senders, served, settlements);
      }
    } catch (IOException e) {
      throw new AuditInputException(
          "chain node " + o.deployment().rpcUrl() + ": " + e.getMessage(), e);
    } finally {
      web3j.shutdown();
    }
    return new Report(
        problems.isEmpty(),
        o.facilitatorUrl(),
        signer,
        served.size(),
        lastSeq,
        anchoredSeq,
        List.copyOf(problems),
        settlements,
        List.copyOf(proofs));
  }

  private List<Served> fetchReceipts(byte[] publicKey) throws AuditInputException {
    List<Served> out = new ArrayList<>();
    long from = o.from();
    while (out.size() < MAX_RECEIPTS) {
      JsonNode page;
      try {
        page = JSON.readTree(get("/receipts?from=" + from + "&limit=" + PAGE));
      } catch (IOException e) {
        throw new AuditInputException("GET /receipts is not JSON: " + e.getMessage(), e);
      }
      JsonNode arr = page.path("receipts");
      if (!arr.isArray()) {
        throw new AuditInputException("GET /receipts has no receipts array", null);
      }
      if (arr.isEmpty()) {
        break;
      }
      for (JsonNode e : arr) {
        long seq = e.path("sequence").asLong(-1);
        String jws = e.path("receipt").path("jws").asText(null);
        String hash = e.path("receipt").path("hash").asText("");
        Receipt r = null;
        if (jws != null) {
          try {
            r = ReceiptVerifier.readUnverified(jws);
          } catch (ReceiptException ignored) {
            // the chain verifier reports it as MALFORMED
          }
          if (!hash.equalsIgnoreCase(ReceiptVerifier.hash(jws))) {
            problems.add(
                new AuditProblem(
                    "bad-hash",
                    seq,
                    "served hash "
                        + hash
                        + " is not the hash of the served"
                        + " receipt ("
                        + ReceiptVerifier.hash(jws)
                        + ")"));
          }
          if (r != null && r.seq() != seq) {
            problems.add(
                new AuditProblem(
                    "bad-sequence",
                    seq,
                    "served as sequence " + seq + " but the receipt says " + r.seq()));
          }
        }
        out.add(
            new Served(
                r == null ? seq : r.seq(), jws, ReceiptVerifier.hash(jws == null ? "" : jws), r));
      }
      long next = page.path("next").asLong(-1);
      if (next <= from) {
        break;
      }
      from = next;
    }
    return out;
  }

  private long checkAnchors(Web3j web3j, String signer, Map<Long, Served> bySeq, Long lastSeq)
      throws IOException {
    String log = o.deployment().contracts().settlementLog();
    if (log == null) {
      return -1;
    }
    long anchoredSeq = -1;
    try {
      Optional<SettlementLogView.Anchor> latest = new SettlementLogView(web3j, log).latest(signer);
      anchoredSeq = latest.map(SettlementLogView.Anchor::seq).orElse(-1L);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("SettlementLog.latest: " + e.getMessage(), e);
    }
    EthFilter f =
        new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, log);
    f.addSingleTopic(ANCHORED);
    f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(signer), 64));
    for (Log l : logs(web3j, f)) {
      long seq = Numeric.toBigInt(l.getTopics().get(2)).longValueExact();
      String head = Numeric.cleanHexPrefix(l.getData()).substring(0, 64).toLowerCase(Locale.ROOT);
      if (seq < o.from()) {
        continue;
      }
      Served s = bySeq.get(seq);
      if (s == null) {
        if (lastSeq == null || seq > lastSeq) {
          problems.add(
              new AuditProblem(
                  "behind-anchor",
                  seq,
                  "the facilitator anchored seq "
                      + seq
                      + " (head "
                      + head
                      + ", tx "
                      + l.getTransactionHash()
                      + ") but /receipts ends at "
                      + (lastSeq == null ? "nothing" : "seq " + lastSeq)
                      + ": receipts were removed or its journal was"
                      + " rolled back"));
        }
        // a seq inside the served range but absent is already a GAP
      } else if (!s.hash().equalsIgnoreCase(head)) {
        problems.add(
            new AuditProblem(
                "fork",
                seq,
                "the facilitator anchored seq "
                    + seq
                    + " with head "
                    + head
                    + " (tx "
                    + l.getTransactionHash()
                    + ", sent by the attested key) but serves a receipt with hash "
                    + s.hash()
                    + " there: it signed two different chains"));
      }
    }
    return anchoredSeq;
  }

  private void checkSettlement(Web3j web3j, Served s, Set<String> senders) throws IOException {
    Receipt r = s.receipt();
    if (r.txHash() == null) {
      problems.add(
          new AuditProblem("settlement", s.seq(), "settled receipt without a transaction hash"));
      return;
    }
    TransactionReceipt tr =
        web3j.ethGetTransactionReceipt(r.txHash()).send().getTransactionReceipt().orElse(null);
    if (tr == null) {
      problems.add(
          new AuditProblem(
              "settlement", s.seq(), "transaction " + r.txHash() + " is not on chain"));
      return;
    }
    if (!tr.isStatusOK()) {
      problems.add(
          new AuditProblem("settlement", s.seq(), "transaction " + r.txHash() + " reverted"));
    }
    // the sender the receipt names must be an attested signer, and the one that sent it
    String from = tr.getFrom() == null ? "" : tr.getFrom().toLowerCase(Locale.ROOT);
    if (r.sender() != null && !senders.contains(r.sender().toLowerCase(Locale.ROOT))) {
      problems.add(
          new AuditProblem(
              "settlement",
              s.seq(),
              "the receipt names sender "
                  + r.sender()
                  + ", which is not one of the attested signers"));
    } else if (r.sender() != null && !r.sender().equalsIgnoreCase(from)) {
      problems.add(
          new AuditProblem(
              "settlement",
              s.seq(),
              "transaction "
                  + r.txHash()
                  + " was sent by "
                  + tr.getFrom()
                  + ", the receipt says "
                  + r.sender()));
    }
    if (r.block() != null && tr.getBlockNumber().longValueExact() != r.block()) {
      problems.add(
          new AuditProblem(
              "settlement",
              s.seq(),
              "transaction "
                  + r.txHash()
                  + " is in block "
                  + tr.getBlockNumber()
                  + ", the receipt says "
                  + r.block()));
    }
    String payer = topic(r.payer());
    boolean used = false;
    boolean transfer = false;
    for (Log l : tr.getLogs()) {
      if (!l.getAddress().equalsIgnoreCase(r.asset()) || l.getTopics().isEmpty()) {
        continue;
      }
      List<String> t = l.getTopics();
      if (t.get(0).equalsIgnoreCase(AUTHORIZATION_USED)
          && t.size() == 3
          && t.get(1).equalsIgnoreCase(payer)
          && t.get(2).equalsIgnoreCase(r.nonce())) {
        used = true;
      }
      if (t.get(0).equalsIgnoreCase(TRANSFER)
          && t.size() == 3
          && t.get(1).equalsIgnoreCase(payer)
          && t.get(2).equalsIgnoreCase(topic(r.payTo()))
          && Numeric.toBigInt(l.getData()).equals(r.amount())) {
        transfer = true;
      }
    }
    if (!used) {
      problems.add(
          new AuditProblem(
              "settlement",
              s.seq(),
              "transaction "
                  + r.txHash()
                  + " has no"
                  + " AuthorizationUsed("
                  + r.payer()
                  + ", "
                  + r.nonce()
                  + ") from "
                  + r.asset()));
    }
    if (!transfer) {
      problems.add(
          new AuditProblem(
              "settlement",
              s.seq(),
              "transaction "
                  + r.txHash()
                  + " has no Transfer of "
                  + r.amount()
                  + " from "
                  + r.payer()
                  + " to "
                  + r.payTo()
                  + " in "
                  + r.asset()));
    }
  }

  private void checkProvider(
      Web3j web3j, Set<String> senders, List<Served> served, List<Settlement> settlements)
      throws IOException {
    String payTo = o.payTo().toLowerCase(Locale.ROOT);
    Set<String> receiptTxs = new HashSet<>();
    Set<String> assets = new LinkedHashSet<>();
    assets.add(o.deployment().contracts().usdc().toLowerCase(Locale.ROOT));
    Long firstBlock = null;
    for (Served s : served) {
      Receipt r = s.receipt();
      if (r == null) {
        continue;
      }
      if (r.txHash() != null) {
        receiptTxs.add(r.txHash().toLowerCase(Locale.ROOT));
      }
      if (firstBlock == null && r.block() != null) {
        firstBlock = r.block();
      }
      if (r.payTo().equalsIgnoreCase(payTo)) {
        assets.add(r.asset().toLowerCase(Locale.ROOT));
        settlements.add(
            new Settlement(
                r.seq(),
                r.status().wire(),
                r.txHash(),
                r.payer(),
                r.amount().toString(),
                r.asset()));
      }
    }
    // with --from > 0 the receipts before it were not fetched: only transfers from the first
    // audited block on count
    DefaultBlockParameter start =
        o.from() > 0 && firstBlock != null
            ? DefaultBlockParameter.valueOf(BigInteger.valueOf(firstBlock))
            : DefaultBlockParameterName.EARLIEST;
    for (String asset : assets) {
      EthFilter f = new EthFilter(start, DefaultBlockParameterName.LATEST, asset);
      f.addSingleTopic(TRANSFER);
      f.addNullTopic();
      f.addSingleTopic(topic(payTo));
      Set<String> seen = new HashSet<>();
      for (Log l : logs(web3j, f)) {
        String tx = l.getTransactionHash().toLowerCase(Locale.ROOT);
        if (receiptTxs.contains(tx) || !seen.add(tx)) {
          continue;
        }
        Transaction t = web3j.ethGetTransactionByHash(tx).send().getTransaction().orElse(null);
        if (t != null && senders.contains(t.getFrom().toLowerCase(Locale.ROOT))) {
          problems.add(
              new AuditProblem(
                  "withheld-receipt",
                  null,
                  "transaction "
                      + tx
                      + " (block "
                      + l.getBlockNumber()
                      + ") sent by the facilitator's account "
                      + t.getFrom()
                      + " moved "
                      + Numeric.toBigInt(l.getData())
                      + " of "
                      + asset
                      + " to "
                      + payTo
                      + ", but no served receipt records"
                      + " it"));
        }
      }
    }
  }

  private static List<Log> logs(Web3j web3j, EthFilter f) throws IOException {
    EthLog r = web3j.ethGetLogs(f).send();
    if (r.hasError()) {
      throw new IOException("eth_getLogs: " + r.getError().getMessage());
    }
    List<Log> out = new ArrayList<>();
    for (EthLog.LogResult<?> lr : r.getLogs()) {
      if (lr.get() instanceof Log l) {
        out.add(l);
      }
    }
    return out;
  }

  private static String topic(String address) {
    return Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(address), 64);
  }

  private String get(String path) throws AuditInputException {
    URI uri;
    try {
      uri = URI.create(o.facilitatorUrl() + path);
    } catch (IllegalArgumentException e) {
      throw new AuditInputException(
          "bad facilitator URL " + o.facilitatorUrl() + ": " + e.getMessage(), e);
    }
    try {
      HttpResponse<InputStream> r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(o.timeout()).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
      byte[] body;
      try (InputStream in = r.body()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        throw new AuditInputException(
            "GET " + path + ": answer larger than " + MAX_BODY + " bytes", null);
      }
      if (r.statusCode() != 200) {
        throw new AuditInputException(
            "GET "
                + uri
                + " answered "
                + r.statusCode()
                + ": "
                + new String(body, StandardCharsets.UTF_8),
            null);
      }
      return new String(body, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AuditInputException("cannot reach the facilitator at " + uri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AuditInputException("interrupted", e);
    }
  }
}
