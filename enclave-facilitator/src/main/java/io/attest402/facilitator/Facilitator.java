package io.attest402.facilitator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.anchor.IntegrityGuard;
import io.attest402.facilitator.anchor.ReceiptAnchorer;
import io.attest402.facilitator.chain.RpcUnavailableException;
import io.attest402.facilitator.chain.RpcUrls;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.chain.Web3jSettlementChain;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.NetworkLane;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementEngine;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.BatchingChainAccess;
import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.web3j.protocol.Web3j;

/**
 * The facilitator without its HTTP layer: request decoding and routing, verification through
 * x402-core's {@link ExactEvmVerifier} (the official logic, order and reason strings), settlement
 * through the {@link SettlementEngine}, and the status and receipt lookups. Blocking methods say
 * so; the HTTP layer runs them on worker threads.
 */
public final class Facilitator implements AutoCloseable {
  /** The x402 version this facilitator serves. */
  public static final int X402_VERSION = 2;

  public static final String SCHEME = "exact";

  private final NetworksConfig networks;
  private final SettlementEngine engine;
  private final EnclaveKey key;
  private final FacilitatorMetrics metrics;
  private final Clock clock;
  private final List<AutoCloseable> resources;
  // Receipt-chain integrity (anchors on chain): off unless the node wires a guard in.
  private volatile IntegrityGuard integrity = IntegrityGuard.off("no receipt anchoring configured");
  private volatile ReceiptAnchorer anchorer;

  private Facilitator(
      NetworksConfig networks,
      SettlementEngine engine,
      EnclaveKey key,
      FacilitatorMetrics metrics,
      Clock clock,
      List<AutoCloseable> resources) {
    this.networks = networks;
    this.engine = engine;
    this.key = key;
    this.metrics = metrics;
    this.clock = clock;
    this.resources = resources;
  }

