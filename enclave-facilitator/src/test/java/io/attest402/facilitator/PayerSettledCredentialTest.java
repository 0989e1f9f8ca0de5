package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.credential.CredentialOptions;
import io.attest402.facilitator.http.FacilitatorRoutes;
import io.attest402.testkit.VertxTesting;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.credential.Credential;
import io.attest402.x402.credential.CredentialClaim;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.server.DeliveryStore;
import io.attest402.x402.server.PaidResponse;
import io.attest402.x402.server.PaidRoute;
import io.attest402.x402.server.PaymentOption;
import io.attest402.x402.server.SqliteDeliveryStore;
import io.attest402.x402.server.X402PaymentHandler;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * The payer-settled path on a real anvil, over real HTTP: a payer sends USDC to the provider
 * itself, claims a credential at {@code POST /credentials} with its signature, and buys the
 * resource with {@code Authorization: Bearer}; the resource server checks the JWT offline against
 * the facilitator's key. Every refusal the path promises, on both sides.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PayerSettledCredentialTest {
  static final BigInteger PRICE = BigInteger.valueOf(1_300);
  static final int CONFIRMATIONS = 2;

  Chain chain;
  FacilitatorServer server;
  String url;
  EnclaveKey facilitatorKey;
  String payTo;
  String usdc;
  Vertx vertx;
  HttpServer provider;
  DeliveryStore deliveries;
  final AtomicInteger served = new AtomicInteger();

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    this.chain = chain;
    server =
        TestKit.startFacilitator(
            chain,
            dir.resolve("facilitator"),
            FacilitatorOptions.defaults().withPollInterval(Duration.ofMillis(50)),
            TestKit.networks(chain),
            k -> (f, prev) -> java.util.Optional.empty());
    server
        .facilitator()
        .useCredentialOptions(new CredentialOptions(CONFIRMATIONS, Duration.ofMinutes(5)));
    url = TestKit.url(server);
    facilitatorKey = server.facilitator().key();
    payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    usdc = chain.deployment().contracts().usdc();

    vertx = Vertx.vertx();
    deliveries = SqliteDeliveryStore.inMemory();
    PaymentOption option =
        PaymentOption.fixed(
            chain.deployment().network(),
            usdc,
            chain.deployment().usdc().name(),
            chain.deployment().usdc().version(),
            payTo,
            PRICE);
    PaidRoute work =
        (ctx, p) -> {
          served.incrementAndGet();
          return Future.succeededFuture(
              PaidResponse.json(
                  X402Json.write(Wire.newObject().put("summary", "paid by " + p.payer()))));
        };
    Router router = Router.router(vertx);
    router.get("/paid").handler(handler(option, work, Clock.systemUTC()));
    // the same resource server an hour later: every credential issued now has expired
    router
        .get("/later")
        .handler(handler(option, work, Clock.offset(Clock.systemUTC(), Duration.ofHours(1))));
    provider = VertxTesting.listen(vertx, router);
  }

  X402PaymentHandler handler(PaymentOption option, PaidRoute work, Clock clock) {
    return X402PaymentHandler.builder(HttpFacilitatorClient.of(url))
        .accept(option)
        .route(work)
        .deliveryStore(deliveries)
        .clock(clock)
        .credentialIssuers(() -> List.of(facilitatorKey.publicKey()))
        .build();
  }

  @AfterAll
  void tearDown() throws Exception {
    if (provider != null) {
      VertxTesting.await(provider.close());
    }
    if (vertx != null) {
      VertxTesting.await(vertx.close());
    }
    if (deliveries != null) {
      deliveries.close();
    }
    if (server != null) {
      server.close();
    }
  }

  // ------------------------------------------------------------------------------------------
  // helpers

  String resource(String path) {
    return "http://127.0.0.1:" + provider.actualPort() + path;
  }

  /** A fresh account with ETH for gas and {@code usdcUnits} of USDC. */
  Credentials payer(BigInteger usdcUnits) throws Exception {
    Credentials c = Credentials.create(Keys.createEcKeyPair());
    TestKit.fund(chain, c.getAddress(), BigDecimal.ONE);
    if (usdcUnits.signum() > 0) {
      TestKit.usdc(chain).mint(c.getAddress(), usdcUnits).send();
    }
    return c;
  }

  /** A plain ERC-20 transfer from {@code from}, mined; its transaction hash. */
  String transfer(Credentials from, String to, BigInteger amount) throws Exception {
    TestUSDC token = TestUSDC.load(usdc, chain.web3j(), chain.txManager(from), chain.gas());
    TransactionReceipt r = token.transfer(to, amount).send();
    assertEquals("0x1", r.getStatus());
    return r.getTransactionHash();
  }

  PaymentRequirements requirements(BigInteger amount) {
    return TestKit.requirements(chain, usdc, payTo, amount);
  }

  ObjectNode claimBody(
      String tx, String resource, PaymentRequirements req, Credentials signer, String facilitator) {
    ObjectNode o = Wire.newObject();
    o.put("transaction", tx);
    o.put("resource", resource);
    o.set("paymentRequirements", req.toJson());
    o.put(
        "signature",
        CredentialClaim.sign(req.network(), tx, resource, facilitator, signer.getEcKeyPair()));
    return o;
  }

  TestKit.Answer claim(String tx, String resource, PaymentRequirements req, Credentials signer) {
    return TestKit.post(
        url + "/credentials",
        X402Json.write(claimBody(tx, resource, req, signer, facilitatorKey.address())));
  }

  TestKit.Answer call(String path, String bearer) {
    return TestKit.send(
        HttpRequest.newBuilder(URI.create(resource(path)))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + bearer)
            .GET()
            .build());
  }

  /** Paid {@code amount} on chain, confirmed, and a credential for {@code resource}. */
  String credential(Credentials payer, BigInteger amount, String resource) throws Exception {
    String tx = transfer(payer, payTo, amount);
    chain.mine();
    TestKit.Answer a = claim(tx, resource, requirements(amount), payer);
    assertEquals(200, a.status(), a.text());
    return a.json().path("credential").asText();
  }

  // ------------------------------------------------------------------------------------------ the
  // path

  @Test
  void aTransferThePayerSentItselfBuysTheResourceOnceWithABearerCredential() throws Exception {
    Credentials payer = payer(PRICE);
    String tx = transfer(payer, payTo, PRICE);
    chain.mine();
    TestKit.Answer issued = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(200, issued.status(), issued.text());
    String jwt = issued.json().path("credential").asText();
    assertTrue(payer.getAddress().equalsIgnoreCase(issued.json().path("payer").asText()));

    // the JWKS serves the attested key, and the JWT verifies against it with the claims promised
    TestKit.Answer jwks = TestKit.get(url + "/.well-known/jwks.json");
    assertEquals(200, jwks.status());
    ECKey jwk = JWKSet.parse(jwks.text()).getKeys().get(0).toECKey();
    assertEquals(Credential.jwk(facilitatorKey.publicKey()).toJSONString(), jwk.toJSONString());
    assertEquals("secp256k1", jwk.getCurve().getName());
    assertEquals(facilitatorKey.address(), jwk.getKeyID());
    Credential c =
        io.attest402.x402.credential.CredentialVerifier.verify(
            jwt, List.of(facilitatorKey.publicKey()), Instant.now());
    assertEquals(facilitatorKey.address(), c.issuer());
    assertEquals(tx.toLowerCase(), c.tx());
    assertEquals(PRICE, c.amount());
    assertTrue(c.payTo().equalsIgnoreCase(payTo));
    assertTrue(c.asset().equalsIgnoreCase(usdc));
    assertEquals(chain.deployment().network(), c.network());
    assertEquals(resource("/paid"), c.resource());
    assertTrue(c.expiresAt().isAfter(Instant.now()));

    int before = served.get();
    TestKit.Answer paid = call("/paid", jwt);
    assertEquals(200, paid.status(), paid.text());
    assertTrue(
        paid.json().path("summary").asText().equalsIgnoreCase("paid by " + payer.getAddress()),
        paid.text());
    assertEquals(before + 1, served.get());

    // re-used: the same credential buys nothing more
    TestKit.Answer again = call("/paid", jwt);
    assertEquals(401, again.status(), again.text());
    assertTrue(again.json().path("error").asText().contains("already used"), again.text());
    assertEquals(before + 1, served.get());

    // the same claim again (a lost answer) gets the same credential, not a second one
    TestKit.Answer retry = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(200, retry.status(), retry.text());
    assertEquals(jwt, retry.json().path("credential").asText());
    // the transfer cannot buy a credential for another resource: one credential per transfer
    TestKit.Answer other = claim(tx, resource("/other"), requirements(PRICE), payer);
    assertEquals(409, other.status(), other.text());
    assertEquals("credential_already_issued", other.json().path("reason").asText());
  }

  @Test
  void aCredentialThatHasExpiredIsRefused() throws Exception {
    String jwt = credential(payer(PRICE), PRICE, resource("/later"));
    int before = served.get();
    TestKit.Answer a = call("/later", jwt);
    assertEquals(401, a.status(), a.text());
    assertTrue(a.json().path("error").asText().contains("expired"), a.text());
    assertTrue(a.text().length() > 0);
    assertNotNull(a.json());
    assertEquals(before, served.get());
  }

  @Test
  void aCredentialForAnotherResourceIsRefused() throws Exception {
    String jwt = credential(payer(PRICE), PRICE, resource("/elsewhere"));
    TestKit.Answer a = call("/paid", jwt);
    assertEquals(401, a.status(), a.text());
    assertTrue(a.json().path("error").asText().contains("resource"), a.text());
  }

  @Test
  void aCredentialForLessThanThePriceIsRefused() throws Exception {
    BigInteger less = PRICE.subtract(BigInteger.ONE);
    String jwt = credential(payer(PRICE), less, resource("/paid"));
    int before = served.get();
    TestKit.Answer a = call("/paid", jwt);
    assertEquals(401, a.status(), a.text());
    assertTrue(a.json().path("error").asText().contains("less than the price"), a.text());
    assertEquals(before, served.get());
  }

  @Test
  void aCredentialFromAnUntrustedKeyOrAlteredIsRefused() throws Exception {
    EnclaveKey stranger = InMemoryEnclaveKey.generate(TestKit.RANDOM);
    Instant now = Instant.now();
    String forged =
        new Credential(
                stranger.address(),
                "0x" + "11".repeat(20),
                payTo,
                usdc,
                PRICE,
                chain.deployment().network(),
                "0x" + "22".repeat(32),
                resource("/paid"),
                now,
                now.plusSeconds(300),
                UUID.randomUUID().toString())
            .sign(stranger::signDigestRsv);
    TestKit.Answer a = call("/paid", forged);
    assertEquals(401, a.status(), a.text());
    assertTrue(a.json().path("error").asText().contains("not a facilitator this server trusts"));

    String jwt = credential(payer(PRICE), PRICE, resource("/paid"));
    String[] parts = jwt.split("\\.");
    ObjectNode claims =
        (ObjectNode) X402Json.parse(new String(java.util.Base64.getUrlDecoder().decode(parts[1])));
    claims.put("amount", "999999999");
    String altered =
        parts[0]
            + "."
            + java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(X402Json.write(claims).getBytes())
            + "."
            + parts[2];
    TestKit.Answer b = call("/paid", altered);
    assertEquals(401, b.status(), b.text());
    assertTrue(b.json().path("error").asText().contains("does not verify"), b.text());
  }

  // ------------------------------------------------------------------------------------------ the
  // claim

  @Test
  void aClaimSignedBySomeoneOtherThanThePayerIsRefused() throws Exception {
    Credentials payer = payer(PRICE);
    String tx = transfer(payer, payTo, PRICE);
    chain.mine();
    Credentials onlooker = payer(BigInteger.ZERO);
    TestKit.Answer a = claim(tx, resource("/paid"), requirements(PRICE), onlooker);
    assertEquals(400, a.status(), a.text());
    assertEquals("signer_not_payer", a.json().path("reason").asText());

    // the payer's signature for another facilitator is worthless here
    TestKit.Answer b =
        TestKit.post(
            url + "/credentials",
            X402Json.write(
                claimBody(
                    tx, resource("/paid"), requirements(PRICE), payer, "0x" + "33".repeat(20))));
    assertEquals(400, b.status(), b.text());
    assertEquals("signer_not_payer", b.json().path("reason").asText());

    // and the payer itself still gets its credential: the refusals did not use the transfer up
    TestKit.Answer c = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(200, c.status(), c.text());
  }

  @Test
  void aFailedTransactionIsRefused() throws Exception {
    Credentials broke = payer(BigInteger.ZERO);
    // a transfer the token reverts (no balance), mined with a fixed gas limit
    String data =
        org.web3j.abi.FunctionEncoder.encode(
            new org.web3j.abi.datatypes.Function(
                "transfer",
                List.of(
                    new org.web3j.abi.datatypes.Address(payTo),
                    new org.web3j.abi.datatypes.generated.Uint256(PRICE)),
                List.of()));
    BigInteger gasPrice = chain.web3j().ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);
    EthSendTransaction sent =
        chain
            .txManager(broke)
            .sendTransaction(gasPrice, BigInteger.valueOf(100_000), usdc, data, BigInteger.ZERO);
    assertTrue(!sent.hasError(), () -> sent.getError().getMessage());
    String tx = sent.getTransactionHash();
    TestKit.waitUntil(
        "the reverted transfer mined",
        Duration.ofSeconds(30),
        () -> {
          try {
            return chain
                .web3j()
                .ethGetTransactionReceipt(tx)
                .send()
                .getTransactionReceipt()
                .isPresent();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    chain.mine();
    TestKit.Answer a = claim(tx, resource("/paid"), requirements(PRICE), broke);
    assertEquals(400, a.status(), a.text());
    assertEquals("transaction_failed", a.json().path("reason").asText());
  }

  @Test
  void tooFewConfirmationsAreRefusedUntilTheBlocksCome() throws Exception {
    Credentials payer = payer(PRICE);
    String tx = transfer(payer, payTo, PRICE);
    TestKit.Answer early = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(409, early.status(), early.text());
    assertEquals("insufficient_confirmations", early.json().path("reason").asText());
    chain.mine();
    TestKit.Answer later = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(200, later.status(), later.text());
  }

  @Test
  void aTransferOfLessThanTheClaimedAmountIsRefused() throws Exception {
    Credentials payer = payer(PRICE);
    String tx = transfer(payer, payTo, BigInteger.valueOf(5));
    chain.mine();
    TestKit.Answer a = claim(tx, resource("/paid"), requirements(PRICE), payer);
    assertEquals(400, a.status(), a.text());
    assertEquals("insufficient_amount", a.json().path("reason").asText());
  }

  @Test
  void malformedClaimsGetPrecise400s() throws Exception {
    Credentials payer = payer(BigInteger.ZERO);
    String unknownTx = "0x" + "ab".repeat(32);
    assertEquals(404, claim(unknownTx, resource("/paid"), requirements(PRICE), payer).status());
    ObjectNode good =
        claimBody(
            unknownTx, resource("/paid"), requirements(PRICE), payer, facilitatorKey.address());
    record Case(String field, JsonNode value, String expect) {}
    List<Case> cases =
        List.of(
            new Case("transaction", Wire.newObject().textNode("0x1234"), "transaction"),
            new Case("signature", Wire.newObject().textNode("0xdead"), "signature"),
            new Case("resource", Wire.newObject().textNode("not a url"), "resource"),
            new Case("paymentRequirements", Wire.newObject().textNode("x"), "paymentRequirements"));
    for (Case c : cases) {
      ObjectNode body = good.deepCopy();
      body.set(c.field(), c.value());
      TestKit.Answer a = TestKit.post(url + "/credentials", X402Json.write(body));
      assertEquals(400, a.status(), c.field() + ": " + a.text());
      assertTrue(a.json().path("error").asText().contains(c.expect()), a.text());
    }
    ObjectNode noSig = good.deepCopy();
    noSig.remove("signature");
    assertEquals(400, TestKit.post(url + "/credentials", X402Json.write(noSig)).status());
    assertEquals(400, TestKit.post(url + "/credentials", "{not json").status());
    assertEquals(
        413,
        TestKit.post(url + "/credentials", "{\"x\":\"" + "a".repeat(2 << 20) + "\"}").status());
  }

  /**
   * Each claim costs chain reads: one client that floods {@code POST /credentials} gets 429 with
   * {@code Retry-After} from its own bucket, before its body is looked at; another client still
   * gets its answer. (Own source addresses, so the other tests' claims from 127.0.0.1 keep their
   * budget.)
   */
  @Test
  void aClaimFloodFromOneClientIsLimitedAndOthersAreNot() throws Exception {
    int port = URI.create(url).getPort();
    String limited = null;
    int answered = 0;
    for (int i = 0;
        i <= FacilitatorRoutes.CREDENTIAL_CLAIMS_PER_CLIENT_PER_MINUTE && limited == null;
        i++) {
      String r = rawPost("127.0.0.9", port, "/credentials", "{not json");
      if (r.startsWith("HTTP/1.1 429")) {
        limited = r;
      } else {
        assertTrue(r.startsWith("HTTP/1.1 400"), r);
        answered++;
      }
    }
    assertNotNull(limited, "a claim flood from one client is limited");
    assertEquals(FacilitatorRoutes.CREDENTIAL_CLAIMS_PER_CLIENT_PER_MINUTE, answered);
    assertTrue(limited.toLowerCase(java.util.Locale.ROOT).contains("retry-after:"), limited);
    assertTrue(limited.contains("rate_limited"), limited);
    assertTrue(
        rawPost("127.0.0.10", port, "/credentials", "{not json").startsWith("HTTP/1.1 400"),
        "another client still gets its answer");
  }

  static String rawPost(String fromAddress, int port, String path, String body) throws Exception {
    byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (java.net.Socket s = new java.net.Socket()) {
      s.bind(new java.net.InetSocketAddress(fromAddress, 0));
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
      s.setSoTimeout(60_000);
      s.getOutputStream()
          .write(
              ("POST "
                      + path
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      + "Content-Length: "
                      + b.length
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().write(b);
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }
}
