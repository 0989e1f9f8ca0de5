package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.RateLimitedException;
import io.attest402.facilitator.SettleLimits;
import io.attest402.facilitator.chain.Fees;
import io.attest402.facilitator.chain.RpcUnavailableException;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.Eip3009Calls;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Hex;
import io.attest402.x402.evm.RevertReasons;
import io.attest402.x402.evm.TransferLogs;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionDecoder;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * Settles EIP-3009 authorizations: at most one transaction on chain per authorization, whatever the number of
 * concurrent or repeated requests, crashes or node failures.
 *
 * <p><b>One settlement</b> ({@link #settle}): look the authorization up in the journal (a known one is answered from
 * there, waiting a bounded time for its receipt); otherwise, single-flight per authorization in this process, re-verify
 * it as the official facilitator does at settle time (no simulation), claim it in the journal (unique per
 * authorization), estimate gas (a would-revert call fails here with the official reason, nothing sent), reserve an
 * account nonce, sign, <em>journal the signed transaction and its hash</em>, then broadcast. The caller waits for the
 * receipt at most {@link FacilitatorOptions#receiptWait()}; past that it gets {@code settlement_pending} with the hash.
 *
 * <p><b>The reconciler</b> (one thread) drives every journaled in-flight settlement to a final outcome: it fetches
 * receipts for all their transactions in one batch per chain and journals the outcome (settled only with a matching
 * Transfer log); re-broadcasts unmined transactions (a node may have lost them); replaces a transaction unmined past
 * {@link FacilitatorOptions#replaceAfter()} with bumped fees at the same nonce; when a settlement's nonce was taken by
 * some other transaction, reads {@code authorizationState} to decide between "used elsewhere" and re-signing at a new
 * nonce; and fills account-nonce gaps with zero-value self-transfers.
 *
 * <p><b>Recovery</b> ({@link #start}): claims that never got a signed transaction are dropped (nothing reached a
 * chain; a retry starts afresh); every signed transaction in the journal is re-broadcast and reconciled; account
 * nonces restart from {@code max(chain pending count, highest journaled + 1)}.
 *
 * <p>No Vert.x here: callers run {@link #settle} on a worker thread (its preparation blocks on the chain) and get
 * a future for the bounded wait.
 */
public final class SettlementEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SettlementEngine.class);
  private static final int MAX_NONCE_RETRIES = 3;
  private static final long BALANCE_REFRESH_MS = 5_000;
  private static final BigInteger FILLER_GAS = BigInteger.valueOf(21_000);

  private final Map<String, NetworkLane> lanes;
  private final SettlementStore store;
  private final EnclaveKey key;
  private final Clock clock;
  private final FacilitatorOptions options;
  private final ReceiptIssuer issuer;
  private final FacilitatorMetrics metrics;
  private final SettleLimits limits;
  private final FeePolicy feePolicy;
  private final Map<String, SettleGuard> guards = new ConcurrentHashMap<>();

  private final ConcurrentHashMap<SettlementKey, CompletableFuture<Prepared>> preparing = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, CompletableFuture<SettlementRecord>> finals = new ConcurrentHashMap<>();
  private final Map<String, Long> lastSent = new ConcurrentHashMap<>();
  private final Set<Long> nonceTakenOnce = ConcurrentHashMap.newKeySet();
  private final Set<Long> unconfirmedOnce = ConcurrentHashMap.newKeySet();
  private final Map<Long, Integer> fillerRounds = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final Semaphore wake = new Semaphore(0);
  private final Thread reconciler;
  private volatile boolean running;
  private volatile boolean closing;

  /**
   * The outcome of preparing a settlement: a journaled row (claimed by this request, or by another process), or a
   * failure with nothing on chain.
   */
  private record Prepared(Long id, SettleResponse failure, boolean claimedElsewhere) {
    Prepared(Long id, SettleResponse failure) {
      this(id, failure, false);
    }
  }

  public SettlementEngine(List<NetworkLane> lanes, SettlementStore store, EnclaveKey key, Clock clock,
      FacilitatorOptions options, ReceiptIssuer issuer, FacilitatorMetrics metrics) {
    Map<String, NetworkLane> m = new LinkedHashMap<>();
    lanes.forEach(l -> m.put(l.network(), l));
    this.lanes = Map.copyOf(m);
    this.store = store;
    this.key = key;
    this.clock = clock;
    this.options = options;
    this.issuer = issuer;
    this.metrics = metrics;
    this.limits = options.limits();
    this.feePolicy = new FeePolicy(limits);
    this.lanes.keySet().forEach(n -> guards.put(n, new SettleGuard(limits, clock)));
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "settlement-timer");
      t.setDaemon(true);
      return t;
    });
    this.reconciler = new Thread(this::reconcileLoop, "settlement-reconciler");
    this.reconciler.setDaemon(true);
  }

  public SettleLimits limits() {
    return limits;
  }

  public String account() {
    return key.address();
  }

  public NetworkLane lane(String network) {
    return lanes.get(network);
  }

  public List<NetworkLane> lanes() {
    return List.copyOf(lanes.values());
  }

  // ---------------------------------------------------------------------------------------------------- lifecycle

  /** Recovers the journal (see the class comment) and starts the reconciler. */
  public void start() {
    for (SettlementRecord r : store.inFlight()) {
      if (r.state() == SettlementState.CLAIMED) {
        store.abandon(r.id());
        log.info("settlement id={} recovery: claimed but never signed, dropped (nothing was broadcast)", r.id());
      } else {
        log.info("settlement id={} recovery: {} with {} transaction(s), latest tx={} accountNonce={}",
            r.id(), r.state(), r.attempts().size(), r.txHash(), r.accountNonce());
      }
    }
    for (NetworkLane lane : lanes.values()) {
      try {
        checkChainId(lane);
        initNonces(lane);
        refreshBalance(lane);
      } catch (RpcUnavailableException e) {
        rpcDown(lane, e);
      }
    }
    running = true;
    reconciler.start();
    reconcileOnce();
  }

  /**
   * Every node of the lane must report the configured chain id: a node of another chain would have the facilitator
   * sign what it says. Checked at start (a mismatch refuses to start) and, for a node down at start, before the lane
   * is first used.
   *
   * @throws IllegalStateException on a mismatch
   */
  private void checkChainId(NetworkLane lane) {
    if (lane.chainIdChecked()) {
      return;
    }
    List<SettlementChain> all = new ArrayList<>();
    all.add(lane.chain());
    all.addAll(lane.witnesses());
    for (int i = 0; i < all.size(); i++) {
      long reported = all.get(i).reportedChainId();
      if (reported != lane.config().chainId()) {
        throw new IllegalStateException("RPC node #" + (i + 1) + " of " + lane.network() + " reports chain id "
            + reported + ", not " + lane.config().chainId() + ": refusing to use it (wrong node or a lying one)");
      }
    }
    lane.chainIdChecked(true);
  }

  private void initNonces(NetworkLane lane) {
    try {
      checkChainId(lane);
    } catch (IllegalStateException wrongChain) {
      throw new RpcUnavailableException(wrongChain.getMessage(), wrongChain);
    }
    long pending = lane.chain().nonce(key.address(), true);
    Map<Long, Long> journaled = new HashMap<>();
    for (SettlementRecord r : store.inFlight()) {
      if (r.key().network().equals(lane.network()) && r.accountNonce() != null) {
        journaled.put(r.accountNonce(), r.id());
      }
    }
    lane.nonces().init(pending, journaled);
    lane.rpcUp(true, null);
    log.info("network={} account={} nonces start at {} ({} in flight)", lane.network(), key.address(),
        lane.nonces().next(), journaled.size());
  }

  /**
   * Stops taking new settlements, lets those being prepared finish, waits up to the shutdown grace for in-flight
   * ones to become final (each stays journaled and is reconciled at the next start otherwise), then stops.
   */
  @Override
  public void close() {
    closing = true;
    long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
    while (System.nanoTime() < deadline && (!preparing.isEmpty() || hasInFlight())) {
      wake.release();
      sleep(50);
    }
    List<SettlementRecord> left = store.inFlight();
    for (SettlementRecord r : left) {
      log.info("settlement id={} still {} at shutdown: journaled with tx={}, reconciled at next start",
          r.id(), r.state(), r.txHash());
    }
    running = false;
    wake.release();
    try {
      reconciler.join(options.rpcTimeout().toMillis() * 3 + 1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
  }

  private boolean hasInFlight() {
    try {
      return !store.inFlight().isEmpty();
    } catch (RuntimeException e) {
      return false;
    }
  }

  // --------------------------------------------------------------------------------------------------- settle

  /**
   * Settles (or reports on) the authorization in {@code payload}. Blocks while preparing (bounded RPC calls); the
   * returned future completes within {@link FacilitatorOptions#receiptWait()} after that.
   *
   * @throws RpcUnavailableException when the node cannot be reached before anything was broadcast (nothing happened;
   *     retry)
   * @throws IllegalArgumentException when the network is not configured here
   * @throws io.attest402.x402.types.X402FormatException when the payload is not an EIP-3009 payload
   */
  public CompletableFuture<SettleResponse> settle(PaymentPayload payload, PaymentRequirements req) {
    return settle(payload, req, null);
  }

  /**
   * {@link #settle(PaymentPayload, PaymentRequirements)} for a request carrying {@code idempotencyKey} (null: none).
   * One authorization is one success: a request for an authorization already claimed is answered with its outcome
   * only when it repeats the claiming request (same requirements, same signature, the same non-null key); any other
   * gets {@code invalid_exact_evm_nonce_already_used} (or the reason for the requirement it changed) and nothing is
   * broadcast.
   */
  public CompletableFuture<SettleResponse> settle(PaymentPayload payload, PaymentRequirements req,
      String idempotencyKey) {
    NetworkLane lane = lanes.get(req.network());
    if (lane == null) {
      throw new IllegalArgumentException("network " + req.network() + " is not configured");
    }
    ExactEvmPayload ep = ExactEvmPayload.fromJson(payload.payload(), "paymentPayload.payload");
    ExactEvmPayload.Authorization auth = ep.authorization();
    SettlementKey skey = new SettlementKey(req.network(), req.asset(), auth.from(), auth.nonce());
    String keyHash = idempotencyKey == null ? null : sha256(idempotencyKey);
    Optional<SettlementRecord> known = store.byKey(skey);
    if (known.isPresent() && known.get().state() != SettlementState.CLAIMED) {
      return repeat(known.get(), req, ep, keyHash);
    }
    if (closing) {
      return CompletableFuture.completedFuture(SettleResponse.failure(ErrorReasons.UNEXPECTED_SETTLE_ERROR,
          "facilitator is shutting down; retry with another instance or later", "", req.network(), auth.from()));
    }
    CompletableFuture<Prepared> mine = new CompletableFuture<>();
    CompletableFuture<Prepared> theirs = preparing.putIfAbsent(skey, mine);
    if (theirs != null) {
      return theirs.thenCompose(p -> p.failure() != null ? CompletableFuture.completedFuture(p.failure())
          : repeat(store.byId(p.id()).orElseThrow(), req, ep, keyHash));
    }
    Prepared p;
    try {
      p = prepare(lane, skey, payload, req, ep, keyHash);
      mine.complete(p);
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      preparing.remove(skey, mine);
    }
    if (p.failure() != null) {
      return CompletableFuture.completedFuture(p.failure());
    }
    if (p.claimedElsewhere()) {
      return repeat(store.byId(p.id()).orElseThrow(), req, ep, keyHash);
    }
    return answer(store.byId(p.id()).orElseThrow());
  }

  /**
   * The answer to a request for an authorization already claimed: its outcome for a retry of the claiming request,
   * else a failure that says why (nothing is sent either way).
   */
  private CompletableFuture<SettleResponse> repeat(SettlementRecord r, PaymentRequirements req, ExactEvmPayload ep,
      String keyHash) {
    String network = req.network();
    String payer = ep.authorization().from();
    metrics.refused(network, "replay");
    JsonNode journaledReq = r.request().path("paymentRequirements");
    if (!r.payTo().equalsIgnoreCase(req.payTo())) {
      return failed(network, payer, ErrorReasons.RECIPIENT_MISMATCH, "this authorization was already settled for "
          + "another payTo; nothing was sent");
    }
    if (!r.amount().equals(req.amount())
        || (journaledReq.has("amount") && !journaledReq.path("amount").asText().equals(req.amount().toString()))) {
      return failed(network, payer, ErrorReasons.AUTHORIZATION_VALUE_MISMATCH, "this authorization was already "
          + "settled for another amount; nothing was sent");
    }
    if (journaledReq.has("scheme") && !journaledReq.path("scheme").asText().equals(req.scheme())) {
      return failed(network, payer, ErrorReasons.INVALID_SCHEME, "this authorization was already settled under "
          + "another scheme; nothing was sent");
    }
    String journaledSig = r.request().path("paymentPayload").path("payload").path("signature").asText("");
    boolean sameKey = keyHash != null && r.idempotencyKeyHash() != null && java.security.MessageDigest.isEqual(
        keyHash.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        r.idempotencyKeyHash().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    if (!sameKey || !journaledSig.equalsIgnoreCase(ep.signature())) {
      return failed(network, payer, ErrorReasons.NONCE_ALREADY_USED, "this authorization has already been "
          + (r.state() == SettlementState.FAILED ? "tried" : "settled") + " for an earlier request; only a retry "
          + "of that request with the same Idempotency-Key header gets its outcome (GET /settlements/{nonce} "
          + "reports it); nothing was sent");
    }
    return answer(r);
  }

  private static CompletableFuture<SettleResponse> failed(String network, String payer, String reason, String msg) {
    return CompletableFuture.completedFuture(SettleResponse.failure(reason, msg, "", network, payer));
  }

  static String sha256(String s) {
    try {
      return Numeric.toHexStringNoPrefix(java.security.MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What the journal keeps of a request: what settlement and recovery need, not the resource or extensions. */
  private static ObjectNode journaled(PaymentPayload payload, PaymentRequirements req) {
    ObjectNode request = Wire.newObject();
    ObjectNode pp = request.putObject("paymentPayload");
    pp.put("x402Version", payload.x402Version());
    pp.set("payload", payload.payload());
    ObjectNode r = request.putObject("paymentRequirements");
    r.put("scheme", req.scheme());
    r.put("network", req.network());
    r.put("asset", req.asset());
    r.put("payTo", req.payTo());
    r.put("amount", req.amount().toString());
    return request;
  }

  /**
   * The facilitator's own rules before any chain work: the minimum amount, no self-payment, the payTo allow-list.
   * Empty when the request passes; else the reason and message for {@code isValid:false} / {@code success:false}.
   */
  public Optional<String[]> policyRefusal(PaymentPayload payload, PaymentRequirements req) {
    NetworkLane lane = lanes.get(req.network());
    BigInteger min = lane == null ? limits.minAmount() : lane.config().asset(req.asset())
        .map(a -> a.minAmount()).filter(m -> m != null).orElse(limits.minAmount());
    String network = req.network();
    if (req.amount().compareTo(min) < 0) {
      metrics.refused(network, "min_amount");
      return Optional.of(new String[] {ErrorReasons.AUTHORIZATION_VALUE, "amount " + req.amount()
          + " is below the minimum of " + min + " base units this facilitator settles for this asset"});
    }
    if (!limits.payToAllowed(req.payTo())) {
      metrics.refused(network, "pay_to_not_allowed");
      return Optional.of(new String[] {ErrorReasons.INVALID_PAYMENT_REQUIREMENTS,
          "this facilitator serves a fixed set of payTo addresses and this payTo is not one of them"});
    }
    JsonNode from = payload.payload().path("authorization").path("from");
    if (from.isTextual() && from.textValue().equalsIgnoreCase(req.payTo())) {
      metrics.refused(network, "self_payment");
      return Optional.of(new String[] {ErrorReasons.RECIPIENT_MISMATCH,
          "payer and payTo are the same address: a self-payment moves nothing and is not settled"});
    }
    return Optional.empty();
  }

  private Prepared prepare(NetworkLane lane, SettlementKey skey, PaymentPayload payload, PaymentRequirements req,
      ExactEvmPayload ep, String keyHash) {
    String payer = ep.authorization().from();
    String network = req.network();
    Optional<String[]> refused = policyRefusal(payload, req);
    if (refused.isPresent()) {
      return fail(network, payer, refused.get()[0], refused.get()[1]);
    }
    ensureReady(lane);
    BigInteger balance = lane.balance();
    if (balance != null && balance.signum() == 0 && lane.balanceAgeMs() > 1_000) {
      balance = refreshBalance(lane);
    }
    if (balance != null && balance.signum() == 0) {
      return fail(network, payer, ErrorReasons.UNEXPECTED_SETTLE_ERROR, "facilitator account " + key.address()
          + " has no native token for gas on " + network + ": fund it to settle (verify works meanwhile)");
    }
    ExactEvmVerifier.Outcome v;
    try {
      v = lane.verifier().verify(payload, req, false);
    } catch (ChainAccess.ChainAccessException e) {
      throw new RpcUnavailableException("re-verification failed: " + e.getMessage(), e);
    }
    if (!v.isValid()) {
      return fail(network, payer, v.response().invalidReason(), v.response().invalidMessage());
    }
    SettleGuard guard = guards.get(network);
    try {
      guard.admit(payer, req.payTo());
    } catch (RateLimitedException e) {
      metrics.refused(network, e.limit());
      throw e;
    }
    SettlementStore.Claim claim = store.claim(new SettlementStore.Intent(skey, req.payTo(),
        ep.authorization().value(), ep.authorization().validBefore(), journaled(payload, req), key.address(),
        keyHash));
    if (!claim.created()) {
      return new Prepared(awaitClaimedElsewhere(claim.record()).id(), null, true);
    }
    long id = claim.record().id();
    if (limits.logPayments()) {
      log.info("settlement id={} network={} payer={} authNonce={} amount={} payTo={}: claimed", id, network,
          payer, shortHex(skey.nonce()), ep.authorization().value(), req.payTo());
    } else {
      log.info("settlement id={} network={}: claimed", id, network);
    }
    String data;
    try {
      data = Eip3009Calls.settlementCalldata(ep.authorization(), Hex.decode(v.classification().innerSignature()));
    } catch (IllegalArgumentException e) {
      store.abandon(id);
      return fail(network, payer, ErrorReasons.INVALID_SIGNATURE, e.getMessage());
    }
    BigInteger gas;
    BigInteger gasCap = BigInteger.valueOf(limits.maxGasPerSettlement());
    try {
      gas = lane.chain().estimateGas(key.address(), req.asset(), data, gasCap);
    } catch (SettlementChain.RevertedException e) {
      store.abandon(id);
      log.info("settlement id={} would revert or exceed the gas cap ({}): not sent", id, e.getMessage());
      if (e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("gas")) {
        metrics.refused(network, "gas_cap");
        return fail(network, payer, ErrorReasons.SIMULATION_FAILED, "the settlement needs more gas than the cap of "
            + gasCap + " per settlement: not sent (" + e.getMessage() + ")");
      }
      return fail(network, payer, RevertReasons.map(e.getMessage()), e.getMessage());
    } catch (RuntimeException e) {
      store.abandon(id);
      throw e;
    }
    BigInteger gasLimit = gas.multiply(BigInteger.valueOf(12)).divide(BigInteger.TEN).add(BigInteger.valueOf(10_000))
        .min(gasCap);
    try {
      guard.spendGas(gasLimit.longValueExact());
    } catch (RateLimitedException e) {
      store.abandon(id);
      metrics.refused(network, e.limit());
      throw e;
    }
    metrics.gasReserved(network, gasLimit.longValueExact(), guard.gasLeft());
    String lastProblem = "";
    for (int round = 0; round < MAX_NONCE_RETRIES; round++) {
      TxAttempt a;
      try {
        a = signAndJournal(lane, id, req.asset(), data, gasLimit, null, null);
      } catch (FeePolicy.FeeCapExceededException e) {
        store.abandon(id);
        metrics.refused(network, "fee_cap");
        log.warn("settlement id={} not sent: {}", id, e.getMessage());
        throw new RateLimitedException("fee_cap", Duration.ofSeconds(12), e.getMessage());
      } catch (RuntimeException e) {
        store.abandon(id);
        throw e;
      }
      SendResult sent = send(lane, a, "first");
      switch (sent.kind()) {
        case ACCEPTED, ALREADY_KNOWN -> {
          store.markBroadcast(id);
          log.info("settlement id={} broadcast tx={} accountNonce={}", id, a.txHash(), a.accountNonce());
          wake.release();
          return new Prepared(id, null);
        }
        case UNKNOWN -> {
          log.warn("settlement id={} tx={} broadcast indeterminate ({}): journaled, the reconciler re-sends it", id,
              a.txHash(), sent.message());
          return new Prepared(id, null);
        }
        case NONCE_TOO_LOW, UNDERPRICED -> {
          lane.nonces().unassign(a.accountNonce(), id);
          long pending = lane.chain().nonce(key.address(), true);
          lane.nonces().resync(pending);
          lastProblem = sent.message();
          log.warn("settlement id={} accountNonce={} taken ({}): resynced to {}, signing again", id,
              a.accountNonce(), sent.message(), lane.nonces().next());
        }
        case INSUFFICIENT_FUNDS -> {
          lane.nonces().release(a.accountNonce());
          store.abandon(id);
          refreshBalanceQuietly(lane);
          return fail(network, payer, ErrorReasons.UNEXPECTED_SETTLE_ERROR, "facilitator account " + key.address()
              + " cannot pay gas on " + network + ": " + sent.message());
        }
        default -> {
          lane.nonces().release(a.accountNonce());
          store.abandon(id);
          return fail(network, payer, ErrorReasons.UNEXPECTED_SETTLE_ERROR,
              "the node refused the settlement transaction: " + sent.message());
        }
      }
    }
    store.abandon(id);
    return fail(network, payer, ErrorReasons.UNEXPECTED_SETTLE_ERROR,
        "facilitator account nonce kept colliding: " + lastProblem);
  }

  private static Prepared fail(String network, String payer, String reason, String message) {
    return new Prepared(null, SettleResponse.failure(reason, message, "", network, payer));
  }

  /** Another process holds the claim and has not signed yet: wait (bounded) until it has. */
  private SettlementRecord awaitClaimedElsewhere(SettlementRecord r) {
    long deadline = System.nanoTime() + options.rpcTimeout().toNanos() * 3;
    SettlementRecord cur = r;
    while (cur.state() == SettlementState.CLAIMED && System.nanoTime() < deadline) {
      sleep(50);
      cur = store.byId(r.id()).orElse(cur);
    }
    if (cur.state() == SettlementState.CLAIMED) {
      throw new RpcUnavailableException("settlement " + r.id() + " is being prepared by another instance; retry");
    }
    return cur;
  }

  private void ensureReady(NetworkLane lane) {
    if (!lane.nonces().initialised()) {
      synchronized (lane) {
        if (!lane.nonces().initialised()) {
          initNonces(lane);
        }
      }
    }
    if (lane.balance() == null) {
      refreshBalance(lane);
    }
  }

  /** Reserves a nonce (or uses {@code fixedNonce}), signs, and journals the transaction before anyone sends it. */
  private TxAttempt signAndJournal(NetworkLane lane, long id, String to, String data, BigInteger gasLimit,
      Long fixedNonce, Fees fixedFees) {
    long nonce = fixedNonce != null ? fixedNonce : lane.nonces().reserve();
    try {
      Fees fees = fixedFees != null ? fixedFees : feePolicy.fees(lane.feeMarket());
      TxAttempt a = sign(lane, nonce, to, data, BigInteger.ZERO, gasLimit, fees);
      store.addAttempt(id, a);
      if (fixedNonce == null) {
        lane.nonces().assign(nonce, id);
      }
      return a;
    } catch (RuntimeException e) {
      if (fixedNonce == null) {
        lane.nonces().release(nonce);
      }
      throw e;
    }
  }

  private TxAttempt sign(NetworkLane lane, long nonce, String to, String data, BigInteger value, BigInteger gasLimit,
      Fees fees) {
    long chainId = lane.chain().chainId();
    RawTransaction tx = fees.legacy()
        ? RawTransaction.createTransaction(BigInteger.valueOf(nonce), fees.maxFeePerGas(), gasLimit, to, value, data)
        : RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), gasLimit, to, value, data,
            fees.maxPriorityFeePerGas(), fees.maxFeePerGas());
    String raw = Numeric.toHexString(key.sign(tx, chainId));
    String hash = Hash.sha3(raw).toLowerCase(java.util.Locale.ROOT);
    return new TxAttempt(hash, nonce, raw, fees.maxFeePerGas(), fees.maxPriorityFeePerGas(), gasLimit,
        clock.instant());
  }

  private SendResult send(NetworkLane lane, TxAttempt a, String kind) {
    SendResult r = lane.chain().sendRaw(a.rawTx());
    lastSent.put(a.txHash(), clock.millis());
    if (r.kind() == SendResult.Kind.UNKNOWN) {
      metrics.rpcError(lane.network());
    } else {
      metrics.transactionSent(lane.network(), kind);
    }
    return r;
  }

  // --------------------------------------------------------------------------------------------------- answers

  /** The answer for a journaled settlement: final now, or final within the receipt wait, or pending with the hash. */
  public CompletableFuture<SettleResponse> answer(SettlementRecord r) {
    if (r.state().isFinal()) {
      return CompletableFuture.completedFuture(responseFor(r));
    }
    CompletableFuture<SettlementRecord> fin = finals.computeIfAbsent(r.id(), k -> new CompletableFuture<>());
    store.byId(r.id()).filter(x -> x.state().isFinal()).ifPresent(x -> {
      finals.remove(x.id(), fin);
      fin.complete(x);
    });
    CompletableFuture<SettleResponse> out = fin.thenApply(this::responseFor);
    timer.schedule(() -> {
      if (!out.isDone()) {
        SettlementRecord now = store.byId(r.id()).orElse(r);
        out.complete(responseFor(now));
      }
    }, options.receiptWait().toMillis(), TimeUnit.MILLISECONDS);
    return out;
  }

  /** The settle response a journal row stands for. */
  public SettleResponse responseFor(SettlementRecord r) {
    String payer = checksum(r);
    String network = r.key().network();
    SettleResponse base;
    if (r.state() == SettlementState.SETTLED) {
      base = SettleResponse.success(r.txHash(), network, payer);
    } else if (r.state() == SettlementState.FAILED) {
      base = SettleResponse.failure(r.errorReason(), r.errorMessage(), r.txHash(), network, payer);
    } else {
      String tx = r.txHash() == null ? "" : r.txHash();
      base = SettleResponse.failure(ErrorReasons.SETTLEMENT_PENDING, "transaction " + tx
          + " broadcast, not yet mined; settle again or GET /settlements/" + tx + " for the outcome", tx, network,
          payer);
    }
    if (r.receipt() == null) {
      return base;
    }
    ObjectNode ext = Wire.newObject();
    ext.set(ReceiptIssuer.EXTENSION_KEY, r.receipt());
    Map<String, JsonNode> other = new LinkedHashMap<>(base.other());
    other.put("extensions", ext);
    return new SettleResponse(base.success(), base.errorReason(), base.errorMessage(), base.payer(),
        base.transaction(), base.network(), base.amount(), other);
  }

  /** The payer as the request spelled it (the journal keeps lower case). */
  private static String checksum(SettlementRecord r) {
    JsonNode from = r.request().path("paymentPayload").path("payload").path("authorization").path("from");
    return from.isTextual() ? from.textValue() : r.key().payer();
  }

  // ------------------------------------------------------------------------------------------------ reconciler

  private void reconcileLoop() {
    while (running) {
      try {
        wake.tryAcquire(options.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
        if (!running) {
          break;
        }
        reconcileOnce();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        log.warn("reconciler cycle failed: {}", e.toString());
      }
    }
  }

  /** One reconciliation pass over every in-flight settlement (also run once at start). */
  private synchronized void reconcileOnce() {
    List<SettlementRecord> inflight = store.inFlight();
    Map<String, List<SettlementRecord>> byNetwork = new HashMap<>();
    for (SettlementRecord r : inflight) {
      byNetwork.computeIfAbsent(r.key().network(), k -> new ArrayList<>()).add(r);
    }
    for (NetworkLane lane : lanes.values()) {
      List<SettlementRecord> recs = byNetwork.getOrDefault(lane.network(), List.of());
      try {
        if (!lane.nonces().initialised()) {
          initNonces(lane);
        }
        reconcileLane(lane, recs);
        if (lane.balanceAgeMs() > BALANCE_REFRESH_MS) {
          refreshBalance(lane);
        }
        lane.rpcUp(true, null);
      } catch (RpcUnavailableException e) {
        rpcDown(lane, e);
      } catch (RuntimeException e) {
        log.warn("network={} reconciliation failed: {}", lane.network(), e.toString());
      }
      metrics.pending(lane.network(), recs.size());
    }
  }

  private void rpcDown(NetworkLane lane, RuntimeException e) {
    metrics.rpcError(lane.network());
    if (lane.rpcUp()) {
      log.warn("network={} RPC unavailable: {}", lane.network(), e.getMessage());
    }
    lane.rpcUp(false, e.getMessage());
  }

  private void reconcileLane(NetworkLane lane, List<SettlementRecord> recs) {
    long latest = lane.chain().nonce(key.address(), false);
    lane.nonces().observeLatest(latest);
    List<SettlementRecord> signed = recs.stream().filter(r -> r.state() != SettlementState.CLAIMED
        && !r.attempts().isEmpty()).toList();
    if (!signed.isEmpty()) {
      Set<String> hashes = new HashSet<>();
      signed.forEach(r -> r.attempts().forEach(a -> hashes.add(a.txHash())));
      Map<String, TransactionReceipt> receipts = lane.chain().receipts(hashes);
      long now = clock.millis();
      for (SettlementRecord r : signed) {
        TransactionReceipt receipt = receiptOf(r, receipts);
        if (receipt != null) {
          nonceTakenOnce.remove(r.id());
          finalizeMined(lane, r, receipt);
        } else if (r.accountNonce() != null && r.accountNonce() < latest) {
          if (nonceTakenOnce.add(r.id())) {
            continue; // seen once: a receipt may lag the nonce count; decide next pass
          }
          nonceTakenOnce.remove(r.id());
          nonceTaken(lane, r);
        } else {
          nonceTakenOnce.remove(r.id());
          keepAlive(lane, r, now);
        }
      }
    }
    for (long n : lane.nonces().takeStaleFree(options.gapFillAfter().toMillis())) {
      fillGap(lane, n);
    }
  }

  private static TransactionReceipt receiptOf(SettlementRecord r, Map<String, TransactionReceipt> receipts) {
    for (TxAttempt a : r.attempts()) {
      TransactionReceipt t = receipts.get(a.txHash());
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  /** Unmined: replace with bumped fees past the bound, else re-broadcast now and then. */
  private void keepAlive(NetworkLane lane, SettlementRecord r, long now) {
    TxAttempt last = r.latestAttempt();
    boolean stuck = now - last.createdAt().toEpochMilli() >= options.replaceAfter().toMillis();
    Optional<Fees> bump = Optional.empty();
    if (stuck && r.currentAttempts().size() <= options.maxReplacements() && r.accountNonce() != null) {
      try {
        bump = feePolicy.bumped(new Fees(last.maxFeePerGas(), last.maxPriorityFeePerGas()), options.feeBumpPercent(),
            lane.feeMarket());
      } catch (FeePolicy.FeeCapExceededException e) {
        log.warn("settlement id={} tx={} unmined; not replaced: {}", r.id(), last.txHash(), e.getMessage());
      }
    }
    if (bump.isPresent()) {
      Fees bumped = bump.get();
      String data = TransactionDecoder.decode(last.rawTx()).getData();
      TxAttempt a = signAndJournal(lane, r.id(), r.key().asset(), data, last.gasLimit(), r.accountNonce(), bumped);
      SendResult s = send(lane, a, "replacement");
      log.info("settlement id={} tx={} unmined for {}s: replaced by tx={} (maxFee {} -> {}): {}", r.id(),
          last.txHash(), (now - last.createdAt().toEpochMilli()) / 1000, a.txHash(), last.maxFeePerGas(),
          bumped.maxFeePerGas(), s.kind());
      afterResend(r, s);
      return;
    }
    Long sentAt = lastSent.get(last.txHash());
    if (sentAt == null || now - sentAt >= options.rebroadcastInterval().toMillis()) {
      SendResult s = send(lane, last, "rebroadcast");
      if (sentAt == null || s.kind() != SendResult.Kind.ALREADY_KNOWN) {
        log.info("settlement id={} tx={} re-broadcast: {} {}", r.id(), last.txHash(), s.kind(), s.message());
      }
      afterResend(r, s);
    }
  }

  private void afterResend(SettlementRecord r, SendResult s) {
    if (s.inPool() && r.state() == SettlementState.SIGNED) {
      store.markBroadcast(r.id());
    }
  }

  /**
   * The settlement's account nonce is mined but none of its transactions is: another transaction took the nonce. If
   * the authorization is used, someone else settled it; otherwise sign it again at a new nonce while it is valid.
   */
  private void nonceTaken(NetworkLane lane, SettlementRecord r) {
    Map<String, TransactionReceipt> again = lane.chain().receipts(r.attempts().stream().map(TxAttempt::txHash)
        .toList());
    TransactionReceipt receipt = receiptOf(r, again);
    if (receipt != null) {
      finalizeMined(lane, r, receipt);
      return;
    }
    lane.nonces().unassign(r.accountNonce(), r.id());
    boolean used = lane.chain().authorizationState(r.key().asset(), r.key().payer(), r.key().nonce());
    if (used) {
      finish(lane, r, Outcome.failed(ErrorReasons.NONCE_ALREADY_USED,
          "the authorization was used by a transaction this facilitator did not send", "", null));
      return;
    }
    long nowSeconds = Math.floorDiv(clock.millis(), 1000L);
    if (r.validBefore().compareTo(BigInteger.valueOf(nowSeconds + ExactEvmVerifier.VALID_BEFORE_BUFFER_SECONDS)) < 0) {
      finish(lane, r, Outcome.failed(ErrorReasons.VALID_BEFORE_EXPIRED,
          "the settlement transaction was dropped and the authorization has expired; nothing was transferred", "",
          null));
      return;
    }
    TxAttempt last = r.latestAttempt();
    String data = TransactionDecoder.decode(last.rawTx()).getData();
    TxAttempt a = signAndJournal(lane, r.id(), r.key().asset(), data, last.gasLimit(), null, null);
    SendResult s = send(lane, a, "resign");
    log.warn("settlement id={} accountNonce={} was taken by another transaction: signed again as tx={} "
        + "accountNonce={}: {}", r.id(), r.accountNonce(), a.txHash(), a.accountNonce(), s.kind());
    afterResend(r, s);
  }

  private void finalizeMined(NetworkLane lane, SettlementRecord r, TransactionReceipt primary) {
    TransactionReceipt receipt = confirmed(lane, r, primary);
    if (receipt == null) {
      return;
    }
    String tx = receipt.getTransactionHash().toLowerCase(java.util.Locale.ROOT);
    long block = receipt.getBlockNumber().longValueExact();
    Outcome o;
    if (!receipt.isStatusOK()) {
      o = Outcome.failed(ErrorReasons.TRANSACTION_FAILED, "transaction reverted", tx, block);
    } else if (!TransferLogs.hasMatchingTransfer(receipt.getLogs(), r.key().asset(), r.key().payer(), r.payTo(),
        r.amount())) {
      o = Outcome.failed(ErrorReasons.TRANSFER_EVENT_MISMATCH,
          "transaction mined without the Transfer(from, to, value) log of the authorization", tx, block);
    } else {
      o = Outcome.settled(tx, block);
    }
    finish(lane, r, o);
  }

  /** What a receipt says about a settlement: the nodes must agree on all of it. */
  private record Verdict(String blockHash, boolean statusOk, boolean transferMatches) {}

  private static Verdict verdict(SettlementRecord r, TransactionReceipt t) {
    return new Verdict(t.getBlockHash() == null ? "" : t.getBlockHash().toLowerCase(java.util.Locale.ROOT),
        t.isStatusOK(), TransferLogs.hasMatchingTransfer(t.getLogs(), r.key().asset(), r.key().payer(), r.payTo(),
            r.amount()));
  }

  /**
   * The receipt a quorum of the lane's nodes agrees on (same block hash, status and Transfer log), or null when
   * there is no such quorum yet: the settlement stays in flight, nothing is signed. With one node that node's word.
   */
  private TransactionReceipt confirmed(NetworkLane lane, SettlementRecord r, TransactionReceipt primary) {
    if (lane.witnesses().isEmpty()) {
      return primary;
    }
    List<String> hashes = r.attempts().stream().map(TxAttempt::txHash).toList();
    Map<Verdict, List<TransactionReceipt>> votes = new LinkedHashMap<>();
    votes.computeIfAbsent(verdict(r, primary), k -> new ArrayList<>()).add(primary);
    for (SettlementChain w : lane.witnesses()) {
      try {
        TransactionReceipt t = receiptOf(r, w.receipts(hashes));
        if (t != null) {
          votes.computeIfAbsent(verdict(r, t), k -> new ArrayList<>()).add(t);
        }
      } catch (RpcUnavailableException e) {
        metrics.rpcError(lane.network());
      }
    }
    for (Map.Entry<Verdict, List<TransactionReceipt>> v : votes.entrySet()) {
      if (v.getValue().size() >= lane.receiptQuorum()) {
        return v.getValue().get(0);
      }
    }
    if (unconfirmedOnce.add(r.id())) {
      log.warn("settlement id={} network={}: the nodes do not agree on its receipt yet ({} versions, quorum {}): "
          + "not final", r.id(), lane.network(), votes.size(), lane.receiptQuorum());
    }
    metrics.refused(lane.network(), "receipt_no_quorum");
    return null;
  }

  private void finish(NetworkLane lane, SettlementRecord r, Outcome o) {
    unconfirmedOnce.remove(r.id());
    SettlementRecord fin = store.finish(r.id(), o, key.address(), issuer);
    if (r.accountNonce() != null) {
      lane.nonces().unassign(r.accountNonce(), r.id());
    }
    r.attempts().forEach(a -> lastSent.remove(a.txHash()));
    metrics.outcome(lane.network(), o.success(), o.errorReason());
    log.info("settlement id={} final: {} tx={} block={} reason={} seq={}", r.id(), fin.state(), fin.txHash(),
        fin.blockNumber(), fin.errorReason(), fin.outcomeSeq());
    CompletableFuture<SettlementRecord> f = finals.remove(r.id());
    if (f != null) {
      f.complete(fin);
    }
  }

  /** A nonce nobody uses below the highest in flight: a zero-value self-transfer closes the gap. */
  private void fillGap(NetworkLane lane, long nonce) {
    boolean sent = false;
    try {
      int round = fillerRounds.merge(nonce, 1, Integer::sum);
      Fees fees = feePolicy.fees(lane.feeMarket());
      for (int i = 1; i < round; i++) {
        fees = feePolicy.bumped(fees, options.feeBumpPercent(), lane.feeMarket()).orElse(fees);
      }
      TxAttempt a = sign(lane, nonce, key.address(), "0x", BigInteger.ZERO, FILLER_GAS, fees);
      SendResult s = send(lane, a, "filler");
      sent = s.inPool() || s.kind() == SendResult.Kind.NONCE_TOO_LOW || s.kind() == SendResult.Kind.UNKNOWN;
      log.warn("network={} account nonce {} unused: filler tx={} {}", lane.network(), nonce, a.txHash(), s.kind());
    } finally {
      lane.nonces().fillerDone(nonce, sent);
      if (fillerRounds.size() > 1024) {
        fillerRounds.clear();
      }
    }
  }

  private BigInteger refreshBalance(NetworkLane lane) {
    BigInteger b = lane.chain().balance(key.address());
    lane.balance(b);
    metrics.balance(lane.network(), b);
    return b;
  }

  private void refreshBalanceQuietly(NetworkLane lane) {
    try {
      refreshBalance(lane);
    } catch (RuntimeException e) {
      log.debug("balance refresh failed: {}", e.toString());
    }
  }

  // ------------------------------------------------------------------------------------------------- lookups

  /** Journal rows for an authorization nonce or a transaction hash. */
  public List<SettlementRecord> find(String hex32) {
    return store.byNonceOrTxHash(hex32);
  }

  public SettlementStore store() {
    return store;
  }

  static String shortHex(String h) {
    return h == null || h.length() < 14 ? h : h.substring(0, 10) + "…";
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Bound for tests and callers: how long {@link #answer} waits. */
  public Duration receiptWait() {
    return options.receiptWait();
  }
}