  /**
   * Builds a facilitator over web3j clients (one per network, every call bounded by the RPC
   * timeout). Call {@link #start()} before serving.
   *
   * @param key the settlement account and receipt key; the TEE identity provides it in production
   * @param store the settlement journal (closed with the facilitator)
   */
  public static Facilitator create(
      NetworksConfig networks,
      EnclaveKey key,
      SettlementStore store,
      Clock clock,
      FacilitatorOptions options,
      ReceiptIssuer issuer,
      FacilitatorMetrics metrics) {
    List<NetworkLane> lanes = new ArrayList<>();
    List<AutoCloseable> resources = new ArrayList<>();
    ExecutorService assetChecks =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "asset-check");
              t.setDaemon(true);
              return t;
            });
    resources.add(assetChecks::shutdownNow);
    for (NetworkConfig n : networks.networks()) {
      List<String> urls = n.allRpcUrls();
      for (int i = 0; i < urls.size(); i++) {
        RpcUrls.requireSecure(urls.get(i), "RPC URL #" + (i + 1) + " of " + n.network());
      }
      Web3j web3j = Web3jSettlementChain.boundedWeb3j(n.rpcUrl(), options.rpcTimeout());
      Web3jSettlementChain chain =
          new Web3jSettlementChain(web3j, n.chainId(), n.rpcUrl(), n.network() + " rpc #1");
      resources.add(chain);
      List<SettlementChain> witnesses = new ArrayList<>();
      for (int i = 1; i < urls.size(); i++) {
        Web3jSettlementChain w =
            new Web3jSettlementChain(
                Web3jSettlementChain.boundedWeb3j(urls.get(i), options.rpcTimeout()),
                n.chainId(),
                urls.get(i),
                n.network() + " rpc #" + (i + 1));
        resources.add(w);
        witnesses.add(w);
      }
      ExactEvmVerifier.Config vc =
          ExactEvmVerifier.Config.defaults()
              .withAllowedFactories(options.eip6492AllowedFactories())
              .withAssetCheckExecutor(assetChecks);
      // every eth_call of verification (ERC-1271, simulation) runs within the settlement gas cap
      Web3jChainAccess reads =
          new Web3jChainAccess(
              web3j, java.math.BigInteger.valueOf(options.limits().maxGasPerSettlement()));
      // concurrent verifications share one isolated batch eth_call per window (same answers)
      ExactEvmVerifier verifier =
          new ExactEvmVerifier(
              options.verifyBatchWindow().isZero()
                  ? reads
                  : new BatchingChainAccess(reads, options.verifyBatchWindow(), 32),
              clock,
              vc);
      lanes.add(new NetworkLane(n, chain, witnesses, verifier, clock));
    }
    SettlementEngine engine =
        new SettlementEngine(lanes, store, key, clock, options, issuer, metrics);
    resources.add(store);
    return new Facilitator(networks, engine, key, metrics, clock, resources);
  }

  /** Recovers the journal against the chains and starts reconciling. */
  public void start() {
    engine.start();
  }

  public String address() {
    return key.address();
  }

  /**
   * Receipt anchoring: while {@code guard} refuses, verify and settle answer 503 with its reason
   * and {@code /health} says why; {@code anchorer} (may be null) is closed after the engine and
   * before the chain clients, so its final anchor covers the last journaled outcome.
   */
  public void useIntegrity(IntegrityGuard guard, ReceiptAnchorer anchorer) {
    this.integrity = guard;
    this.anchorer = anchorer;
    if (anchorer != null) {
      resources.add(0, anchorer);
    }
  }

  public IntegrityGuard integrity() {
    return integrity;
  }

  public EnclaveKey key() {
    return key;
  }

  public SettlementEngine engine() {
    return engine;
  }

  public FacilitatorMetrics metrics() {
    return metrics;
  }

  /** The API keys of /verify and /settle (none: open). */
  public ApiKeys apiKeys() {
    return engine.limits().apiKeys();
  }

  public NetworksConfig networks() {
    return networks;
  }

  public Clock clock() {
    return clock;
  }

  // ------------------------------------------------------------------------------------------------ decoding

  /**
   * Decodes and routes a {@code /verify} or {@code /settle} body.
   *
   * @throws RequestException with the precise problem (400) when it is not valid JSON, not an x402
   *     request, or for a version, scheme, network or asset not served here
   */
  public FacilitatorRequest decode(String body) {
    FacilitatorRequest req;
    try {
      req = FacilitatorRequest.fromJson(X402Json.parse(body));
    } catch (X402FormatException e) {
      throw new RequestException(400, reasonFor(e), describe(e));
    }
    route(req);
    return req;
  }

  private static String describe(X402FormatException e) {
    String p = e.path();
    return p == null || p.isEmpty() ? e.problem() : p + ": " + e.problem();
  }

  private static String reasonFor(X402FormatException e) {
    String p = e.path() == null ? "" : e.path();
    if (p.endsWith("x402Version") && !p.contains("accepted")) {
      return ErrorReasons.INVALID_X402_VERSION;
    }
    if (p.startsWith("paymentRequirements")) {
      return ErrorReasons.INVALID_PAYMENT_REQUIREMENTS;
    }
    return ErrorReasons.INVALID_PAYLOAD;
  }

  private void route(FacilitatorRequest req) {
    int v = req.paymentPayload().x402Version();
    if (v != X402_VERSION) {
      throw new RequestException(
          400,
          ErrorReasons.INVALID_X402_VERSION,
          "x402Version " + v + " is not served here (supported: " + X402_VERSION + ")");
    }
    String scheme = req.paymentRequirements().scheme();
    if (!SCHEME.equals(scheme)) {
      throw new RequestException(
          400,
          ErrorReasons.UNSUPPORTED_SCHEME,
          "scheme \""
              + Wire.abbreviate(scheme)
              + "\" is not supported (supported: "
              + SCHEME
              + ")");
    }
    String network = req.paymentRequirements().network();
    NetworkConfig n = networks.network(network);
    if (n == null) {
      throw new RequestException(
          400,
          ErrorReasons.INVALID_NETWORK,
          "network \""
              + Wire.abbreviate(network)
              + "\" is not configured on this facilitator (configured: "
              + String.join(", ", networks.names())
              + ")");
    }
    String asset = req.paymentRequirements().asset();
    if (n.asset(asset).isEmpty()) {
      throw new RequestException(
          400,
          ErrorReasons.INVALID_PAYMENT_REQUIREMENTS,
          "asset "
              + Wire.abbreviate(asset)
              + " is not accepted on "
              + network
              + " (accepted: "
              + n.assets().stream().map(AssetConfig::address).collect(Collectors.joining(", "))
              + ")");
    }
  }

  // ------------------------------------------------------------------------------------------------ verify/settle

  /**
   * Verifies as the official facilitator does (with simulation). Blocking.
   *
   * @throws RequestException 400 for requirements or payloads the official code would throw on
   * @throws RpcUnavailableException when the node cannot answer
   */
  public VerifyResponse verify(FacilitatorRequest req) {
    integrity.requireIntact(ErrorReasons.UNEXPECTED_VERIFY_ERROR);
    NetworkLane lane = engine.lane(req.paymentRequirements().network());
    try {
      var refused = engine.policyRefusal(req.paymentPayload(), req.paymentRequirements());
      if (refused.isPresent()) {
        JsonNode from = req.paymentPayload().payload().path("authorization").path("from");
        return VerifyResponse.invalid(refused.get()[0], from.isTextual() ? from.textValue() : null)
            .withInvalidMessage(refused.get()[1]);
      }
      return lane.verifier().verify(req.paymentPayload(), req.paymentRequirements());
    } catch (ChainAccess.ChainAccessException e) {
      throw new RpcUnavailableException(lane.network() + " RPC: " + redact(e.getMessage()), e);
    } catch (X402FormatException e) {
      throw new RequestException(400, ErrorReasons.INVALID_PAYLOAD, describe(e));
    } catch (IllegalArgumentException e) {
      throw new RequestException(
          400, ErrorReasons.INVALID_PAYMENT_REQUIREMENTS, String.valueOf(e.getMessage()));
    }
  }

  /**
   * Settles; blocks while preparing, then the future completes within the receipt wait.
   *
   * @throws RequestException 400 for payloads that are not EIP-3009 payloads
   * @throws RpcUnavailableException when the node cannot answer before anything was broadcast
   */
  public CompletableFuture<SettleResponse> settle(FacilitatorRequest req) {
    return settle(req, null);
  }

  /**
   * Settles a request that carried {@code idempotencyKey} (null: none): a retry gets the first
   * request's outcome only with the same key (see {@link
   * SettlementEngine#settle(io.attest402.x402.types.PaymentPayload,
   * io.attest402.x402.types.PaymentRequirements, String)}).
   */
  public CompletableFuture<SettleResponse> settle(FacilitatorRequest req, String idempotencyKey) {
    integrity.requireIntact(ErrorReasons.UNEXPECTED_SETTLE_ERROR);
    try {
      return engine.settle(req.paymentPayload(), req.paymentRequirements(), idempotencyKey);
    } catch (X402FormatException e) {
      throw new RequestException(400, ErrorReasons.INVALID_PAYLOAD, describe(e));
    } catch (IllegalArgumentException e) {
      throw new RequestException(
          400, ErrorReasons.INVALID_PAYMENT_REQUIREMENTS, String.valueOf(e.getMessage()));
    }
  }

  // ------------------------------------------------------------------------------------------------ lookups

  /**
   * {@code GET /supported}: one v2 exact kind per configured network, and the settlement account as
   * signer.
   */
  public SupportedResponse supported() {
    List<SupportedResponse.Kind> kinds =
        networks.networks().stream()
            .map(n -> new SupportedResponse.Kind(X402_VERSION, SCHEME, n.network(), null))
            .toList();
    return new SupportedResponse(
        kinds, List.of(), Map.of("eip155:*", List.of(key.address())), Map.of());
  }

  /** {@code GET /settlements/{id}} by authorization nonce or transaction hash. */
  public List<SettlementRecord> settlements(String hex32) {
    return engine.find(hex32);
  }

  /** The status document of a journal row. */
  public ObjectNode statusOf(SettlementRecord r) {
    ObjectNode o = Wire.newObject();
    o.put("id", r.id());
    o.put("status", r.state().status());
    o.put("state", r.state().name());
    o.put("network", r.key().network());
    o.put("asset", r.key().asset());
    o.put("payer", r.key().payer());
    o.put("payTo", r.payTo());
    o.put("amount", r.amount().toString());
    o.put("authorizationNonce", r.key().nonce());
    o.put("transaction", r.txHash() == null ? "" : r.txHash());
    if (r.blockNumber() != null) {
      o.put("blockNumber", r.blockNumber());
    }
    if (r.errorReason() != null) {
      o.put("errorReason", r.errorReason());
    }
    if (r.errorMessage() != null) {
      o.put("errorMessage", r.errorMessage());
    }
    if (r.outcomeSeq() != null) {
      o.put("sequence", r.outcomeSeq());
    }
    ArrayNode txs = o.putArray("transactions");
    r.attempts()
        .forEach(
            a -> {
              ObjectNode t = txs.addObject();
              t.put("hash", a.txHash());
              t.put("accountNonce", a.accountNonce());
              t.put("maxFeePerGas", a.maxFeePerGas().toString());
              t.put("sentAt", a.createdAt().toString());
            });
    o.put("createdAt", r.createdAt().toString());
    o.put("updatedAt", r.updatedAt().toString());
    if (r.receipt() != null) {
      o.set("receipt", r.receipt());
    }
    o.set("settleResponse", engine.responseFor(r).toJson());
    return o;
  }

  public List<SettlementStore.ReceiptEntry> receipts(long from, int limit) {
    return engine.store().receiptsFrom(from, limit);
  }

  /**
   * {@code GET /health}: per network whether the RPC answers, the account balance, nonces,
   * settlements in flight.
   */
  public ObjectNode health() {
    ObjectNode o = Wire.newObject();
    boolean allUp = true;
    o.put("address", key.address());
    ArrayNode arr = o.putArray("networks");
    for (NetworkLane lane : engine.lanes()) {
      ObjectNode n = arr.addObject();
      n.put("network", lane.network());
      n.put("rpc", lane.rpcUp() ? "up" : "down");
      if (!lane.rpcUp()) {
        n.put("rpcError", redact(lane.rpcError()));
        allUp = false;
      }
      n.put("balanceWei", lane.balance() == null ? "unknown" : lane.balance().toString());
      n.put("canSettle", lane.balance() != null && lane.balance().signum() > 0);
      n.put("nextAccountNonce", lane.nonces().initialised() ? lane.nonces().next() : -1);
      ArrayNode assets = n.putArray("assets");
      lane.config()
          .assets()
          .forEach(
              a ->
                  assets
                      .addObject()
                      .put("address", a.address())
                      .put("name", a.name())
                      .put("version", a.version()));
    }
    int pending = engine.store().inFlight().size();
    o.put("pendingSettlements", pending);
    ObjectNode anchor = o.putObject("anchor");
    integrity.describe(anchor);
    ReceiptAnchorer a = anchorer;
    if (a != null) {
      a.describe(anchor);
    }
    o.put("status", integrity.refusal().isPresent() ? "halted" : allUp ? "ok" : "degraded");
    integrity.refusal().ifPresent(r -> o.put("reason", "facilitator halted: " + r));
    o.put("time", clock.instant().toString());
    return o;
  }

  /** {@code message} without any configured RPC URL or its host (they often carry API keys). */
  public String redact(String message) {
    String m = RpcUrls.redact(message);
    for (NetworkConfig n : networks.networks()) {
      for (String u : n.allRpcUrls()) {
        m = RpcUrls.redact(m, u);
      }
    }
    return m;
  }

  /**
   * Graceful: settlements being prepared finish, in-flight ones get the grace period, then
   * everything closes.
   */
  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception ignored) {
          // closing anyway
        }
      }
    }
  }
}
