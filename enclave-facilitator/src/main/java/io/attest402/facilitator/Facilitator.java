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
import io.attest402.facilitator.credential.CredentialIssuer;
import io.attest402.facilitator.credential.CredentialOptions;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.NetworkLane;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SettlementEngine;
import io.attest402.facilitator.settle.SettlementRecord;
import io.attest402.facilitator.settle.SignerAccount;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.BatchingChainAccess;
import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Networks;
import io.attest402.x402.evm.UptoEvmVerifier;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  /**
   * The legacy version also served, as the official facilitator serves it when v1 is registered:
   * legacy network names, {@code maxAmountRequired}, the v1 exact verification.
   */
  public static final int X402_VERSION_1 = 1;

  public static final String SCHEME = "exact";

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Facilitator.class);

  private final NetworksConfig networks;
  private final SettlementEngine engine;
  private final EnclaveKey key;
  private final FacilitatorMetrics metrics;
  private final Clock clock;
  private final List<AutoCloseable> resources;
  private final boolean issuesReceipts;
  // Receipt-chain integrity (anchors on chain): off unless the node wires a guard in.
  private volatile IntegrityGuard integrity = IntegrityGuard.off("no receipt anchoring configured");
  private volatile ReceiptAnchorer anchorer;
  private volatile CredentialIssuer credentials;
  private final io.attest402.facilitator.discovery.DiscoveryCatalog discovery;

  private Facilitator(
      NetworksConfig networks,
      SettlementEngine engine,
      EnclaveKey key,
      FacilitatorMetrics metrics,
      Clock clock,
      List<AutoCloseable> resources,
      boolean issuesReceipts) {
    this.issuesReceipts = issuesReceipts;
    this.networks = networks;
    this.engine = engine;
    this.key = key;
    this.metrics = metrics;
    this.clock = clock;
    this.resources = resources;
    this.credentials = credentialIssuer(CredentialOptions.defaults());
    this.discovery = new io.attest402.facilitator.discovery.DiscoveryCatalog(engine.store(), clock);
  }

  /** The bazaar catalog of resources this facilitator settled for. */
  public io.attest402.facilitator.discovery.DiscoveryCatalog discovery() {
    return discovery;
  }

  private CredentialIssuer credentialIssuer(CredentialOptions o) {
    return new CredentialIssuer(
        networks, n -> engine.lane(n).chain(), engine.store(), key, clock, o);
  }

  /** Sets the payer-settled path's confirmations and credential lifetime (before serving). */
  public void useCredentialOptions(CredentialOptions o) {
    this.credentials = credentialIssuer(o);
  }

  public CredentialIssuer credentials() {
    return credentials;
  }

  /**
   * {@code POST /credentials}: refused while the journal's integrity is in doubt (a restored
   * journal could credit one transfer twice).
   */
  public ObjectNode issueCredential(String body) {
    integrity.requireIntact("facilitator_halted");
    return credentials.issue(body);
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
    return create(networks, List.of(key), store, clock, options, issuer, metrics);
  }

  /**
   * {@link #create(NetworksConfig, EnclaveKey, SettlementStore, Clock, FacilitatorOptions,
   * ReceiptIssuer, FacilitatorMetrics)} with several settlement signers ({@code --signers N}):
   * {@code signers.get(0)} is the identity key (receipts, credentials, anchors, registration), and
   * settlements are spread over all of them by load.
   */
  public static Facilitator create(
      NetworksConfig networks,
      List<EnclaveKey> signers,
      SettlementStore store,
      Clock clock,
      FacilitatorOptions options,
      ReceiptIssuer issuer,
      FacilitatorMetrics metrics) {
    EnclaveKey key = signers.get(0);
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
      lanes.add(new NetworkLane(n, chain, witnesses, verifier, signers, clock));
    }
    SettlementEngine engine =
        new SettlementEngine(lanes, store, key, clock, options, issuer, metrics);
    resources.add(store);
    return new Facilitator(
        networks, engine, key, metrics, clock, resources, issuer != ReceiptIssuer.NONE);
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
    if (v != X402_VERSION && v != X402_VERSION_1) {
      throw new RequestException(
          400,
          ErrorReasons.INVALID_X402_VERSION,
          "x402Version "
              + v
              + " is not served here (supported: "
              + X402_VERSION_1
              + ", "
              + X402_VERSION
              + ")");
    }
    String scheme = req.paymentRequirements().scheme();
    boolean upto = UptoEvmVerifier.SCHEME.equals(scheme) && v == X402_VERSION;
    if (!SCHEME.equals(scheme) && !upto) {
      throw new RequestException(
          400,
          ErrorReasons.UNSUPPORTED_SCHEME,
          "scheme \""
              + Wire.abbreviate(scheme)
              + "\" is not supported for x402 v"
              + v
              + " (supported: "
              + (v == X402_VERSION ? SCHEME + ", " + UptoEvmVerifier.SCHEME : SCHEME)
              + ")");
    }
    String network = req.paymentRequirements().network();
    // v1 names its networks by the official legacy names (base-sepolia); a v1 request naming a
    // CAIP-2 id matches no registered v1 kind at the official facilitator either
    boolean v1Name = v != X402_VERSION_1 || Networks.V1_CHAIN_IDS.containsKey(network);
    NetworkConfig n = v1Name ? networks.network(Networks.canonical(v, network)) : null;
    if (n == null) {
      List<String> served =
          v == X402_VERSION_1
              ? networks.names().stream().flatMap(c -> Networks.v1Name(c).stream()).toList()
              : networks.names();
      throw new RequestException(
          400,
          ErrorReasons.INVALID_NETWORK,
          "network \""
              + Wire.abbreviate(network)
              + "\" is not configured on this facilitator for x402 v"
              + v
              + " (configured: "
              + (served.isEmpty() ? "none" : String.join(", ", served))
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
    String paymentId = paymentIdentifier(req, false);
    if (paymentId != null) {
      Optional<VerifyResponse> stored = settledWithId(req, paymentId);
      if (stored.isPresent()) {
        return stored.get();
      }
    }
    NetworkLane lane =
        engine.lane(SettlementEngine.laneNetwork(req.paymentPayload(), req.paymentRequirements()));
    try {
      var refused = engine.policyRefusal(req.paymentPayload(), req.paymentRequirements());
      if (refused.isPresent()) {
        JsonNode payload = req.paymentPayload().payload();
        JsonNode from =
            (payload.has("permit2Authorization")
                    ? payload.path("permit2Authorization")
                    : payload.path("authorization"))
                .path("from");
        return VerifyResponse.invalid(refused.get()[0], from.isTextual() ? from.textValue() : null)
            .withInvalidMessage(refused.get()[1]);
      }
      if (UptoEvmVerifier.SCHEME.equals(req.paymentRequirements().scheme())) {
        return engine.verifyUpto(req.paymentPayload(), req.paymentRequirements(), true).response();
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
    String paymentId = paymentIdentifier(req, true);
    // a payment id stands in for an Idempotency-Key header: its retry gets the stored outcome
    String key =
        idempotencyKey != null || paymentId == null
            ? idempotencyKey
            : PaymentIdentifier.KEY + ":" + paymentId;
    try {
      return engine
          .settle(req.paymentPayload(), req.paymentRequirements(), key)
          .thenApply(
              resp -> {
                if (resp.success()) {
                  catalog(req);
                }
                return resp;
              });
    } catch (X402FormatException e) {
      throw new RequestException(400, ErrorReasons.INVALID_PAYLOAD, describe(e));
    } catch (IllegalArgumentException e) {
      throw new RequestException(
          400, ErrorReasons.INVALID_PAYMENT_REQUIREMENTS, String.valueOf(e.getMessage()));
    }
  }

  /** Lists a settled resource that declared {@code bazaar}; never fails the settlement. */
  private void catalog(FacilitatorRequest req) {
    try {
      discovery.settled(req.paymentPayload(), req.paymentRequirements());
    } catch (RuntimeException e) {
      log.warn("cannot catalog a settled resource: {}", e.toString());
    }
  }

  /**
   * The {@code payment-identifier} extension of a v2 payment (spec semantics): a malformed id, or
   * none when the declaration says {@code required: true}, is 400; an id already bound to a
   * different request is 409; {@code bind} (settle) binds a new id to this request durably in the
   * journal, verify only checks.
   *
   * @return the id, or null when the payment carries none
   */
  private String paymentIdentifier(FacilitatorRequest req, boolean bind) {
    PaymentPayload p = req.paymentPayload();
    PaymentIdentifier.Extracted e = PaymentIdentifier.extract(p);
    if (e.problem() != null) {
      throw new RequestException(
          400,
          ErrorReasons.INVALID_PAYLOAD,
          "paymentPayload.extensions." + PaymentIdentifier.KEY + ".info.id: " + e.problem());
    }
    if (!e.present()) {
      if (PaymentIdentifier.isRequired(p.extensions())) {
        throw new RequestException(
            400,
            ErrorReasons.INVALID_PAYLOAD,
            "the "
                + PaymentIdentifier.KEY
                + " extension is declared required (info.required: true) but the payment"
                + " carries no info.id");
      }
      return null;
    }
    String idHash = sha256(PaymentIdentifier.KEY + "\0" + e.id());
    String fingerprint = sha256(X402Json.write(req.toJson()));
    Optional<String> bound =
        bind
            ? engine.store().bindPaymentId(idHash, fingerprint)
            : engine.store().paymentIdBinding(idHash);
    if (bound.isPresent() && !bound.get().equals(fingerprint)) {
      throw new RequestException(
          409,
          ErrorReasons.INVALID_PAYLOAD,
          "payment-identifier "
              + e.id()
              + " was already used with a different payment; a retry must repeat the same"
              + " payment, a new payment needs a new id");
    }
    return e.id();
  }

  /**
   * Same id and same payment as a settlement that succeeded: the answer /verify gave that payment
   * (valid), not the used nonce it now finds, so a resource server's retry after a lost response
   * reaches /settle and gets the stored outcome (the spec's "same id + same payload: the cached
   * response"). The id is bound, at settle, to a hash of the whole request, nonce included.
   */
  private Optional<VerifyResponse> settledWithId(FacilitatorRequest req, String paymentId) {
    String idHash = sha256(PaymentIdentifier.KEY + "\0" + paymentId);
    String fingerprint = sha256(X402Json.write(req.toJson()));
    if (!engine.store().paymentIdBinding(idHash).map(fingerprint::equals).orElse(false)) {
      return Optional.empty();
    }
    JsonNode auth = req.paymentPayload().payload().path("authorization");
    JsonNode nonce = auth.path("nonce");
    JsonNode from = auth.path("from");
    if (!nonce.isTextual() || !from.isTextual()) {
      return Optional.empty();
    }
    return engine.find(nonce.textValue().toLowerCase(java.util.Locale.ROOT)).stream()
        .filter(r -> r.state() == io.attest402.facilitator.settle.SettlementState.SETTLED)
        .filter(r -> r.key().payer().equalsIgnoreCase(from.textValue()))
        .findFirst()
        .map(r -> VerifyResponse.valid(from.textValue()));
  }

  private static String sha256(String s) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------------------------------------ lookups

  /**
   * {@code GET /supported} as the official facilitator builds it: a v2 {@code exact} kind per
   * configured network, then a v1 kind under the legacy name of each network that has one; the
   * extensions this facilitator implements; the settling addresses by CAIP family ({@code
   * eip155:*}), from {@link #signers(NetworkConfig)}.
   */
  public SupportedResponse supported() {
    List<SupportedResponse.Kind> kinds = new ArrayList<>();
    Map<String, List<String>> signers = new LinkedHashMap<>();
    for (NetworkConfig n : networks.networks()) {
      kinds.add(new SupportedResponse.Kind(X402_VERSION, SCHEME, n.network(), null));
      List<String> family = signers.computeIfAbsent(EVM_FAMILY, f -> new ArrayList<>());
      signers(n).stream().filter(a -> !family.contains(a)).forEach(family::add);
    }
    for (NetworkConfig n : networks.networks()) {
      kinds.add(
          new SupportedResponse.Kind(
              X402_VERSION, UptoEvmVerifier.SCHEME, n.network(), uptoExtra(n)));
    }
    for (NetworkConfig n : networks.networks()) {
      Networks.v1Name(n.network())
          .ifPresent(
              name -> kinds.add(new SupportedResponse.Kind(X402_VERSION_1, SCHEME, name, null)));
    }
    return new SupportedResponse(kinds, extensions(), signers, Map.of());
  }

  /**
   * The {@code upto} kind's {@code extra}: {@code facilitatorAddress}, the signer a payer binds its
   * authorization to (the official scheme picks one of its signers at random; this picks the least
   * loaded one, so upto payments spread over the signers as exact ones do).
   */
  private ObjectNode uptoExtra(NetworkConfig n) {
    NetworkLane lane = engine.lane(n.network());
    String address =
        lane == null
            ? key.address()
            : lane.signers().stream()
                .min(java.util.Comparator.comparingInt(SignerAccount::load))
                .map(SignerAccount::address)
                .orElse(key.address());
    ObjectNode extra = Wire.newObject();
    extra.put("facilitatorAddress", address);
    return extra;
  }

  /** The CAIP family every EVM kind's signers are listed under, as the official EVM schemes do. */
  public static final String EVM_FAMILY = "eip155:*";

  /**
   * The addresses that send settlements on {@code network}: every attested signer, in order (the
   * first is the identity key).
   */
  public List<String> signers(NetworkConfig network) {
    NetworkLane lane = engine.lane(network.network());
    return lane == null
        ? List.of(key.address())
        : lane.signers().stream().map(SignerAccount::address).toList();
  }

  /**
   * The extension keys this facilitator implements: its signed receipt (when it issues receipts),
   * {@code payment-identifier}, {@code eip2612GasSponsoring} and {@code erc20ApprovalGasSponsoring}
   * (Permit2 payments) and {@code bazaar} (its catalog at {@code GET /discovery/resources}).
   */
  public List<String> extensions() {
    List<String> e = new ArrayList<>();
    if (issuesReceipts) {
      e.add(ReceiptIssuer.EXTENSION_KEY);
    }
    e.add(PaymentIdentifier.KEY);
    e.add(io.attest402.x402.extensions.Eip2612GasSponsoring.KEY);
    e.add(io.attest402.x402.extensions.Erc20ApprovalGasSponsoring.KEY);
    e.add(io.attest402.x402.extensions.Bazaar.KEY);
    return e;
  }

  /** {@code GET /settlements/{id}} by authorization nonce or transaction hash. */
  public List<SettlementRecord> settlements(String hex32) {
    return engine.find(hex32);
  }

  /**
   * {@code GET /settlements/{id}}: to anyone who knows the authorization nonce or a transaction
   * hash, what the chain and {@code /receipts} show anyway (status, transactions, block, reason,
   * the signed receipt); who paid whom how much, the error message and the settle response only to
   * the caller presenting the claiming request's {@code Idempotency-Key} ({@code idempotencyKey},
   * null: none).
   */
  public ObjectNode statusOf(SettlementRecord r, String idempotencyKey) {
    boolean claimant = SettlementEngine.claimedWith(r, idempotencyKey);
    ObjectNode o = Wire.newObject();
    o.put("id", r.id());
    o.put("status", r.state().status());
    o.put("state", r.state().name());
    o.put("network", r.key().network());
    if (claimant) {
      o.put("asset", r.key().asset());
      o.put("payer", r.key().payer());
      o.put("payTo", r.payTo());
      o.put("amount", r.amount().toString());
      o.put("authorizationNonce", r.key().nonce());
    }
    o.put("transaction", r.txHash() == null ? "" : r.txHash());
    if (r.blockNumber() != null) {
      o.put("blockNumber", r.blockNumber());
    }
    if (r.errorReason() != null) {
      o.put("errorReason", r.errorReason());
    }
    if (claimant && r.errorMessage() != null) {
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
    if (claimant) {
      o.set("settleResponse", engine.responseFor(r).toJson());
    }
    return o;
  }

  public List<SettlementStore.ReceiptEntry> receipts(long from, int limit) {
    return engine.store().receiptsFrom(from, limit);
  }

  /**
   * Settlements in flight that are this facilitator's: on a journal shared by replicas, the rows
   * claimed by its own signers (another replica's rows are that replica's, or counted by whoever
   * takes them over); on its own journal, every row.
   */
  private long pendingOwn() {
    List<SettlementRecord> rows = engine.store().inFlight();
    if (!(engine.store() instanceof io.attest402.facilitator.store.LeaseStore ls)
        || ls.leaseTtl().isEmpty()) {
      return rows.size();
    }
    java.util.Set<String> own = new java.util.HashSet<>();
    for (NetworkLane lane : engine.lanes()) {
      lane.signers()
          .forEach(
              s -> own.add(lane.network() + " " + s.address().toLowerCase(java.util.Locale.ROOT)));
    }
    return rows.stream()
        .filter(
            r ->
                r.account() != null
                    && own.contains(
                        r.key().network() + " " + r.account().toLowerCase(java.util.Locale.ROOT)))
        .count();
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
      n.put(
          "canSettle",
          lane.signers().stream().anyMatch(s -> s.balance() != null && s.balance().signum() > 0));
      n.put("nextAccountNonce", lane.nonces().initialised() ? lane.nonces().next() : -1);
      // signer 1 is the fields above; each signer by index (its address is in /supported)
      ArrayNode signers = n.putArray("signers");
      for (SignerAccount s : lane.signers()) {
        ObjectNode so = signers.addObject();
        so.put("signer", s.index());
        so.put("address", s.address());
        so.put("balanceWei", s.balance() == null ? "unknown" : s.balance().toString());
        so.put("canSettle", s.balance() != null && s.balance().signum() > 0);
        so.put("nextAccountNonce", s.nonces().initialised() ? s.nonces().next() : -1);
        so.put("inFlight", s.load());
      }
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
    o.put("pendingSettlements", pendingOwn());
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
