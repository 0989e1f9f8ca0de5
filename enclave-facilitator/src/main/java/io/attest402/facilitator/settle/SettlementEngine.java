package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.FacilitatorOptions;
import io.attest402.facilitator.RateLimitedException;
import io.attest402.facilitator.SettleLimits;
import io.attest402.facilitator.chain.RpcUnavailableException;
import io.attest402.facilitator.chain.SendResult;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.store.LeaseStore;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.Eip3009Calls;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Hex;
import io.attest402.x402.evm.Networks;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.evm.RevertReasons;
import io.attest402.x402.evm.UptoEvmVerifier;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.utils.Numeric;

/**
 * Settles EIP-3009 authorizations: at most one transaction on chain per authorization, whatever the
 * number of concurrent or repeated requests, crashes or node failures.
 *
 * <p><b>One settlement</b> ({@link #settle}): look the authorization up in the journal (a known one
 * is answered from there, waiting a bounded time for its receipt); otherwise, single-flight per
 * authorization in this process, re-verify it as the official facilitator does at settle time (no
 * simulation), claim it in the journal (unique per authorization), estimate gas (started beside the
 * re-verification, {@link EarlyGasEstimate}; a would-revert call fails here with the official
 * reason, nothing sent), reserve an account nonce, sign, <em>journal the signed transaction and its
 * hash</em>, then broadcast. The caller waits for the receipt at most {@link
 * FacilitatorOptions#receiptWait()}; past that it gets {@code settlement_pending} with the hash.
 *
 * <p>This class is the settle path and the answers; {@link TransactionSender} signs, journals and
 * sends transactions, and {@link Reconciler} owns the following.
 *
 * <p><b>The reconciler</b> (one thread) drives every journaled in-flight settlement to a final
 * outcome: it fetches receipts for all their transactions in one batch per chain and journals the
 * outcome (settled only with a matching Transfer log); re-broadcasts unmined transactions (a node
 * may have lost them); replaces a transaction unmined past {@link
 * FacilitatorOptions#replaceAfter()} with bumped fees at the same nonce; when a settlement's nonce
 * was taken by some other transaction, reads {@code authorizationState} to decide between "used
 * elsewhere" and re-signing at a new nonce; and fills account-nonce gaps with zero-value
 * self-transfers.
 *
 * <p><b>Recovery</b> ({@link #start}): claims that never got a signed transaction are dropped
 * (nothing reached a chain; a retry starts afresh); every signed transaction in the journal is
 * re-broadcast and reconciled; account nonces restart from {@code max(chain pending count, highest
 * journaled + 1)}.
 *
 * <p>No Vert.x here: callers run {@link #settle} on a worker thread (its preparation blocks on the
 * chain) and get a future for the bounded wait.
 */
