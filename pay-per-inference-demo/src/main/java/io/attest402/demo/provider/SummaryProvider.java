package io.attest402.demo.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Deployment;
import io.attest402.demo.summary.DocumentText;
import io.attest402.demo.summary.SummarizerException;
import io.attest402.demo.summary.Summary;
import io.attest402.demo.summary.Work;
import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.facilitator.AuthorizationState;
import io.attest402.x402.facilitator.FailoverFacilitatorClient;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.Payment;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.SupportedResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * The document-summary provider: sells summaries per request through x402, priced by document size,
 * settled through an attested facilitator, and registered in ERC-8004 with its registration file
 * served from {@code /.well-known/agent-registration.json}.
 *
 * <p>Routes: {@code GET /} (web page), {@code GET /config.json}, {@code POST /quote} (free price
 * preview), {@code POST /summarize} (paid), {@code GET /trust} (the facilitator's attestation, as
 * this provider checks it), {@code GET /facilitators} (each facilitator's health and counters),
 * {@code GET /metrics} (the same per facilitator in Prometheus form), {@code GET
 * /.well-known/agent-registration.json}, {@code GET /health}.
 *
 * <p>With more than one facilitator configured it settles through a {@link
 * FailoverFacilitatorClient}: each is checked at start and every 30 s ({@code /health}, its
 * attestation under this provider's policy, and its ERC-8004 identity: {@link
 * Erc8004FacilitatorIdentity}), the 402 names the first healthy one as {@code facilitator} and
 * lists all in {@code facilitators}, and the chain is asked whether an authorization is used before
 * a settle with a lost answer moves to the next one.
 *
 * <p>One payment buys one summary: claims and delivered responses are kept in {@code
 * DATA_DIR/deliveries.db}, across restarts; the 402 declares the {@code payment-identifier}
 * extension, so a client's retry after a lost response gets the summary it paid for, never a
 * summary of another document.
 *
 * <p>Beside the {@code exact} offer (first, so clients that pay the first offer pay as before) it
 * offers {@code upto} when the facilitator its 402 names lists an {@code upto} kind for the network
 * in {@code /supported}: bound to that kind's {@code extra.facilitatorAddress}, at most the price
 * of the most work the document can take ({@link io.attest402.demo.summary.Summarizer#maximumWork}:
 * its words for the offline summarizer, estimated tokens for an LLM backend), charged the price of
 * the work the summary took ({@link Summary#work()}: distinct words summarized, tokens the backend
 * reported), never more than the maximum, the maximum when the work is unknown. The 402 then also
 * declares {@code eip2612GasSponsoring} when the facilitator supports it, so a payer without a
 * Permit2 allowance signs a permit instead of sending an approval.
 */
public final class SummaryProvider implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SummaryProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The 402 extension naming the facilitator and this provider's identity. */
  public static final String EXTENSION = "attest402";

  /** Largest document accepted, in bytes and in words. */
  public static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  public static final int MAX_WORDS = 200_000;
  private static final String DOC_KEY = "attest402.document";

  private final ProviderConfig config;
  private final Clock clock;
  private final Vertx vertx;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicReference<CachedTrust> trust = new AtomicReference<>();

  /**
   * The facilitator's key as its attestation passed this provider's policy (none until it has):
   * payer-settled credentials are accepted when signed by it.
   */
  /** Attested keys of the facilitators whose attestation passes the policy, by URL. */
  private final java.util.concurrent.ConcurrentMap<String, byte[]> credentialKeys =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Addresses of the keys the facilitators' attestations bind (passing the policy), by URL. */
  private final java.util.concurrent.ConcurrentMap<String, String> attestedAddresses =
      new java.util.concurrent.ConcurrentHashMap<>();

  private Erc8004Client identityReader;
  private HttpServer server;
  private SqliteDeliveryStore deliveries;
  private boolean closed;
  private Erc8004Client registry;
  private String baseUrl;
  private BigInteger agentId;
  private BigInteger facilitatorAgentId;
  private final Map<String, BigInteger> facilitatorAgentIds = new ConcurrentHashMap<>();
  private FailoverFacilitatorClient facilitators;
  private FacilitatorPoolMetrics poolMetrics;
  private Web3j web3j;

  private record CachedTrust(Instant at, ObjectNode json) {}

  /**
   * A parsed, priced document, computed once per request before the payment step: the exact price,
   * and the most work it can take with the upto price of that.
   */
  private record Document(
      String text, int words, BigInteger price, Work maxWork, BigInteger maxPrice) {}

  /** Each facilitator's last {@code /supported} answer, by URL. */
  private final Map<String, SupportedResponse> supported = new ConcurrentHashMap<>();

  /** A facilitator client per URL, for {@code /supported}. */
  private final Map<String, HttpFacilitatorClient> clients = new ConcurrentHashMap<>();

  /**
   * The payment handler per upto signer the 402 binds to ({@code ""}: exact only), made on first
   * use; they share the delivery store.
   */
  private final Map<String, X402PaymentHandler> handlers = new ConcurrentHashMap<>();

  private PaymentOption exactOption;

  public SummaryProvider(ProviderConfig config, Clock clock) {
    this.config = Objects.requireNonNull(config);
    this.clock = Objects.requireNonNull(clock);
    this.vertx = Vertx.vertx();
  }

  /**
   * Listens, registers (or keeps) the ERC-8004 identity, and learns the facilitator's agentId.
   * Blocking; returns the base URL.
   */
  public String start() {
    Deployment d = config.deployment();
    Router router = Router.router(vertx);
    router.route().handler(X402PaymentHandler.cors(".*"));
    router.get("/health").handler(ctx -> ctx.json(Map.of("status", "ok")));
    router.get("/config.json").handler(this::config);
    router
        .get("/.well-known/agent-registration.json")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/json")
                    .end(registrationFile().toJson()));
    router.get("/trust").handler(this::trust);
    router.get("/facilitators").handler(ctx -> ctx.json(facilitators.statusJson()));
    router
        .get("/metrics")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .end(poolMetrics.scrape()));
    BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
    router
        .post("/quote")
        .handler(body)
        .handler(this::parseDocument)
        .handler(
            ctx -> {
              Document doc = ctx.get(DOC_KEY);
              ObjectNode q =
                  JSON.createObjectNode()
                      .put("words", doc.words())
                      .put("amount", doc.price().toString())
                      .put("asset", d.contracts().usdc())
                      .put("network", d.network());
              if (uptoSigner(namedFacilitator()) != null) {
                q.putObject("upto")
                    .put("maxAmount", doc.maxPrice().toString())
                    .put("maxWork", doc.maxWork().toString());
              }
              ctx.json(q);
            });
    exactOption =
        new PaymentOption(
            d.network(),
            d.contracts().usdc(),
            d.usdc().name(),
            d.usdc().version(),
            ctx -> config.payTo(),
            ctx -> ((Document) ctx.get(DOC_KEY)).price(),
            PaymentOption.DEFAULT_MAX_TIMEOUT_SECONDS,
            null);
    deliveries = SqliteDeliveryStore.open(config.dataDir().resolve("deliveries.db"));
    web3j = Web3j.build(new HttpService(d.rpcUrl()));
    FailoverFacilitatorClient.Builder pool =
        FailoverFacilitatorClient.builder()
            .authorizationState(
                AuthorizationState.of(Map.of(d.network(), new Web3jChainAccess(web3j))));
    for (String url : config.facilitatorUrls()) {
      clients.put(url, HttpFacilitatorClient.of(url));
      pool.add(
          url,
          HttpFacilitatorClient.of(url),
          FailoverFacilitatorClient.HealthCheck.all(
              List.of(
                  FailoverFacilitatorClient.HealthCheck.http(url, http),
                  () -> attestationHealth(url))));
    }
    identityReader = Erc8004Client.connect(d);
    pool.identityCheck(
        new Erc8004FacilitatorIdentity(
            identityReader.identity(),
            agentRegistry(d),
            http,
            url -> java.util.Optional.ofNullable(attestedAddresses.get(url)),
            java.util.concurrent.ForkJoinPool.commonPool()));
    facilitators = pool.build().start();
    poolMetrics = new FacilitatorPoolMetrics(facilitators);
    // what the facilitators support (upto, gas sponsoring): now, then with every re-check
    for (String url : config.facilitatorUrls()) {
      learnSupported(url).join();
    }
    router
        .post("/summarize")
        .handler(body)
        .handler(this::parseDocument)
        .handler(ctx -> paymentHandler(uptoSigner(namedFacilitator())).handle(ctx));
    // learn (and keep re-checking) the facilitator's attested key for Bearer credentials
    checkEveryFacilitator();
    vertx.setPeriodic(60_000, id -> checkEveryFacilitator());
    router.get("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router
        .route()
        .failureHandler(
            ctx -> {
              int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
              if (status == 500) {
                log.warn(
                    "request {} {} failed",
                    ctx.request().method(),
                    ctx.request().path(),
                    ctx.failure());
              }
              ctx.response()
                  .setStatusCode(status)
                  .putHeader("Content-Type", "application/json")
                  .end(
                      JSON.createObjectNode()
                          .put(
                              "error",
                              status == 413
                                  ? "document larger than " + MAX_BODY_BYTES + " bytes"
                                  : status == 500 ? "internal error" : "request failed")
                          .toString());
            });
    // Payment headers may reach the codec's 32 KiB limit (contract-wallet signatures); Vert.x
    // defaults to 8 KiB.
    server =
        vertx
            .createHttpServer(new HttpServerOptions().setMaxHeaderSize(40 * 1024))
            .requestHandler(router)
            .listen(config.port(), config.host())
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    baseUrl =
        config.publicUrl() != null
            ? config.publicUrl().replaceAll("/+$", "")
            : "http://" + config.host() + ":" + server.actualPort();
    registry = Erc8004Client.connect(d).withSigner(config.providerKey());
    for (String url : config.facilitatorUrls()) {
      BigInteger id = discoverFacilitatorAgentId(url);
      if (id != null) {
        facilitatorAgentIds.put(url, id);
      }
    }
    facilitatorAgentId = facilitatorAgentIds.get(config.facilitatorUrl());
    agentId =
        ProviderIdentity.ensure(
                registry,
                config.providerKey(),
                baseUrl + "/.well-known/agent-registration.json",
                config.dataDir())
            .agentId();
    log.info(
        "summary provider {} (agentId {}, payTo {}) settling through {} (agentIds {})",
        baseUrl,
        agentId,
        config.payTo(),
        config.facilitatorUrls(),
        facilitatorAgentIds);
    return baseUrl;
  }

  public String baseUrl() {
    return baseUrl;
  }

  public BigInteger agentId() {
    return agentId;
  }

  /** Each facilitator's health and counters, in order of preference. */
  public List<FailoverFacilitatorClient.Status> facilitatorStatus() {
    return facilitators.status();
  }

  public BigInteger facilitatorAgentId() {
    return facilitatorAgentId;
  }

  /**
   * Extracts and prices the body; 400/413/415/422 with a reason before any payment is asked for.
   */
  private void parseDocument(RoutingContext ctx) {
    try {
      DocumentText.Format format = DocumentText.Format.of(ctx.request().getHeader("Content-Type"));
      Buffer buf = ctx.body().buffer();
      if (buf == null || buf.length() == 0) {
        reject(ctx, 400, "empty document: POST the document as the request body");
        return;
      }
      String text = DocumentText.extract(buf.getBytes(), format);
      int words = DocumentText.wordCount(text);
      if (words == 0) {
        reject(ctx, 422, "the document has no text to summarize");
        return;
      }
      if (words > MAX_WORDS) {
        reject(ctx, 413, "document has " + words + " words; the limit is " + MAX_WORDS);
        return;
      }
      Work maxWork = config.summarizer().maximumWork(text, words);
      ctx.put(
          DOC_KEY,
          new Document(
              text,
              words,
              config.pricing().priceFor(words),
              maxWork,
              config.pricing().priceFor(maxWork)));
      ctx.next();
    } catch (SummarizerException e) {
      reject(
          ctx, e.getMessage().startsWith("unsupported Content-Type") ? 415 : 400, e.getMessage());
    }
  }

  private static void reject(RoutingContext ctx, int status, String reason) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(JSON.createObjectNode().put("error", reason).toString());
  }

  private ObjectNode summaryJson(Summary s, Document doc) {
    ObjectNode o =
        JSON.createObjectNode()
            .put("summary", s.text())
            .put("method", s.method())
            .put("words", doc.words())
            .put("amount", doc.price().toString());
    s.sentences().forEach(o.putArray("sentences")::add);
    return o;
  }

  /**
   * The payment handler whose 402 offers exact, and upto bound to {@code uptoSigner} when it is not
   * null.
   */
  private X402PaymentHandler paymentHandler(String uptoSigner) {
    return handlers.computeIfAbsent(
        uptoSigner == null ? "" : uptoSigner.toLowerCase(java.util.Locale.ROOT),
        key -> buildHandler(key.isEmpty() ? null : uptoSigner));
  }

  private X402PaymentHandler buildHandler(String uptoSigner) {
    Deployment d = config.deployment();
    X402PaymentHandler.Builder b =
        X402PaymentHandler.builder(facilitators)
            .accept(exactOption)
            .deliveryStore(deliveries)
            .paymentIdentifier(false)
            .credentialIssuers(() -> List.copyOf(credentialKeys.values()))
            .description(
                uptoSigner == null
                    ? "Summary of the posted document, priced per 1,000 words"
                    : "Summary of the posted document, priced per 1,000 words; upto: charged for"
                        + " the work done, at most the price of the whole document")
            .mimeType("application/json")
            .extensions(ctx -> extension(uptoSigner != null))
            .route(this::summarize);
    if (uptoSigner != null) {
      b.accept(
          PaymentOption.upto(
              d.network(),
              d.contracts().usdc(),
              d.usdc().name(),
              d.usdc().version(),
              ctx -> config.payTo(),
              ctx -> ((Document) ctx.get(DOC_KEY)).maxPrice(),
              PaymentOption.DEFAULT_MAX_TIMEOUT_SECONDS,
              uptoSigner));
    }
    return b.build();
  }

  /**
   * The paid route: the summary; for upto also the charge (the work's price, at most the signed
   * maximum), set for the handler with {@link PaidResponse#charging} and shown in the body.
   */
  private Future<PaidResponse> summarize(RoutingContext ctx, Payment payment) {
    Document doc = ctx.get(DOC_KEY);
    boolean upto = PaymentOption.UPTO.equals(payment.requirements().scheme());
    return vertx
        .executeBlocking(() -> config.summarizer().summarize(doc.text()), false)
        .map(
            s -> {
              if (!upto) {
                return PaidResponse.json(summaryJson(s, doc).toString());
              }
              BigInteger maximum = payment.requirements().amount();
              BigInteger charge = config.pricing().charge(doc.maxWork(), s.work()).min(maximum);
              ObjectNode o = summaryJson(s, doc);
              o.put("scheme", PaymentOption.UPTO)
                  .put("amount", charge.toString())
                  .put("maxAmount", maximum.toString());
              ObjectNode w =
                  o.putObject("work")
                      .put("unit", doc.maxWork().unit())
                      .put("maximum", doc.maxWork().units());
              if (s.work() == null) {
                w.putNull("used").put("reported", false);
              } else {
                w.put("used", s.work().units()).put("unit", s.work().unit());
              }
              return PaidResponse.json(o.toString()).charging(charge);
            })
        .recover(
            e ->
                Future.succeededFuture(
                    PaidResponse.of(
                        e instanceof SummarizerException ? 422 : 500,
                        "application/json",
                        Buffer.buffer(
                            JSON.createObjectNode().put("error", e.getMessage()).toString()))));
  }

  /** The facilitator the 402 names: the first healthy one, else the first configured. */
  private String namedFacilitator() {
    return facilitators.status().stream()
        .filter(FailoverFacilitatorClient.Status::healthy)
        .map(FailoverFacilitatorClient.Status::name)
        .findFirst()
        .orElse(config.facilitatorUrl());
  }

  /**
   * The signer an upto offer settled through {@code facilitatorUrl} binds to: the {@code
   * extra.facilitatorAddress} of its {@code /supported} upto kind for the network (null: it lists
   * none, or has not answered yet), or the configured override.
   */
  private String uptoSigner(String facilitatorUrl) {
    SupportedResponse sr = supported.get(facilitatorUrl);
    if (sr == null) {
      return null;
    }
    for (SupportedResponse.Kind k : sr.kinds()) {
      if (k.x402Version() == 2
          && PaymentOption.UPTO.equals(k.scheme())
          && config.deployment().network().equals(k.network())
          && k.extra() != null
          && k.extra().path("facilitatorAddress").isTextual()) {
        return config.uptoSigner() != null
            ? config.uptoSigner()
            : k.extra().path("facilitatorAddress").asText();
      }
    }
    return null;
  }

  /** Asks {@code url} what it supports; keeps the last answer when it does not answer. */
  private CompletableFuture<Void> learnSupported(String url) {
    return clients
        .get(url)
        .supported()
        .orTimeout(10, java.util.concurrent.TimeUnit.SECONDS)
        .handle(
            (sr, e) -> {
              if (e != null) {
                log.warn("facilitator {} did not say what it supports: {}", url, e.toString());
              } else {
                supported.put(url, sr);
              }
              return null;
            });
  }

  /**
   * The {@code attest402} extension: {@code facilitator} is the one a payment goes to first (the
   * first healthy one), {@code facilitators} every one this provider may fail over to, in order.
   */
  private ObjectNode extension(boolean upto) {
    Deployment d = config.deployment();
    ObjectNode info = JSON.createObjectNode();
    List<FailoverFacilitatorClient.Status> status = facilitators.status();
    String first = namedFacilitator();
    facilitatorJson(info.putObject("facilitator"), first);
    var list = info.putArray("facilitators");
    for (FailoverFacilitatorClient.Status s : status) {
      facilitatorJson(list.addObject(), s.name()).put("healthy", s.healthy());
    }
    ObjectNode p = info.putObject("provider").put("agentRegistry", agentRegistry(d));
    if (agentId != null) {
      p.put("agentId", agentId.toString());
    }
    ObjectNode ext = JSON.createObjectNode();
    ext.putObject(EXTENSION).set("info", info);
    // listed in the facilitator's bazaar once a payment settles: agents find it with --discover
    ext.set(
        io.attest402.x402.extensions.Bazaar.KEY,
        io.attest402.x402.extensions.Bazaar.declaration("POST", "text", null, null, null));
    SupportedResponse sr = supported.get(first);
    if (upto && sr != null && sr.extensions().contains(Eip2612GasSponsoring.KEY)) {
      // a Permit2 (upto) payer without an allowance signs a permit; the facilitator submits it
      ext.set(Eip2612GasSponsoring.KEY, Eip2612GasSponsoring.declaration());
    }
    return ext;
  }

  private ObjectNode facilitatorJson(ObjectNode f, String url) {
    f.put("url", url).put("attestation", url + "/attestation");
    BigInteger id = facilitatorAgentIds.get(url);
    if (id != null) {
      f.put("agentId", id.toString());
    }
    return f;
  }

  /** A facilitator is healthy for this provider only while its attestation passes its policy. */
  private CompletableFuture<FailoverFacilitatorClient.Health> attestationHealth(String url) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            AttestationVerdict v = verdict(checkFacilitator(url));
            return v.ok()
                ? FailoverFacilitatorClient.Health.up()
                : FailoverFacilitatorClient.Health.down("attestation: " + v.reasons());
          } catch (IOException e) {
            return FailoverFacilitatorClient.Health.down("attestation: " + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FailoverFacilitatorClient.Health.down("interrupted");
          }
        });
  }

  private record AttestationVerdict(boolean ok, String reasons) {}

  private static AttestationVerdict verdict(ObjectNode checked) {
    var v = checked.path("facilitator").path("verdict");
    return new AttestationVerdict(v.path("ok").asBoolean(false), v.path("reasons").toString());
  }

  static String agentRegistry(Deployment d) {
    return d.network() + ":" + d.contracts().identityRegistry();
  }

  private RegistrationFile registrationFile() {
    RegistrationFile file =
        RegistrationFile.of(
            "attest402 summaries",
            "Document summaries paid per request with x402, settled through an attested facilitator.",
            null,
            List.of(
                new RegistrationFile.Service(
                    RegistrationFile.Service.WEB, baseUrl + "/", null, Map.of()),
                new RegistrationFile.Service(
                    RegistrationFile.Service.X402, baseUrl + "/summarize", null, Map.of())),
            true,
            List.of(RegistrationFile.TRUST_REPUTATION, RegistrationFile.TRUST_TEE_ATTESTATION));
    return agentId == null
        ? file
        : file.withRegistration(agentId, agentRegistry(config.deployment()));
  }

  private void config(RoutingContext ctx) {
    Deployment d = config.deployment();
    ObjectNode o =
        JSON.createObjectNode()
            .put("network", d.network())
            .put("chainId", d.chainId())
            .put("payTo", config.payTo())
            .put("maxAmountPerPayment", config.pricing().priceFor(MAX_WORDS).toString());
    o.putObject("asset")
        .put("address", d.contracts().usdc())
        .put("name", d.usdc().name())
        .put("version", d.usdc().version())
        .put("decimals", d.usdc().decimals());
    o.putObject("facilitator")
        .put("url", config.facilitatorUrl())
        .put("agentId", facilitatorAgentId == null ? null : facilitatorAgentId.toString());
    o.putObject("pricing")
        .put("perThousandWords", config.pricing().perThousandWords().toString())
        .put("minimum", config.pricing().minimum().toString());
    // The pinned policy the page checks the facilitator's attestation against itself, before it
    // pays (web/src/attest.js): the same pins as this provider's own check.
    try {
      o.set("attestationPolicy", JSON.readTree(config.attestationPolicy().toJson()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (agentId != null) {
      o.put("agentId", agentId.toString());
    }
    if (config.devPayerKey() != null && d.accounts() != null) {
      // Dev chains only: anvil's public keys, so the page can pay without a wallet.
      o.put(
          "devPayerKey",
          Numeric.toHexStringWithPrefixZeroPadded(
              config.devPayerKey().getEcKeyPair().getPrivateKey(), 64));
    }
    ctx.json(o);
  }

  /** The facilitator's attestation as this provider sees it (fresh nonce), cached briefly. */
  private void trust(RoutingContext ctx) {
    CachedTrust cached = trust.get();
    if (cached != null && cached.at().plusSeconds(30).isAfter(clock.instant())) {
      ctx.json(cached.json());
      return;
    }
    vertx
        .executeBlocking(() -> checkFacilitator(config.facilitatorUrl()), false)
        .onComplete(
            r -> {
              if (r.succeeded()) {
                trust.set(new CachedTrust(clock.instant(), r.result()));
                ctx.json(r.result());
              } else {
                reject(
                    ctx,
                    502,
                    "cannot check the facilitator's attestation: " + r.cause().getMessage());
              }
            });
  }

  /** Learns (and keeps re-checking) each facilitator's attested key for Bearer credentials. */
  private void checkEveryFacilitator() {
    for (String url : config.facilitatorUrls()) {
      vertx.executeBlocking(() -> checkFacilitator(url), false);
      learnSupported(url);
    }
  }

  private ObjectNode checkFacilitator(String facilitatorUrl)
      throws IOException, InterruptedException {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    String url = facilitatorUrl + "/attestation?nonce=" + HexFormat.of().formatHex(nonce);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET /attestation answered " + r.statusCode());
    }
    // The page shows what the provider's policy concludes from the served quote and served
    // collateral (verified as
    // fetched collateral would be); the agent applies its own policy.
    AttestationChecker.Result result =
        AttestationChecker.checkWithPccs(
            AttestationDocument.fromJson(r.body()),
            config.pccs(),
            clock,
            clock.instant(),
            config.attestationPolicy(),
            nonce);
    if (result.ok() && result.publicKey() != null) {
      credentialKeys.put(facilitatorUrl, result.publicKey());
      attestedAddresses.put(facilitatorUrl, result.address());
    } else {
      credentialKeys.remove(facilitatorUrl);
      attestedAddresses.remove(facilitatorUrl);
    }
    ObjectNode out = JSON.createObjectNode();
    ObjectNode f =
        out.putObject("facilitator")
            .put("url", facilitatorUrl)
            .put("signer", result.address())
            .put(
                "keyBound",
                result.address() != null
                    && result.reasons().stream().noneMatch(s -> s.contains("does not bind")));
    ObjectNode v =
        f.putObject("verdict")
            .put("ok", result.ok())
            .put("simulated", result.simulated())
            .put("teeType", result.teeType())
            .put("measurementPinned", result.measurementPinned())
            .put("measurement", result.measurementText())
            .put(
                "status",
                result.verdict() == null
                    ? "unverifiable"
                    : result.verdict().status().map(String::valueOf).orElse("no TCB status"));
    result.reasons().forEach(v.putArray("reasons")::add);
    return out;
  }

  private BigInteger discoverFacilitatorAgentId(String facilitatorUrl) {
    try {
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(facilitatorUrl + "/.well-known/agent-registration.json"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        log.warn(
            "facilitator serves no registration file (HTTP {}): its identity is unknown",
            r.statusCode());
        return null;
      }
      RegistrationFile file = RegistrationFile.parse(r.body());
      String registry = agentRegistry(config.deployment());
      return file.registrations().stream()
          .filter(reg -> registry.equalsIgnoreCase(reg.agentRegistry()))
          .map(RegistrationFile.Registration::agentId)
          .findFirst()
          .orElse(null);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the facilitator's registration file: {}", e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Stops serving; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (registry != null) {
      registry.shutdown();
    }
    if (identityReader != null) {
      identityReader.shutdown();
    }
    vertx.close().toCompletionStage().toCompletableFuture().join();
    if (facilitators != null) {
      facilitators.close();
    }
    if (web3j != null) {
      web3j.shutdown();
    }
    if (deliveries != null) {
      deliveries.close();
    }
  }
}
