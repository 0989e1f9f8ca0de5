package io.attest402.x402.facilitator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ordered list of facilitators behind one {@link FacilitatorClient}, for a resource server that
 * must not depend on one facilitator: each is checked at {@link #start} and every {@code
 * checkInterval} (its {@link HealthCheck}: {@code /health}, attestation under the provider's
 * policy, identity, as the caller composes it); calls go to the healthy ones first, in order.
 *
 * <p>When to move to the next one:
 *
 * <ul>
 *   <li><b>verify</b> holds no state, so it fails over on anything that is not the payer's fault:
 *       no usable answer (timeout, transport, non-2xx, malformed) or an invalid verification whose
 *       reason is not in {@link #PAYER_FAULTS} (e.g. {@code unexpected_verify_error}, {@code
 *       invalid_payment_requirements} from a payTo allow-list, an unsupported network, any code we
 *       do not know). A payer fault (bad signature, insufficient balance, expired, used nonce,
 *       wrong amount or recipient) is the answer: another facilitator would say the same.
 *   <li><b>settle</b> moves on only when the authorization cannot have been settled by the one
 *       asked: the connection was refused (the request never left), or it answered a refusal that
 *       is not a payer fault and carries no transaction. A settlement that may have been broadcast
 *       (timeout, reset, 5xx, malformed answer) is an unknown outcome: with an {@link
 *       AuthorizationState} reader the client asks the chain first and moves on only when the
 *       authorization's nonce is still unused; without one, or when it is used, the outcome stays
 *       unknown ({@link FacilitatorException} of kind TIMEOUT: the handler answers 502 and keeps
 *       the payment's claim). A used nonce is never taken as payment: the payer may have cancelled
 *       the authorization.
 *   <li>If a facilitator that may have broadcast was passed over (its transaction still in a
 *       mempool) and the next one fails, the chain is asked again; a used nonce then makes the
 *       outcome unknown rather than a final refusal. EIP-3009 lets a nonce move funds once, so two
 *       facilitators can never both transfer; this client makes sure the resource server is never
 *       told a wrong final answer about it.
 *   <li>A settle answered {@code settlement_pending} with a transaction is retried (same {@code
 *       Idempotency-Key}) at the same facilitator only.
 * </ul>
 *
 * <p>{@link #status()} gives per-facilitator health and counters (JSON for a metrics route).
 */
public final class FailoverFacilitatorClient implements FacilitatorClient, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FailoverFacilitatorClient.class);

  /**
   * Invalid/failure reasons about the payment itself: every facilitator would answer the same, so
   * they end the attempt.
   */
  public static final Set<String> PAYER_FAULTS =
      Set.of(
          ErrorReasons.INVALID_SIGNATURE,
          ErrorReasons.FAILED_TO_PARSE_SIGNATURE,
          ErrorReasons.VALID_BEFORE_EXPIRED,
          ErrorReasons.VALID_AFTER_IN_FUTURE,
          ErrorReasons.AUTHORIZATION_VALUE_MISMATCH,
          ErrorReasons.RECIPIENT_MISMATCH,
          ErrorReasons.INSUFFICIENT_BALANCE,
          ErrorReasons.NONCE_ALREADY_USED,
          ErrorReasons.UNDEPLOYED_SMART_WALLET,
          ErrorReasons.NETWORK_MISMATCH,
          ErrorReasons.INVALID_SCHEME,
          ErrorReasons.MISSING_EIP712_DOMAIN,
          ErrorReasons.TOKEN_NAME_MISMATCH,
          ErrorReasons.TOKEN_VERSION_MISMATCH,
          ErrorReasons.INVALID_PAYLOAD,
          ErrorReasons.INVALID_X402_VERSION,
          ErrorReasons.PERMIT2_ALLOWANCE_REQUIRED);

  /**
   * A payment extension a payer adds to demand facilitators it trusts: {@code
   * {"facilitator-demand": {"info": {"urls": ["https://f.example", ...]}}}}. Only the listed
   * facilitators that this client also lists are asked (in this client's order); none of them:
   * verify answers invalid {@value #DEMANDED_NOT_AVAILABLE}, and nothing is settled.
   */
  public static final String DEMAND_EXTENSION = "facilitator-demand";

  public static final String DEMANDED_NOT_AVAILABLE = "demanded_facilitator_not_available";

  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(20);

  /** The outcome of a facilitator check. */
  public record Health(boolean ok, String reason) {
    public static Health up() {
      return new Health(true, "ok");
    }

    public static Health down(String reason) {
      return new Health(false, reason);
    }
  }

  /** Checks one facilitator (asynchronous; a failed future counts as down). */
  @FunctionalInterface
  public interface HealthCheck {
    CompletableFuture<Health> check();

    /**
     * {@code GET base/health}: up on 200 unless its JSON {@code status} is {@code halted} (or on
     * 404: a facilitator without the route, such as the official one, is judged by its answers).
     */
    static HealthCheck http(String baseUrl, HttpClient http) {
      URI uri = URI.create(baseUrl.replaceAll("/+$", "") + "/health");
      return () ->
          http.sendAsync(
                  HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                  HttpResponse.BodyHandlers.ofString())
              .thenApply(
                  r -> {
                    if (r.statusCode() == 404) {
                      return Health.up();
                    }
                    String status = "";
                    try {
                      status = X402Json.parse(r.body()).path("status").asText("");
                    } catch (RuntimeException e) {
                      // not JSON: the status code decides
                    }
                    if (r.statusCode() != 200 || "halted".equals(status)) {
                      return Health.down(
                          "/health answered "
                              + r.statusCode()
                              + (status.isEmpty() ? "" : " " + status));
                    }
                    return Health.up();
                  });
    }

    /** Up when every check is. */
    static HealthCheck all(List<HealthCheck> checks) {
      List<HealthCheck> list = List.copyOf(checks);
      return () -> {
        CompletableFuture<Health> acc = CompletableFuture.completedFuture(Health.up());
        for (HealthCheck c : list) {
          acc = acc.thenCompose(h -> h.ok() ? c.check() : CompletableFuture.completedFuture(h));
        }
        return acc;
      };
    }
  }

  /**
   * Confirms that a facilitator is the registered identity it claims (for the demo provider: its
   * ERC-8004 agent exists, its on-chain registration names this facilitator's URL, and its owner
   * and agentWallet are the key its attestation binds). Asked after the facilitator's own {@link
   * HealthCheck} passed, at every check; a facilitator it refuses is down with reason {@code
   * "identity: ..."}. This module knows nothing of the registry: the caller composes it.
   */
  @FunctionalInterface
  public interface IdentityCheck {
    /**
     * @param name the facilitator as it was added (its URL for {@link Builder#add(String,
     *     HttpClient)})
     */
    CompletableFuture<Health> check(String name);
  }

  /** One facilitator of the list. */
  private static final class Member {
    final String name;
    final FacilitatorClient client;
    final HealthCheck check;
    volatile Health health = new Health(false, "not checked yet");
    volatile Instant checkedAt;
    final Map<String, LongAdder> counters = new ConcurrentHashMap<>();

    Member(String name, FacilitatorClient client, HealthCheck check) {
      this.name = name;
      this.client = client;
      this.check = check;
    }

    void count(String what) {
      counters.computeIfAbsent(what, k -> new LongAdder()).increment();
    }
  }

  private final List<Member> members;
  private final AuthorizationState authorizations;
  private final IdentityCheck identity;
  private final Duration checkInterval;
  private final Duration checkTimeout;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService chainCalls;

  /** idempotencyKey → the member that took the settle (for the pending retry). */
  private final Map<String, Member> sticky = new ConcurrentHashMap<>();

  private FailoverFacilitatorClient(Builder b) {
    if (b.members.isEmpty()) {
      throw new IllegalArgumentException("at least one facilitator is required");
    }
    this.members = List.copyOf(b.members);
    this.authorizations = b.authorizations;
    this.identity = b.identity;
    this.checkInterval = b.checkInterval;
    this.checkTimeout = b.checkTimeout;
    this.clock = b.clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "facilitator-checks");
              t.setDaemon(true);
              return t;
            });
    this.chainCalls =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "facilitator-failover-chain");
              t.setDaemon(true);
              return t;
            });
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Configuration. */
  public static final class Builder {
    private final List<Member> members = new ArrayList<>();
    private AuthorizationState authorizations;
    private IdentityCheck identity;
    private Duration checkInterval = DEFAULT_CHECK_INTERVAL;
    private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The next facilitator in order of preference; {@code name} labels it (e.g. its URL). */
    public Builder add(String name, FacilitatorClient client, HealthCheck check) {
      Objects.requireNonNull(name, "name");
      if (members.stream().anyMatch(m -> m.name.equals(name))) {
        throw new IllegalArgumentException("facilitator " + name + " is listed twice");
      }
      members.add(
          new Member(name, Objects.requireNonNull(client), Objects.requireNonNull(check, "check")));
      return this;
    }

    /** An {@link HttpFacilitatorClient} for {@code url}, checked by its {@code /health}. */
    public Builder add(String url, HttpClient http) {
      return add(url, HttpFacilitatorClient.of(url), HealthCheck.http(url, http));
    }

    /**
     * Reads EIP-3009 authorization state on chain, so that a settle with an unknown outcome may
     * fail over once the chain shows the authorization unused (without it, it never does).
     */
    public Builder authorizationState(AuthorizationState reader) {
      this.authorizations = reader;
      return this;
    }

    /**
     * Every facilitator must also pass {@code check} (after its own health check) to be healthy.
     */
    public Builder identityCheck(IdentityCheck check) {
      this.identity = Objects.requireNonNull(check);
      return this;
    }

    public Builder checkInterval(Duration d) {
      this.checkInterval = Objects.requireNonNull(d);
      return this;
    }

    public Builder checkTimeout(Duration d) {
      this.checkTimeout = Objects.requireNonNull(d);
      return this;
    }

    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c);
      return this;
    }

    public FailoverFacilitatorClient build() {
      return new FailoverFacilitatorClient(this);
    }
  }

  /** Checks every facilitator once (blocking, bounded by the check timeout), then periodically. */
  public FailoverFacilitatorClient start() {
    checkAll()
        .orTimeout(checkTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS)
        .exceptionally(e -> null)
        .join();
    long every = Math.max(1, checkInterval.toMillis());
    scheduler.scheduleWithFixedDelay(() -> checkAll().join(), every, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Runs every check now; completes when all have answered or timed out. */
  public CompletableFuture<Void> checkAll() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Member m : members) {
      CompletableFuture<Health> h = ask(m.check::check);
      if (identity != null) {
        h =
            h.thenCompose(
                own ->
                    own == null || !own.ok()
                        ? CompletableFuture.completedFuture(own)
                        : ask(() -> identity.check(m.name))
                            .handle(
                                (id, err) ->
                                    err != null
                                        ? Health.down("identity: check failed: " + unwrap(err))
                                        : id == null
                                            ? Health.down("identity: check gave no answer")
                                            : id.ok()
                                                ? id
                                                : Health.down("identity: " + id.reason())));
      }
      all.add(
          h.orTimeout(checkTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .handle(
                  (health, err) -> {
                    Health next =
                        err != null
                            ? Health.down("check failed: " + unwrap(err))
                            : health == null ? Health.down("check gave no answer") : health;
                    if (next.ok() != m.health.ok()) {
                      log.info(
                          "facilitator {} is {}{}",
                          m.name,
                          next.ok() ? "up" : "down",
                          next.ok() ? "" : ": " + next.reason());
                    }
                    m.health = next;
                    m.checkedAt = clock.instant();
                    m.count(next.ok() ? "check_ok" : "check_failed");
                    return null;
                  }));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private static CompletableFuture<Health> ask(
      java.util.function.Supplier<CompletableFuture<Health>> check) {
    try {
      return Objects.requireNonNull(check.get(), "check returned no future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The facilitators' names, in order of preference. */
  public List<String> names() {
    return members.stream().map(m -> m.name).toList();
  }

  /** Healthy ones first, each group in the configured order. */
  private List<Member> order() {
    List<Member> out = new ArrayList<>();
    members.stream().filter(m -> m.health.ok()).forEach(out::add);
    members.stream().filter(m -> !m.health.ok()).forEach(out::add);
    return out;
  }

  /** {@link #order()} restricted to what the payment demands, if it demands anything. */
  private List<Member> order(PaymentPayload payload) {
    Set<String> demanded = demanded(payload);
    List<Member> all = order();
    return demanded == null
        ? all
        : all.stream().filter(m -> demanded.contains(norm(m.name))).toList();
  }

  /**
   * The payer's side of {@link #DEMAND_EXTENSION}: a copy of {@code extensions} (null: none)
   * demanding the facilitators at {@code urls}, in the shape {@link #demanded} reads.
   */
  public static ObjectNode withDemand(ObjectNode extensions, List<String> urls) {
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("demand at least one facilitator");
    }
    ObjectNode copy = extensions == null ? Wire.newObject() : extensions.deepCopy();
    ArrayNode list = copy.putObject(DEMAND_EXTENSION).putObject("info").putArray("urls");
    for (String u : urls) {
      URI uri = URI.create(u);
      if (uri.getScheme() == null
          || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("not a facilitator base URL: " + u);
      }
      list.add(u.replaceAll("/+$", ""));
    }
    return copy;
  }

  /** The demanded facilitators' URLs, or null when the payment demands none. */
  static Set<String> demanded(PaymentPayload payload) {
    ObjectNode ext = payload.extensions();
    if (ext == null || !ext.has(DEMAND_EXTENSION)) {
      return null;
    }
    Set<String> out = new java.util.HashSet<>();
    for (var u : ext.path(DEMAND_EXTENSION).path("info").path("urls")) {
      if (u.isTextual()) {
        out.add(norm(u.asText()));
      }
    }
    return out;
  }

  private static String norm(String url) {
    return url.replaceAll("/+$", "").toLowerCase(java.util.Locale.ROOT);
  }

  private void markDown(Member m, Throwable err) {
    m.health = Health.down("last call failed: " + unwrap(err));
    m.checkedAt = clock.instant();
  }

  @Override
  public CompletableFuture<VerifyResponse> verify(
      PaymentPayload payload, PaymentRequirements requirements) {
    List<Member> order = order(payload);
    if (order.isEmpty()) {
      return CompletableFuture.completedFuture(
          new VerifyResponse(
              false,
              DEMANDED_NOT_AVAILABLE,
              "this resource settles through " + names() + ", none of the demanded facilitators",
              null,
              Map.of()));
    }
    return verifyFrom(order, 0, payload, requirements, null);
  }

  private CompletableFuture<VerifyResponse> verifyFrom(
      List<Member> order,
      int i,
      PaymentPayload payload,
      PaymentRequirements requirements,
      Object last) {
    if (i == order.size()) {
      return last instanceof VerifyResponse v
          ? CompletableFuture.completedFuture(v)
          : CompletableFuture.failedFuture((Throwable) last);
    }
    Member m = order.get(i);
    return call(() -> m.client.verify(payload, requirements))
        .handle(
            (v, err) -> {
              if (err != null) {
                m.count("verify_error");
                markDown(m, err);
                return next(m, "verify", unwrap(err).toString())
                    .thenCompose(x -> verifyFrom(order, i + 1, payload, requirements, unwrap(err)));
              }
              if (v.isValid()) {
                m.count("verify_valid");
                return CompletableFuture.completedFuture(v);
              }
              if (PAYER_FAULTS.contains(v.invalidReason())) {
                m.count("verify_invalid");
                return CompletableFuture.completedFuture(v);
              }
              m.count("verify_refused");
              return next(m, "verify", "refused " + v.invalidReason())
                  .thenCompose(x -> verifyFrom(order, i + 1, payload, requirements, v));
            })
        .thenCompose(f -> f);
  }

  @Override
  public CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements) {
    return settle(payload, requirements, HttpFacilitatorClient.newIdempotencyKey());
  }

  @Override
  public CompletableFuture<SettleResponse> settle(
      PaymentPayload payload, PaymentRequirements requirements, String idempotencyKey) {
    Member pinned = sticky.get(idempotencyKey);
    if (pinned != null) {
      // a retry of a settle (settlement_pending): only where it was broadcast
      // the handler retries once: the pin ends here whatever the answer, so none is kept forever
      sticky.remove(idempotencyKey);
      return call(() -> pinned.client.settle(payload, requirements, idempotencyKey))
          .whenComplete((s, err) -> settled(pinned, idempotencyKey, s, err));
    }
    List<Member> order = order(payload);
    if (order.isEmpty()) {
      return CompletableFuture.completedFuture(
          SettleResponse.failure(
              DEMANDED_NOT_AVAILABLE,
              "none of the demanded facilitators is listed",
              "",
              requirements.network(),
              null));
    }
    return settleFrom(order, 0, payload, requirements, idempotencyKey, false, null);
  }

  private void settled(Member m, String key, SettleResponse s, Throwable err) {
    if (err != null) {
      m.count("settle_error");
    } else if (s.success()) {
      m.count("settle_success");
    } else if (!s.isPendingWithTransaction()) {
      m.count("settle_failed");
    }
    if (err != null || !s.isPendingWithTransaction()) {
      sticky.remove(key);
    }
  }

  private CompletableFuture<SettleResponse> settleFrom(
      List<Member> order,
      int i,
      PaymentPayload payload,
      PaymentRequirements requirements,
      String key,
      boolean passedOverUnknown,
      Object last) {
    if (i == order.size()) {
      return last instanceof SettleResponse s
          ? finalFailure(s, passedOverUnknown, payload, requirements)
          : CompletableFuture.failedFuture((Throwable) last);
    }
    Member m = order.get(i);
    sticky.put(key, m);
    return call(() -> m.client.settle(payload, requirements, key))
        .handle(
            (s, err) -> {
              if (err != null) {
                markDown(m, err);
                if (neverSent(err)) {
                  m.count("settle_error");
                  sticky.remove(key);
                  return next(m, "settle", unwrap(err).toString())
                      .thenCompose(
                          x ->
                              settleFrom(
                                  order,
                                  i + 1,
                                  payload,
                                  requirements,
                                  key,
                                  passedOverUnknown,
                                  unwrap(err)));
                }
                m.count("settle_unknown");
                return afterUnknown(order, i, payload, requirements, key, m, unwrap(err));
              }
              if (s.success() || s.isPendingWithTransaction()) {
                settled(m, key, s, null);
                return CompletableFuture.completedFuture(s);
              }
              boolean refusal = !PAYER_FAULTS.contains(s.errorReason());
              if (!refusal || !s.transaction().isEmpty()) {
                // final at this facilitator (a payer fault, or a transaction that failed on chain)
                settled(m, key, s, null);
                return finalFailure(s, passedOverUnknown, payload, requirements);
              }
              m.count("settle_refused");
              sticky.remove(key);
              return next(m, "settle", "refused " + s.errorReason())
                  .thenCompose(x -> settleFrom(order, i + 1, payload, requirements, key, true, s));
            })
        .thenCompose(f -> f);
  }

  /**
   * A failed settlement is final unless an earlier facilitator may have settled the authorization
   * meanwhile (its answer lost, or a refusal that may be a lie): then the chain decides.
   */
  private CompletableFuture<SettleResponse> finalFailure(
      SettleResponse s,
      boolean passedOverUnknown,
      PaymentPayload payload,
      PaymentRequirements requirements) {
    if (!passedOverUnknown) {
      return CompletableFuture.completedFuture(s);
    }
    return usedOnChain(payload, requirements)
        .thenApply(
            used -> {
              if (!Boolean.TRUE.equals(used)) {
                return s;
              }
              throw unknown(
                  "the authorization is used on chain, but not through the facilitator that"
                      + " answered last: an earlier one settled it and its answer was lost or"
                      + " false");
            });
  }

  /**
   * A settle that may have been broadcast: move on only when the chain says the authorization is
   * unused.
   */
  private CompletableFuture<SettleResponse> afterUnknown(
      List<Member> order,
      int i,
      PaymentPayload payload,
      PaymentRequirements requirements,
      String key,
      Member m,
      Throwable err) {
    sticky.remove(key);
    if (i + 1 == order.size()) {
      return CompletableFuture.failedFuture(err);
    }
    return usedOnChain(payload, requirements)
        .thenCompose(
            used -> {
              if (Boolean.FALSE.equals(used)) {
                return next(m, "settle", "outcome unknown (" + err + "), nonce unused on chain")
                    .thenCompose(
                        x -> settleFrom(order, i + 1, payload, requirements, key, true, err));
              }
              return CompletableFuture.failedFuture(
                  unknown(
                      "settlement through "
                          + m.name
                          + " has an unknown outcome ("
                          + err.getMessage()
                          + ")"
                          + (used == null
                              ? "; the chain could not say whether it was settled, so no other"
                                  + " facilitator is asked"
                              : "; the authorization is used on chain")));
            });
  }

  /** TRUE/FALSE from the chain; null when it cannot tell (no reader, not EIP-3009, node down). */
  private CompletableFuture<Boolean> usedOnChain(
      PaymentPayload payload, PaymentRequirements requirements) {
    if (authorizations == null || ExactEvmPayload.isPermit2(payload.payload())) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            ExactEvmPayload.Authorization a =
                ExactEvmPayload.fromJson(payload.payload()).authorization();
            return authorizations.isUsed(
                requirements.network(), requirements.asset(), a.from(), a.nonceBytes());
          } catch (RuntimeException e) {
            log.warn("cannot read the authorization state on chain: {}", e.toString());
            return null;
          }
        },
        chainCalls);
  }

  private CompletableFuture<Void> next(Member m, String what, String why) {
    m.count("failover");
    log.warn("facilitator {} {}: {}; trying the next one", m.name, what, why);
    return CompletableFuture.completedFuture(null);
  }

  private static FacilitatorException unknown(String message) {
    return new FacilitatorException(FacilitatorException.Kind.TIMEOUT, 0, message, null);
  }

  /** Connection refused or connect timeout: the request never reached the facilitator. */
  static boolean neverSent(Throwable err) {
    for (Throwable c = err; c != null; c = c.getCause()) {
      if (c instanceof ConnectException || c instanceof HttpConnectTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static <T> CompletableFuture<T> call(
      java.util.function.Supplier<CompletableFuture<T>> f) {
    try {
      return Objects.requireNonNull(f.get(), "facilitator returned no future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  /** {@code /supported} of the first facilitator that answers, in order. */
  @Override
  public CompletableFuture<SupportedResponse> supported() {
    CompletableFuture<SupportedResponse> acc =
        CompletableFuture.failedFuture(new IllegalStateException("no facilitator"));
    for (Member m : order()) {
      acc = acc.exceptionallyCompose(e -> call(m.client::supported));
    }
    return acc;
  }

  /** Per-facilitator state and counters. */
  public record Status(
      String name, boolean healthy, String reason, Instant checkedAt, Map<String, Long> counters) {}

  public List<Status> status() {
    List<Status> out = new ArrayList<>();
    for (Member m : members) {
      Map<String, Long> c = new LinkedHashMap<>();
      new java.util.TreeMap<>(m.counters).forEach((k, v) -> c.put(k, v.sum()));
      out.add(new Status(m.name, m.health.ok(), m.health.reason(), m.checkedAt, c));
    }
    return out;
  }

  /**
   * {@link #status()} as JSON: {@code {"facilitators": [{name, healthy, reason, checkedAt,
   * counters}]}}.
   */
  public ObjectNode statusJson() {
    ObjectNode o = Wire.newObject();
    ArrayNode arr = o.putArray("facilitators");
    for (Status s : status()) {
      ObjectNode f = arr.addObject();
      f.put("name", s.name());
      f.put("healthy", s.healthy());
      f.put("reason", s.reason());
      f.put("checkedAt", s.checkedAt() == null ? null : s.checkedAt().toString());
      ObjectNode c = f.putObject("counters");
      s.counters().forEach(c::put);
    }
    return o;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    chainCalls.shutdownNow();
  }
}