public final class SettlementEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SettlementEngine.class);
  private static final int MAX_NONCE_RETRIES = 3;

  private final Map<String, NetworkLane> lanes;
  private final SettlementStore store;
  private final EnclaveKey key;
  private final Clock clock;
  private final FacilitatorOptions options;
  private final ReceiptIssuer issuer;
  private final FacilitatorMetrics metrics;
  private final SettleLimits limits;
  private final TransactionSender sender;
  private final Reconciler reconciler;
  private final Erc20ApprovalSponsor approvals;
  private final Map<String, SettleGuard> guards = new ConcurrentHashMap<>();
  private volatile ReplicaLeases leases;
  private final Map<String, UptoEvmVerifier> uptoVerifiers = new ConcurrentHashMap<>();

  private final ConcurrentHashMap<SettlementKey, CompletableFuture<Prepared>> preparing =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, CompletableFuture<SettlementRecord>> finals =
      new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final java.util.concurrent.ExecutorService earlyEstimates = EarlyGasEstimate.executor();
  private volatile boolean closing;

  /**
   * The outcome of preparing a settlement: a journaled row (claimed by this request, or by another
   * process), or a failure with nothing on chain.
   */
  private record Prepared(Long id, SettleResponse failure, boolean claimedElsewhere) {
    Prepared(Long id, SettleResponse failure) {
      this(id, failure, false);
    }
  }

  /**
   * @param key the identity key (signer 1): {@link #account()}; the lanes carry every signer
   */
  public SettlementEngine(
      List<NetworkLane> lanes,
      SettlementStore store,
      EnclaveKey key,
      Clock clock,
      FacilitatorOptions options,
      ReceiptIssuer issuer,
      FacilitatorMetrics metrics) {
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
    this.sender = new TransactionSender(store, clock, options, metrics, new FeePolicy(limits));
    this.approvals = new Erc20ApprovalSponsor(options, sender.feePolicy());
    this.reconciler =
        new Reconciler(
            this.lanes,
            store,
            clock,
            options,
            issuer,
            metrics,
            sender,
            fin -> {
              CompletableFuture<SettlementRecord> f = finals.remove(fin.id());
              if (f != null) {
                f.complete(fin);
              }
            });
    this.lanes.keySet().forEach(n -> guards.put(n, new SettleGuard(limits, clock)));
    this.lanes.forEach((n, l) -> uptoVerifiers.put(n, UptoEvmVerifier.besides(l.verifier())));
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "settlement-timer");
              t.setDaemon(true);
              return t;
            });
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
    if (store instanceof LeaseStore ls && ls.leaseTtl().isPresent()) {
      // replicas share the journal: take this replica's signer leases before recovering its rows
      List<String> own =
          lanes.values().stream()
              .flatMap(l -> l.signers().stream())
              .map(SignerAccount::address)
              .distinct()
              .toList();
      leases =
          new ReplicaLeases(ls, key.address(), own, ls.leaseTtl().get(), s -> reconciler.wake());
      leases.start();
      reconciler.leases(leases);
    }
    for (SettlementRecord r : store.inFlight()) {
      if (leases != null && !ownRow(r)) {
        continue; // another replica's: its own, or taken over when its lease expires
      }
      if (r.state() == SettlementState.CLAIMED) {
        store.abandon(r.id());
        log.info(
            "settlement id={} recovery: claimed but never signed, dropped (nothing was broadcast)",
            r.id());
      } else {
        log.info(
            "settlement id={} recovery: {} with {} transaction(s), latest tx={} accountNonce={}",
            r.id(),
            r.state(),
            r.attempts().size(),
            r.txHash(),
            r.accountNonce());
      }
    }
    for (NetworkLane lane : lanes.values()) {
      try {
        reconciler.checkChainId(lane);
        reconciler.initNonces(lane);
        reconciler.refreshBalance(lane);
      } catch (RpcUnavailableException e) {
        reconciler.rpcDown(lane, e);
      }
    }
    reconciler.start();
  }

  /**
   * Stops taking new settlements, lets those being prepared finish, waits up to the shutdown grace
   * for in-flight ones to become final (each stays journaled and is reconciled at the next start
   * otherwise), then stops.
   */
  @Override
  public void close() {
    closing = true;
    long deadline = System.nanoTime() + options.shutdownGrace().toNanos();
    while (System.nanoTime() < deadline && (!preparing.isEmpty() || hasInFlight())) {
      reconciler.wake();
      sleep(50);
    }
    List<SettlementRecord> left = store.inFlight();
    for (SettlementRecord r : left) {
      log.info(
          "settlement id={} still {} at shutdown: journaled with tx={}, reconciled at next start",
          r.id(),
          r.state(),
          r.txHash());
    }
    reconciler.stop(options.rpcTimeout().toMillis() * 3 + 1_000);
    if (leases != null) {
      leases.close();
    }
    timer.shutdownNow();
    earlyEstimates.shutdownNow();
  }

  /** Whether one of this replica's signers claimed {@code r}. */
  private boolean ownRow(SettlementRecord r) {
    NetworkLane lane = lanes.get(r.key().network());
    return lane != null && lane.signer(r.account()).isPresent();
  }

  private boolean hasInFlight() {
    try {
      return store.inFlight().stream().anyMatch(r -> leases == null || ownRow(r));
    } catch (RuntimeException e) {
      return false;
    }
  }

  // --------------------------------------------------------------------------------------------------- settle

  /**
   * Settles (or reports on) the authorization in {@code payload}. Blocks while preparing (bounded
   * RPC calls); the returned future completes within {@link FacilitatorOptions#receiptWait()} after
   * that.
   *
   * @throws RpcUnavailableException when the node cannot be reached before anything was broadcast
   *     (nothing happened; retry)
   * @throws IllegalArgumentException when the network is not configured here
   * @throws io.attest402.x402.types.X402FormatException when the payload is not an EIP-3009 payload
   */
  public CompletableFuture<SettleResponse> settle(PaymentPayload payload, PaymentRequirements req) {
    return settle(payload, req, null);
  }

  /**
   * {@link #settle(PaymentPayload, PaymentRequirements)} for a request carrying {@code
   * idempotencyKey} (null: none). One authorization is one success: a request for an authorization
   * already claimed is answered with its outcome only when it repeats the claiming request (same
   * requirements, same signature, the same non-null key); any other gets {@code
   * invalid_exact_evm_nonce_already_used} ({@code permit2_invalid_nonce} for a Permit2 payment, as
   * the official facilitator answers it; or the reason for the requirement it changed) and nothing
   * is broadcast.
   */
  public CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements req, String idempotencyKey) {
    String laneNetwork = laneNetwork(payload, req);
    NetworkLane lane = lanes.get(laneNetwork);
    if (lane == null) {
      throw new IllegalArgumentException("network " + req.network() + " is not configured");
    }
    PaymentTerms ep = PaymentTerms.of(payload.payload(), "paymentPayload.payload");
    // keyed by the CAIP-2 network: a v1 and a v2 request for one authorization are one payment
    SettlementKey skey = new SettlementKey(laneNetwork, req.asset(), ep.payer(), ep.nonceHex());
    String keyHash = idempotencyKey == null ? null : sha256(idempotencyKey);
    Optional<SettlementRecord> known = store.byKey(skey);
    if (known.isPresent() && known.get().state() != SettlementState.CLAIMED) {
      return repeat(known.get(), req, ep, keyHash);
    }
    if (UptoTerms.isUpto(req) && req.amount().signum() == 0) {
      return CompletableFuture.completedFuture(settleNothing(lane, payload, req, ep));
    }
    if (closing) {
      return CompletableFuture.completedFuture(
          SettleResponse.failure(
              ErrorReasons.UNEXPECTED_SETTLE_ERROR,
              "facilitator is shutting down; retry with another instance or later",
              "",
              req.network(),
              ep.payer()));
    }
    CompletableFuture<Prepared> mine = new CompletableFuture<>();
    CompletableFuture<Prepared> theirs = preparing.putIfAbsent(skey, mine);
    if (theirs != null) {
      return theirs.thenCompose(
          p ->
              p.failure() != null
                  ? CompletableFuture.completedFuture(p.failure())
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
   * The answer to a request for an authorization already claimed: its outcome for a retry of the
   * claiming request, else a failure that says why (nothing is sent either way).
   */
  private CompletableFuture<SettleResponse> repeat(
      SettlementRecord r, PaymentRequirements req, PaymentTerms ep, String keyHash) {
    String network = req.network();
    String payer = ep.payer();
    metrics.refused(network, "replay");
    JsonNode journaledReq = r.request().path("paymentRequirements");
    if (!r.payTo().equalsIgnoreCase(req.payTo())) {
      return failed(
          network,
          payer,
          ep.permit2() ? ErrorReasons.PERMIT2_RECIPIENT_MISMATCH : ErrorReasons.RECIPIENT_MISMATCH,
          "this authorization was already settled for " + "another payTo; nothing was sent");
    }
    if (!r.amount().equals(req.amount())
        || (journaledReq.has("amount")
            && !journaledReq.path("amount").asText().equals(req.amount().toString()))) {
      return failed(
          network,
          payer,
          ep.permit2()
              ? ErrorReasons.PERMIT2_AMOUNT_MISMATCH
              : ErrorReasons.AUTHORIZATION_VALUE_MISMATCH,
          "this authorization was already " + "settled for another amount; nothing was sent");
    }
    if (journaledReq.has("scheme") && !journaledReq.path("scheme").asText().equals(req.scheme())) {
      return failed(
          network,
          payer,
          ErrorReasons.INVALID_SCHEME,
          "this authorization was already settled under " + "another scheme; nothing was sent");
    }
    String journaledSig =
        r.request().path("paymentPayload").path("payload").path("signature").asText("");
    boolean sameKey = sameKeyHash(r, keyHash);
    if (!sameKey || !journaledSig.equalsIgnoreCase(ep.signature())) {
      // a Permit2 nonce used again: what the official facilitator answers when Permit2 refuses it
      return failed(
          network,
          payer,
          ep.permit2() ? ErrorReasons.PERMIT2_INVALID_NONCE : ErrorReasons.NONCE_ALREADY_USED,
          "this authorization has already been "
              + (r.state() == SettlementState.FAILED ? "tried" : "settled")
              + " for an earlier request; only a retry "
              + "of that request with the same Idempotency-Key header gets its outcome (GET /settlements/{nonce} "
              + "reports it); nothing was sent");
    }
    return answer(r);
  }

  private static CompletableFuture<SettleResponse> failed(
      String network, String payer, String reason, String msg) {
    return CompletableFuture.completedFuture(
        SettleResponse.failure(reason, msg, "", network, payer));
  }

  /**
   * Whether {@code idempotencyKey} is the {@code Idempotency-Key} of the request that claimed
   * {@code r} (false for null, or for a settlement claimed without one).
   */
  public static boolean claimedWith(SettlementRecord r, String idempotencyKey) {
    return idempotencyKey != null && sameKeyHash(r, sha256(idempotencyKey));
  }

  private static boolean sameKeyHash(SettlementRecord r, String keyHash) {
    return keyHash != null
        && r.idempotencyKeyHash() != null
        && java.security.MessageDigest.isEqual(
            keyHash.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            r.idempotencyKeyHash().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  static String sha256(String s) {
    try {
      return Numeric.toHexStringNoPrefix(
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What the journal keeps of a request: what settlement and recovery need, not the resource or
   * extensions.
   */
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
   * The facilitator's own rules before any chain work: the minimum amount, no self-payment, the
   * payTo allow-list. Empty when the request passes; else the reason and message for {@code
   * isValid:false} / {@code success:false}.
   */
  public Optional<String[]> policyRefusal(PaymentPayload payload, PaymentRequirements req) {
    NetworkLane lane = lanes.get(laneNetwork(payload, req));
    BigInteger min =
        lane == null
            ? limits.minAmount()
            : lane.config()
                .asset(req.asset())
                .map(a -> a.minAmount())
                .filter(m -> m != null)
                .orElse(limits.minAmount());
    String network = req.network();
    if (req.amount().compareTo(min) < 0) {
      metrics.refused(network, "min_amount");
      return Optional.of(
          new String[] {
            ErrorReasons.AUTHORIZATION_VALUE,
            "amount "
                + req.amount()
                + " is below the minimum of "
                + min
                + " base units this facilitator settles for this asset"
          });
    }
    if (!limits.payToAllowed(req.payTo())) {
      metrics.refused(network, "pay_to_not_allowed");
      return Optional.of(
          new String[] {
            ErrorReasons.INVALID_PAYMENT_REQUIREMENTS,
            "this facilitator serves a fixed set of payTo addresses and this payTo is not one of them"
          });
    }
    JsonNode from = PaymentTerms.payerNode(payload.payload());
    if (from.isTextual() && from.textValue().equalsIgnoreCase(req.payTo())) {
      metrics.refused(network, "self_payment");
      return Optional.of(
          new String[] {
            ErrorReasons.RECIPIENT_MISMATCH,
            "payer and payTo are the same address: a self-payment moves nothing and is not settled"
          });
    }
    return Optional.empty();
  }

  private Prepared prepare(
      NetworkLane lane,
      SettlementKey skey,
      PaymentPayload payload,
      PaymentRequirements req,
      PaymentTerms ep,
      String keyHash) {
    String payer = ep.payer();
    String network = req.network();
    Optional<String[]> refused = policyRefusal(payload, req);
    if (refused.isPresent()) {
      return fail(network, payer, refused.get()[0], refused.get()[1]);
    }
    ensureReady(lane);
    SignerAccount signer;
    if (UptoTerms.isUpto(req)) {
      // only the facilitator the payer named in the witness may call the upto proxy
      Optional<SignerAccount> named = lane.signer(UptoTerms.witnessFacilitator(payload.payload()));
      if (named.isEmpty()) {
        return fail(
            network,
            payer,
            ErrorReasons.UPTO_FACILITATOR_MISMATCH,
            "the authorization is bound to another facilitator; nothing was sent");
      }
      signer = named.get();
      signer.preparing(1);
    } else {
      // spread by load over the attested signers; the settlement keeps its signer for good
      signer = lane.pickSigner();
    }
    try {
      return prepareOn(lane, signer, skey, payload, req, ep, keyHash);
    } finally {
      lane.donePreparing(signer);
    }
  }

  private Prepared prepareOn(
      NetworkLane lane,
      SignerAccount signer,
      SettlementKey skey,
      PaymentPayload payload,
      PaymentRequirements req,
      PaymentTerms ep,
      String keyHash) {
    String payer = ep.payer();
    String network = req.network();
    BigInteger balance = signer.balance();
    if (balance != null && balance.signum() == 0 && signer.balanceAgeMs() > 1_000) {
      balance = reconciler.refreshBalance(lane, signer);
    }
    if (balance != null && balance.signum() == 0) {
      return fail(
          network,
          payer,
          ErrorReasons.UNEXPECTED_SETTLE_ERROR,
          "facilitator account "
              + signer.address()
              + " has no native token for gas on "
              + network
              + ": fund it to settle (verify works meanwhile)");
    }
    boolean upto = UptoTerms.isUpto(req);
    BigInteger gasCap = BigInteger.valueOf(limits.maxGasPerSettlement());
    // the gas estimate runs beside the re-verification and the claim (EarlyGasEstimate)
    EarlyGasEstimate early =
        EarlyGasEstimate.start(
            earlyEstimates, lane.chain(), signer.address(), req.asset(), payload.payload(), gasCap);
    ExactEvmVerifier.Outcome v;
    try {
      if (upto) {
        UptoEvmVerifier.Outcome u = verifyUpto(payload, UptoTerms.atMaximum(req, ep), false);
        v = new ExactEvmVerifier.Outcome(u.response(), null, null, u.permit2());
      } else {
        v = lane.verifier().verify(payload, req, false);
      }
    } catch (ChainAccess.ChainAccessException e) {
      throw new RpcUnavailableException("re-verification failed: " + e.getMessage(), e);
    }
    if (!v.isValid()) {
      // the authorization may have been claimed (and used) meanwhile by another thread or replica:
      // then the journal row answers (its outcome for a retry of the claiming request), not "used"
      Optional<SettlementRecord> claimed = store.byKey(skey);
      if (claimed.isPresent()) {
        return new Prepared(awaitClaimedElsewhere(claimed.get()).id(), null, true);
      }
      return fail(network, payer, v.response().invalidReason(), v.response().invalidMessage());
    }
    if (upto && req.amount().compareTo(ep.amount()) > 0) {
      metrics.refused(network, "upto_exceeds_maximum");
      return fail(
          network,
          payer,
          ErrorReasons.UPTO_SETTLEMENT_EXCEEDS_AMOUNT,
          "the settlement amount "
              + req.amount()
              + " exceeds the maximum of "
              + ep.amount()
              + " the payer signed; nothing was sent");
    }
    SettleGuard guard = guards.get(lane.network());
    try {
      guard.admit(payer, req.payTo());
    } catch (RateLimitedException e) {
      metrics.refused(network, e.limit());
      throw e;
    }
    SettlementStore.Claim claim =
        store.claim(
            new SettlementStore.Intent(
                skey,
                req.payTo(),
                upto ? req.amount() : ep.amount(),
                ep.validBefore(),
                journaled(payload, req),
                signer.address(),
                keyHash));
    if (!claim.created()) {
      return new Prepared(awaitClaimedElsewhere(claim.record()).id(), null, true);
    }
    long id = claim.record().id();
    if (limits.logPayments()) {
      log.info(
          "settlement id={} network={} payer={} authNonce={} amount={} payTo={}: claimed",
          id,
          network,
          payer,
          shortHex(skey.nonce()),
          ep.amount(),
          req.payTo());
    } else {
      log.info("settlement id={} network={}: claimed", id, network);
    }
    String data;
    String target = upto ? Permit2.UPTO_PROXY : ep.permit2() ? Permit2.EXACT_PROXY : req.asset();
    try {
      data =
          ep.permit2()
              ? permit2Calldata(payload, v.permit2(), upto ? req.amount() : null)
              : Eip3009Calls.settlementCalldata(
                  v.payload().authorization(), Hex.decode(v.classification().innerSignature()));
    } catch (IllegalArgumentException e) {
      store.abandon(id);
      return fail(
          network,
          payer,
          ep.permit2() ? ErrorReasons.PERMIT2_INVALID_SIGNATURE : ErrorReasons.INVALID_SIGNATURE,
          e.getMessage());
    }
    if (ep.permit2() && data.startsWith(REFUSED)) {
      store.abandon(id);
      return fail(network, payer, data.substring(REFUSED.length()), "EIP-2612 permit refused");
    }
    if (ep.permit2() && Eip2612GasSponsoring.extract(payload) == null) {
      Erc20ApprovalGasSponsoring.Info approval = Erc20ApprovalGasSponsoring.extract(payload);
      if (approval != null) {
        Optional<String[]> refusedApproval;
        try {
          refusedApproval =
              approvals.sponsor(lane, signer, guard, payer, req.asset(), ep.amount(), approval);
        } catch (RuntimeException e) {
          store.abandon(id);
          if (e instanceof RateLimitedException rl) {
            metrics.refused(network, rl.limit());
          }
          throw e;
        }
        if (refusedApproval.isPresent()) {
          store.abandon(id);
          metrics.refused(network, "erc20_approval");
          return fail(network, payer, refusedApproval.get()[0], refusedApproval.get()[1]);
        }
      }
    }
    BigInteger gas;
    try {
      gas =
          early != null && early.isFor(target, data)
              ? early.await()
              : lane.chain().estimateGas(signer.address(), target, data, gasCap);
    } catch (SettlementChain.RevertedException e) {
      store.abandon(id);
      log.info(
          "settlement id={} would revert or exceed the gas cap ({}): not sent", id, e.getMessage());
      if (e.getMessage() != null
          && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("gas")) {
        metrics.refused(network, "gas_cap");
        return fail(
            network,
            payer,
            ErrorReasons.SIMULATION_FAILED,
            "the settlement needs more gas than the cap of "
                + gasCap
                + " per settlement: not sent ("
                + e.getMessage()
                + ")");
      }
      return fail(
          network,
          payer,
          upto
              ? RevertReasons.mapUpto(e.getMessage())
              : ep.permit2()
                  ? RevertReasons.mapPermit2(e.getMessage())
                  : RevertReasons.map(e.getMessage()),
          e.getMessage());
    } catch (RuntimeException e) {
      store.abandon(id);
      throw e;
    }
    BigInteger gasLimit =
        gas.multiply(BigInteger.valueOf(12))
            .divide(BigInteger.TEN)
            .add(BigInteger.valueOf(10_000))
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
        a = sender.signAndJournal(lane, signer, id, target, data, gasLimit, null, null);
      } catch (FeePolicy.FeeCapExceededException e) {
        store.abandon(id);
        metrics.refused(network, "fee_cap");
        log.warn("settlement id={} not sent: {}", id, e.getMessage());
        throw new RateLimitedException("fee_cap", Duration.ofSeconds(12), e.getMessage());
      } catch (RuntimeException e) {
        store.abandon(id);
        throw e;
      }
      SendResult sent = sender.send(lane, a, "first");
      switch (sent.kind()) {
        case ACCEPTED, ALREADY_KNOWN -> {
          log.info(
              "settlement id={} broadcast tx={} signer {} accountNonce={}",
              id,
              a.txHash(),
              signer.index(),
              a.accountNonce());
          // on a fast chain the receipt is there already: finish it here when no pass runs
          if (!reconciler.finishFresh(lane, id)) {
            store.markBroadcast(id);
            reconciler.wake();
          }
          return new Prepared(id, null);
        }
        case UNKNOWN -> {
          log.warn(
              "settlement id={} tx={} broadcast indeterminate ({}): journaled, the reconciler re-sends it",
              id,
              a.txHash(),
              sent.message());
          return new Prepared(id, null);
        }
        case NONCE_TOO_LOW, UNDERPRICED -> {
          signer.nonces().unassign(a.accountNonce(), id);
          long pending = lane.chain().nonce(signer.address(), true);
          signer.nonces().resync(pending);
          lastProblem = sent.message();
          log.warn(
              "settlement id={} accountNonce={} taken ({}): resynced to {}, signing again",
              id,
              a.accountNonce(),
              sent.message(),
              signer.nonces().next());
        }
        case INSUFFICIENT_FUNDS -> {
          signer.nonces().release(a.accountNonce());
          store.abandon(id);
          reconciler.refreshBalanceQuietly(lane, signer);
          return fail(
              network,
              payer,
              ErrorReasons.UNEXPECTED_SETTLE_ERROR,
              "facilitator account "
                  + signer.address()
                  + " cannot pay gas on "
                  + network
                  + ": "
                  + sent.message());
        }
        default -> {
          signer.nonces().release(a.accountNonce());
          store.abandon(id);
          return fail(
              network,
              payer,
              ErrorReasons.UNEXPECTED_SETTLE_ERROR,
              "the node refused the settlement transaction: " + sent.message());
        }
      }
    }
    store.abandon(id);
    return fail(
        network,
        payer,
        ErrorReasons.UNEXPECTED_SETTLE_ERROR,
        "facilitator account nonce kept colliding: " + lastProblem);
  }

  /** Marks a calldata result that is a refusal reason instead ({@link #permit2Calldata}). */
  private static final String REFUSED = "refused:";

  /**
   * The exact proxy call for a verified Permit2 payment: {@code settleWithPermit} when the payment
   * carries an {@code eip2612GasSponsoring} permit (checked field by field first; a bad one gives
   * {@code REFUSED + reason}), else {@code settle}.
   */
  private String permit2Calldata(PaymentPayload payload, Permit2Payload pp, BigInteger uptoAmount) {
    Permit2Payload.Authorization a = pp.authorization();
    Permit2Payload.Authorization signed = a.withFacilitator(null);
    Eip2612GasSponsoring.Info info = Eip2612GasSponsoring.extract(payload);
    Permit2.Eip2612Permit permit = null;
    if (info != null) {
      String reason =
          ExactEvmVerifier.eip2612FieldReason(
              info, a.from(), a.token(), Math.floorDiv(clock.millis(), 1000L));
      if (reason != null) {
        return REFUSED + reason;
      }
      permit = ExactEvmVerifier.eip2612Permit(info);
    }
    if (uptoAmount != null) {
      return Permit2.uptoSettleCalldata(
          a, uptoAmount, ExactEvmVerifier.settleSignature(pp.signature()), permit);
    }
    return Permit2.exactSettleCalldata(
        signed, ExactEvmVerifier.settleSignature(pp.signature()), permit);
  }

  /**
   * The official {@code upto} verification against this facilitator's signers on the request's
   * network ({@code requirements.amount}: the maximum the payer signed).
   *
   * @throws IllegalArgumentException when the network is not configured here
   */
  public UptoEvmVerifier.Outcome verifyUpto(
      PaymentPayload payload, PaymentRequirements req, boolean simulate) {
    String n = laneNetwork(payload, req);
    NetworkLane lane = lanes.get(n);
    if (lane == null) {
      throw new IllegalArgumentException("network " + req.network() + " is not configured");
    }
    List<String> ours = lane.signers().stream().map(SignerAccount::address).toList();
    return uptoVerifiers.get(n).verify(payload, req, ours, simulate);
  }

  /**
   * An {@code upto} settlement of 0: nothing to move, so nothing is sent or journaled; success with
   * {@code amount: "0"} once the authorization verifies, as the official facilitator answers.
   */
  private SettleResponse settleNothing(
      NetworkLane lane, PaymentPayload payload, PaymentRequirements req, PaymentTerms ep) {
    UptoEvmVerifier.Outcome u;
    try {
      u = verifyUpto(payload, UptoTerms.atMaximum(req, ep), false);
    } catch (ChainAccess.ChainAccessException e) {
      throw new RpcUnavailableException("re-verification failed: " + e.getMessage(), e);
    }
    if (!u.isValid()) {
      return SettleResponse.failure(
          u.response().invalidReason(),
          u.response().invalidMessage(),
          "",
          req.network(),
          ep.payer());
    }
    return new SettleResponse(
        true, null, null, ep.payer(), "", req.network(), BigInteger.ZERO, Map.of());
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
      Optional<SettlementRecord> now = store.byId(r.id());
      if (now.isEmpty()) {
        throw new RpcUnavailableException(
            "settlement "
                + r.id()
                + " was dropped by the instance preparing it (nothing was sent); retry");
      }
      cur = now.get();
    }
    if (cur.state() == SettlementState.CLAIMED) {
      throw new RpcUnavailableException(
          "settlement " + r.id() + " is being prepared by another instance; retry");
    }
    return cur;
  }

  private void ensureReady(NetworkLane lane) {
    if (!lane.noncesInitialised()) {
      synchronized (lane) {
        if (!lane.noncesInitialised()) {
          reconciler.initNonces(lane);
        }
      }
    }
    if (lane.signers().stream().anyMatch(s -> s.balance() == null)) {
      reconciler.refreshBalance(lane);
    }
  }

  // --------------------------------------------------------------------------------------------------- answers

  /**
   * The answer for a journaled settlement: final now, or final within the receipt wait, or pending
   * with the hash.
   */
  public CompletableFuture<SettleResponse> answer(SettlementRecord r) {
    if (r.state().isFinal()) {
      return CompletableFuture.completedFuture(responseFor(r));
    }
    CompletableFuture<SettlementRecord> fin =
        finals.computeIfAbsent(r.id(), k -> new CompletableFuture<>());
    store
        .byId(r.id())
        .filter(x -> x.state().isFinal())
        .ifPresent(
            x -> {
              finals.remove(x.id(), fin);
              fin.complete(x);
            });
    if (leases != null && !ownRow(r)) {
      // another replica's settlement: its outcome is journaled there, so watch the journal
      long every = Math.max(100, options.pollInterval().toMillis());
      java.util.concurrent.ScheduledFuture<?> watch =
          timer.scheduleWithFixedDelay(
              () -> {
                try {
                  store
                      .byId(r.id())
                      .filter(x -> x.state().isFinal())
                      .ifPresent(
                          x -> {
                            finals.remove(x.id(), fin);
                            fin.complete(x);
                          });
                } catch (RuntimeException e) {
                  log.debug("watching settlement {}: {}", r.id(), e.toString());
                }
              },
              every,
              every,
              TimeUnit.MILLISECONDS);
      fin.whenComplete((x, e) -> watch.cancel(false));
      timer.schedule(
          () -> watch.cancel(false), options.receiptWait().toMillis(), TimeUnit.MILLISECONDS);
    }
    CompletableFuture<SettleResponse> out = fin.thenApply(this::responseFor);
    timer.schedule(
        () -> {
          if (!out.isDone()) {
            SettlementRecord now = store.byId(r.id()).orElse(r);
            out.complete(responseFor(now));
          }
        },
        options.receiptWait().toMillis(),
        TimeUnit.MILLISECONDS);
    return out;
  }

  /**
   * The network a request settles on: its lane's CAIP-2 id (a v1 request names it by its legacy
   * name, e.g. {@code base-sepolia}).
   */
  public static String laneNetwork(PaymentPayload payload, PaymentRequirements req) {
    return Networks.canonical(payload.x402Version(), req.network());
  }

  /** The settle response a journal row stands for. */
  public SettleResponse responseFor(SettlementRecord r) {
    String payer = checksum(r);
    // the network as the claiming request named it (a v1 name for a v1 request, as the official
    // v1 facilitator answers), else the journal key's CAIP-2 id
    JsonNode asSent = r.request().path("paymentRequirements").path("network");
    String network = asSent.isTextual() ? asSent.textValue() : r.key().network();
    SettleResponse base;
    if (r.state() == SettlementState.SETTLED) {
      base = SettleResponse.success(r.txHash(), network, payer);
      if (UptoTerms.isUpto(r)) {
        // upto reports what it actually charged, as the official facilitator does
        base =
            new SettleResponse(
                true, null, null, payer, r.txHash(), network, r.amount(), base.other());
      }
    } else if (r.state() == SettlementState.FAILED) {
      base = SettleResponse.failure(r.errorReason(), r.errorMessage(), r.txHash(), network, payer);
    } else {
      String tx = r.txHash() == null ? "" : r.txHash();
      base =
          SettleResponse.failure(
              ErrorReasons.SETTLEMENT_PENDING,
              "transaction "
                  + tx
                  + " broadcast, not yet mined; settle again or GET /settlements/"
                  + tx
                  + " for the outcome",
              tx,
              network,
              payer);
    }
    if (r.receipt() == null) {
      return base;
    }
    ObjectNode ext = Wire.newObject();
    ext.set(ReceiptIssuer.EXTENSION_KEY, r.receipt());
    Map<String, JsonNode> other = new LinkedHashMap<>(base.other());
    other.put("extensions", ext);
    return new SettleResponse(
        base.success(),
        base.errorReason(),
        base.errorMessage(),
        base.payer(),
        base.transaction(),
        base.network(),
        base.amount(),
        other);
  }

  /** The payer as the request spelled it (the journal keeps lower case). */
  private static String checksum(SettlementRecord r) {
    JsonNode from = PaymentTerms.payerNode(r.request().path("paymentPayload").path("payload"));
    return from.isTextual() ? from.textValue() : r.key().payer();
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
