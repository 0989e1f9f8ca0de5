package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.client.PayingHttpClient;
import io.attest402.x402.client.PaymentResult;
import io.attest402.x402.client.Refusal;
import io.attest402.x402.client.SpendPolicy;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.facilitator.FacilitatorClient;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.testing.Paying;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The four interop tests of issue 3, on anvil with our TestUSDC, against every facilitator in
 * {@link Facilitators#all()}: (1) the official @x402/fetch client pays a Vert.x route served by our
 * handler; (2) our paying client pays an official @x402/express server; (3) the facilitator is the
 * official one today (and ours once it exists); (4) what our client signs passes the facilitator's
 * /verify with the same outcome as our verifier, case by case, and what the official client signs
 * passes our verifier.
 */
@ExtendWith(ChainExtension.class)
@SuppressWarnings("unchecked")
class X402InteropTest {
  static final BigInteger PRICE = BigInteger.valueOf(12_345);
  static final int SETTLER = 4;
  static Vertx vertx;
  static final Map<FacilitatorUnderTest, FacilitatorUnderTest.Running> RUNNING =
      new ConcurrentHashMap<>();

  static List<FacilitatorUnderTest> facilitators() {
    return Facilitators.all();
  }

  @BeforeAll
  static void start(Chain chain) {
    Interop.installMulticall3(chain);
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    RUNNING.values().forEach(FacilitatorUnderTest.Running::close);
    RUNNING.clear();
    if (vertx != null) {
      VertxTesting.await(vertx.close());
    }
  }

  static FacilitatorUnderTest.Running facilitator(FacilitatorUnderTest f, Chain chain) {
    return RUNNING.computeIfAbsent(f, k -> k.start(chain, SETTLER));
  }

  static HttpFacilitatorClient client(FacilitatorUnderTest.Running f) {
    return HttpFacilitatorClient.builder(URI.create(f.url()))
        .timeout(Duration.ofSeconds(60))
        .build();
  }

  static ExactEvmVerifier ourVerifier(Chain chain) {
    return new ExactEvmVerifier(new Web3jChainAccess(chain.web3j()), Clock.systemUTC());
  }

  /**
   * Delegates to the facilitator, but first runs our verifier on every payment it is asked to
   * verify.
   */
  static final class CheckingFacilitator implements FacilitatorClient {
    final FacilitatorClient delegate;
    final ExactEvmVerifier ours;
    final List<VerifyResponse> ourVerdicts = new CopyOnWriteArrayList<>();
    final List<PaymentPayload> verified = new CopyOnWriteArrayList<>();

    CheckingFacilitator(FacilitatorClient delegate, ExactEvmVerifier ours) {
      this.delegate = delegate;
      this.ours = ours;
    }

    @Override
    public CompletableFuture<VerifyResponse> verify(
        PaymentPayload payload, PaymentRequirements requirements) {
      return CompletableFuture.supplyAsync(
              () -> {
                verified.add(payload);
                ourVerdicts.add(ours.verify(payload, requirements));
                return null;
              })
          .thenCompose(x -> delegate.verify(payload, requirements));
    }

    @Override
    public CompletableFuture<SettleResponse> settle(
        PaymentPayload payload, PaymentRequirements requirements) {
      return delegate.settle(payload, requirements);
    }

    @Override
    public CompletableFuture<SupportedResponse> supported() {
      return delegate.supported();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("facilitators")
  void officialFetchClientPaysOurVertxRoute(FacilitatorUnderTest f, Chain chain) throws Exception {
    FacilitatorUnderTest.Running fac = facilitator(f, chain);
    String payTo = chain.deployment().account("provider").address();
    String asset = chain.deployment().contracts().usdc();
    Credentials agent = chain.account(DevAccounts.AGENT);
    CheckingFacilitator checking = new CheckingFacilitator(client(fac), ourVerifier(chain));
    List<String> sentPaymentResponses = new CopyOnWriteArrayList<>();

    Router router = Router.router(vertx);
    router
        .route()
        .handler(
            ctx -> {
              ctx.addHeadersEndHandler(
                  v -> {
                    String h = ctx.response().headers().get(HeaderCodec.PAYMENT_RESPONSE);
                    if (h != null) {
                      sentPaymentResponses.add(h);
                    }
                  });
              ctx.next();
            });
    router
        .get("/weather")
        .handler(
            X402PaymentHandler.builder(checking)
                .accept(
                    PaymentOption.fixed(
                            chain.deployment().network(), asset, "USD Coin", "2", payTo, PRICE)
                        .withMaxTimeoutSeconds(60))
                .description("Weather data")
                .mimeType("application/json")
                .route(
                    (ctx, payment) ->
                        Future.succeededFuture(PaidResponse.json("{\"report\":\"sunny\"}")))
                .build());
    HttpServer server = VertxTesting.listen(vertx, router);
    try {
      BigInteger payeeBefore = chain.usdcBalance(payTo);
      BigInteger payerBefore = chain.usdcBalance(agent.getAddress());
      Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
      env.put("PRIVATE_KEY", Interop.key(DevAccounts.AGENT));
      env.put("ASSET", asset);
      env.put("MAX_AMOUNT", PRICE.toString());
      env.put("NETWORK", chain.deployment().network());
      String url = "http://127.0.0.1:" + server.actualPort() + "/weather";
      JsonNode out;
      try (NodeScript s =
          NodeScript.start(
              "official-fetch-client.mjs", List.of(url), env, Duration.ofSeconds(90))) {
        out = s.ready();
      }
      assertTrue(out.path("ok").asBoolean(), out.toString());
      assertEquals(200, out.path("status").asInt(), out.toString());
      assertEquals("{\"report\":\"sunny\"}", out.path("body").asText());

      // PAYMENT-RESPONSE decodes on both sides to the same settlement
      JsonNode theirs = out.path("paymentResponse");
      assertTrue(theirs.path("success").asBoolean(), theirs.toString());
      assertEquals(1, sentPaymentResponses.size());
      SettleResponse ours = HeaderCodec.DEFAULT.decodePaymentResponse(sentPaymentResponses.get(0));
      assertEquals(theirs, X402Json.parse(X402Json.write(ours.toJson())));
      assertTrue(ours.success());
      assertEquals(chain.deployment().network(), ours.network());
      assertTrue(ours.payer().equalsIgnoreCase(agent.getAddress()));

      // funds moved by exactly the price, in the transaction the facilitator reported
      TransactionReceipt receipt =
          chain
              .web3j()
              .ethGetTransactionReceipt(ours.transaction())
              .send()
              .getTransactionReceipt()
              .orElseThrow();
      assertTrue(receipt.isStatusOK());
      assertEquals(payeeBefore.add(PRICE), chain.usdcBalance(payTo));
      assertEquals(payerBefore.subtract(PRICE), chain.usdcBalance(agent.getAddress()));

      // what the official client signed passed our verifier too, and decodes with our codec
      assertEquals(1, checking.ourVerdicts.size());
      assertTrue(
          checking.ourVerdicts.get(0).isValid(), String.valueOf(checking.ourVerdicts.get(0)));
      PaymentPayload sent =
          HeaderCodec.DEFAULT.decodePaymentSignature(out.path("paymentSignatureHeader").asText());
      assertEquals(checking.verified.get(0), sent);
      assertEquals(PRICE, ExactEvmPayload.fromJson(sent.payload()).authorization().value());
    } finally {
      VertxTesting.await(server.close());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("facilitators")
  void ourPayingClientPaysAnOfficialExpressServer(FacilitatorUnderTest f, Chain chain)
      throws Exception {
    FacilitatorUnderTest.Running fac = facilitator(f, chain);
    String payTo = chain.deployment().account("provider").address();
    String asset = chain.deployment().contracts().usdc();
    Credentials agent = chain.account(DevAccounts.AGENT);
    Map<String, String> env = new HashMap<>();
    env.put("FACILITATOR_URL", fac.url());
    env.put("PAY_TO", payTo);
    env.put("ASSET", asset);
    env.put("PRICE", PRICE.toString());
    env.put("NETWORK", chain.deployment().network());
    try (NodeScript express =
        NodeScript.start("official-express-server.mjs", List.of(), env, Interop.START_TIMEOUT)) {
      URI url = URI.create(express.ready().path("url").asText());
      URI failing = url.resolve("/failing");
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      SpendPolicy policy =
          SpendPolicy.builder()
              .maxPerRequest(PRICE)
              .maxPerSession(PRICE.multiply(BigInteger.TEN))
              .allowNetworks(chain.deployment().network())
              .allowAssets(asset)
              .allowPayees(payTo)
              .build();
      PayingHttpClient payer =
          new PayingHttpClient(
              http, new Eip3009Signer(agent, Clock.systemUTC()), policy, TrustHook.allowAll());

      BigInteger payeeBefore = chain.usdcBalance(payTo);
      PaymentResult.Paid<String> paid = Paying.paid(payer, url, Duration.ofSeconds(60));
      assertTrue(paid.httpResponse().body().contains("sunny"));
      assertTrue(chain.receipt(paid.settlement().transaction()).isStatusOK());
      assertEquals(payeeBefore.add(PRICE), chain.usdcBalance(payTo));
      assertEquals(PRICE, policy.spentOn(asset));

      // the handler fails: the official server does not settle, the client sees a failed payment,
      // no money moves
      PaymentResult<String> failed =
          payer.send(HttpRequest.newBuilder(failing).build(), HttpResponse.BodyHandlers.ofString());
      PaymentResult.Failed<String> f500 =
          assertInstanceOf(PaymentResult.Failed.class, failed, String.valueOf(failed));
      assertEquals(500, f500.httpResponse().statusCode());
      assertEquals(payeeBefore.add(PRICE), chain.usdcBalance(payTo));

      // a policy that does not allow the price refuses before signing
      PayingHttpClient stingy =
          new PayingHttpClient(
              http,
              new Eip3009Signer(agent, Clock.systemUTC()),
              SpendPolicy.builder().maxPerRequest(PRICE.subtract(BigInteger.ONE)).build(),
              TrustHook.allowAll());
      PaymentResult<String> refused =
          stingy.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
      PaymentResult.Refused<String> r = assertInstanceOf(PaymentResult.Refused.class, refused);
      assertEquals(Refusal.Code.NO_ACCEPTABLE_OFFER, r.refusal().code());
      assertTrue(
          r.refusal().reasons().get(0).contains("exceeds the per-request cap"),
          r.refusal().toString());

      // a trust hook that says no is honoured, with its reason
      PayingHttpClient wary =
          new PayingHttpClient(
              http,
              new Eip3009Signer(agent, Clock.systemUTC()),
              SpendPolicy.builder().build(),
              req -> TrustHook.Decision.refuse("provider has no reputation"));
      PaymentResult.Refused<String> t =
          assertInstanceOf(
              PaymentResult.Refused.class,
              wary.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString()));
      assertEquals(Refusal.Code.TRUST_REFUSED, t.refusal().code());
      assertEquals(List.of("provider has no reputation"), t.refusal().reasons());
      assertEquals(payeeBefore.add(PRICE), chain.usdcBalance(payTo));
    }
  }

  /** One case of the differential verify test: a payment we sign, possibly bent. */
  record Case(
      String name,
      PaymentPayload payload,
      PaymentRequirements requirements,
      String expectedReason) {
    @Override
    public String toString() {
      return name;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("facilitators")
  void ourPaymentsPassTheFacilitatorsVerifyAndBothAgreeOnEveryReason(
      FacilitatorUnderTest f, Chain chain) throws Exception {
    HttpFacilitatorClient fac = client(facilitator(f, chain));
    ExactEvmVerifier ours = ourVerifier(chain);
    String network = chain.deployment().network();
    String asset = chain.deployment().contracts().usdc();
    String payTo = chain.deployment().account("provider").address();
    PaymentRequirements req =
        PaymentRequirements.exactEvm(network, PRICE, asset, payTo, 60, "USD Coin", "2");
    Credentials agent = chain.account(DevAccounts.AGENT);
    Eip3009Signer signer = new Eip3009Signer(agent, Clock.systemUTC());
    long now = System.currentTimeMillis() / 1000;
    Eip712Domain domain = Eip712Domain.of(req);

    java.util.function.Function<ExactEvmPayload, PaymentPayload> wrap =
        p ->
            new PaymentPayload(
                new ResourceInfo("http://resource", null, null), req, p.toJson(), null);
    java.util.function.BiFunction<String, ExactEvmPayload.Authorization, ExactEvmPayload> signAuth =
        (nonce, a) -> signer.sign(domain, a);
    java.util.function.Function<String, String> nonce = s -> "0x" + s.repeat(32);
    ExactEvmPayload.Authorization base =
        new ExactEvmPayload.Authorization(
            signer.address(),
            io.attest402.x402.evm.Addresses.checksum(payTo),
            PRICE,
            BigInteger.ZERO,
            BigInteger.valueOf(now + 60),
            nonce.apply("a1"));

    // a payment that will be settled first, to test replays
    ExactEvmPayload used =
        signer.sign(
            domain,
            new ExactEvmPayload.Authorization(
                base.from(),
                base.to(),
                PRICE,
                BigInteger.ZERO,
                BigInteger.valueOf(now + 60),
                nonce.apply("a9")));
    SettleResponse settled = fac.settle(wrap.apply(used), req).get(60, TimeUnit.SECONDS);
    assertTrue(settled.success(), String.valueOf(settled));

    PaymentRequirements otherNetwork =
        new PaymentRequirements("exact", "eip155:1", PRICE, asset, payTo, 60, req.extra());
    PaymentRequirements noDomain =
        new PaymentRequirements("exact", network, PRICE, asset, payTo, 60, null);
    Credentials poor = chain.account(7);
    Eip3009Signer poorSigner = new Eip3009Signer(poor, Clock.systemUTC());

    List<Case> cases =
        List.of(
            new Case("valid", wrap.apply(signer.sign(req)), req, null),
            new Case(
                "expired",
                wrap.apply(signAuth.apply("", withTimes(base, 0, now + 3, "a2"))),
                req,
                "invalid_exact_evm_payload_authorization_valid_before"),
            new Case(
                "not yet valid",
                wrap.apply(signAuth.apply("", withTimes(base, now + 120, now + 600, "a3"))),
                req,
                "invalid_exact_evm_payload_authorization_valid_after"),
            new Case(
                "overpaid",
                wrap.apply(signAuth.apply("", withValue(base, PRICE.add(BigInteger.ONE), "a4"))),
                req,
                "invalid_exact_evm_payload_authorization_value_mismatch"),
            new Case(
                "other recipient",
                wrap.apply(signAuth.apply("", withTo(base, agent.getAddress(), "a5"))),
                req,
                "invalid_exact_evm_recipient_mismatch"),
            new Case(
                "wrong signer",
                wrap.apply(
                    new Eip3009Signer(chain.account(5), Clock.systemUTC()).sign(domain, base)),
                req,
                "invalid_exact_evm_signature"),
            new Case(
                "wrong domain version",
                wrap.apply(
                    signer.sign(
                        new Eip712Domain("USD Coin", "1", chain.chainId(), asset),
                        withTimes(base, 0, now + 60, "a6"))),
                req,
                "invalid_exact_evm_signature"),
            new Case(
                "network mismatch",
                new PaymentPayload(null, otherNetwork, signer.sign(req).toJson(), null),
                req,
                "invalid_exact_evm_network_mismatch"),
            new Case(
                "no EIP-712 domain",
                wrap.apply(signer.sign(req)),
                noDomain,
                "invalid_exact_evm_missing_eip712_domain"),
            new Case(
                "insufficient balance",
                wrap.apply(poorSigner.sign(req)),
                req,
                "invalid_exact_evm_insufficient_balance"),
            new Case(
                "replayed nonce", wrap.apply(used), req, "invalid_exact_evm_nonce_already_used"));

    for (Case c : cases) {
      VerifyResponse official = fac.verify(c.payload(), c.requirements()).get(60, TimeUnit.SECONDS);
      VerifyResponse mine = ours.verify(c.payload(), c.requirements());
      assertEquals(
          c.expectedReason() == null, official.isValid(), c + ": facilitator said " + official);
      assertEquals(
          c.expectedReason(), official.invalidReason(), c + ": facilitator said " + official);
      assertEquals(official.isValid(), mine.isValid(), c + ": ours said " + mine);
      assertEquals(official.invalidReason(), mine.invalidReason(), c + ": ours said " + mine);
      assertNotNull(official.payer(), c.name());
      assertTrue(official.payer().equalsIgnoreCase(mine.payer()), c.name());
    }
  }

  static ExactEvmPayload.Authorization withTimes(
      ExactEvmPayload.Authorization a, long after, long before, String n) {
    return new ExactEvmPayload.Authorization(
        a.from(),
        a.to(),
        a.value(),
        BigInteger.valueOf(after),
        BigInteger.valueOf(before),
        "0x" + n.repeat(32));
  }

  static ExactEvmPayload.Authorization withValue(
      ExactEvmPayload.Authorization a, BigInteger v, String n) {
    return new ExactEvmPayload.Authorization(
        a.from(), a.to(), v, a.validAfter(), a.validBefore(), "0x" + n.repeat(32));
  }

  static ExactEvmPayload.Authorization withTo(
      ExactEvmPayload.Authorization a, String to, String n) {
    return new ExactEvmPayload.Authorization(
        a.from(),
        io.attest402.x402.evm.Addresses.checksum(to),
        a.value(),
        a.validAfter(),
        a.validBefore(),
        "0x" + n.repeat(32));
  }
}
