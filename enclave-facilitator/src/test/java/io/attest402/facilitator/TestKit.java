package io.attest402.facilitator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestSmartWallet;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.InMemoryEnclaveKey;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.metrics.FacilitatorMetrics;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.store.SqliteSettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.evm.TransferWithAuthorization;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.FacilitatorRequest;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.tx.Transfer;
import org.web3j.utils.Convert;
import org.web3j.utils.Numeric;

/**
 * Shared pieces of the facilitator tests: chain setup, payment building, HTTP, and on-chain checks.
 */
final class TestKit {
  static final SecureRandom RANDOM = new SecureRandom();
  static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** keccak256("AuthorizationUsed(address,bytes32)"). */
  static final String AUTHORIZATION_USED =
      org.web3j.abi.EventEncoder.encode(TestUSDC.AUTHORIZATIONUSED_EVENT);

  private TestKit() {}

  static String key(int devAccount) {
    return Interop.key(devAccount);
  }

  static Map<String, String> chainEnv(Chain chain) {
    Map<String, String> env = new HashMap<>();
    env.put("RPC_URL", chain.rpcUrl());
    env.put("CHAIN_ID", Long.toString(chain.chainId()));
    return env;
  }

  /**
   * Multicall3 at its canonical address, so the official diagnostics (and ours) give specific
   * reasons.
   */
  static void installMulticall3(Chain chain) {
    Interop.installMulticall3(chain);
  }

  static TestUSDC usdc(Chain chain) {
    return TestUSDC.load(
        chain.deployment().contracts().usdc(),
        chain.web3j(),
        chain.txManager(chain.account(DevAccounts.DEPLOYER)),
        chain.gas());
  }

  /** A TestSmartWallet owned by {@code owner}, holding {@code usdc} base units. */
  static String smartWallet(Chain chain, Credentials owner, BigInteger usdcAmount)
      throws Exception {
    TestSmartWallet w =
        TestSmartWallet.deploy(
                chain.web3j(),
                chain.txManager(chain.account(DevAccounts.DEPLOYER)),
                chain.gas(),
                owner.getAddress())
            .send();
    if (usdcAmount.signum() > 0) {
      usdc(chain).mint(w.getContractAddress(), usdcAmount).send();
    }
    return w.getContractAddress();
  }

  static void fund(Chain chain, String address, BigDecimal eth) throws Exception {
    new Transfer(chain.web3j(), chain.txManager(chain.account(DevAccounts.DEPLOYER)))
        .sendFunds(address, eth, Convert.Unit.ETHER)
        .send();
  }

  /** The deployment's network with TestUSDC plus {@code extraAssets}. */
  static NetworksConfig networks(Chain chain, AssetConfig... extraAssets) {
    List<AssetConfig> assets = new ArrayList<>();
    var d = chain.deployment();
    assets.add(
        new AssetConfig(
            d.contracts().usdc(), d.usdc().name(), d.usdc().version(), d.usdc().decimals()));
    assets.addAll(List.of(extraAssets));
    return new NetworksConfig(List.of(new NetworkConfig(d.network(), d.rpcUrl(), assets)));
  }

  /**
   * A facilitator over {@code chain} with a fresh funded key and its journal in {@code dataDir};
   * started.
   */
  static FacilitatorServer startFacilitator(
      Chain chain,
      Path dataDir,
      FacilitatorOptions options,
      NetworksConfig networks,
      java.util.function.Function<EnclaveKey, ReceiptIssuer> issuerFor)
      throws Exception {
    EnclaveKey key = InMemoryEnclaveKey.generate(RANDOM);
    ReceiptIssuer issuer = issuerFor.apply(key);
    fund(chain, key.address(), BigDecimal.valueOf(100));
    Facilitator f =
        Facilitator.create(
            networks,
            key,
            SqliteSettlementStore.open(dataDir.resolve("settlements.db"), Clock.systemUTC()),
            Clock.systemUTC(),
            options,
            issuer,
            new FacilitatorMetrics());
    FacilitatorServer server = new FacilitatorServer(f, options, "127.0.0.1", 0);
    server.start();
    return server;
  }

  static String url(FacilitatorServer s) {
    return "http://127.0.0.1:" + s.port();
  }

  // ------------------------------------------------------------------------------------------------ payments

  static long now() {
    return System.currentTimeMillis() / 1000;
  }

  static String nonce() {
    byte[] n = new byte[32];
    RANDOM.nextBytes(n);
    return Numeric.toHexString(n);
  }

  static PaymentRequirements requirements(
      Chain chain, String asset, String payTo, BigInteger amount) {
    var d = chain.deployment();
    return PaymentRequirements.exactEvm(
        d.network(), amount, asset, payTo, 300, d.usdc().name(), d.usdc().version());
  }

  /** An authorization from {@code from} signed by {@code signer} under {@code domain}. */
  static ExactEvmPayload sign(
      Eip712Domain domain, ExactEvmPayload.Authorization a, Credentials signer) {
    byte[] digest = TransferWithAuthorization.digest(domain, a);
    return new ExactEvmPayload(Signatures.sign(digest, signer.getEcKeyPair()), a);
  }

  static ExactEvmPayload.Authorization auth(String from, String to, BigInteger value) {
    return new ExactEvmPayload.Authorization(
        from, to, value, BigInteger.ZERO, BigInteger.valueOf(now() + 300), nonce());
  }

  /**
   * A request body: {@code accepted} is {@code accepted}, the facilitator is asked about {@code
   * req}.
   */
  static String body(
      PaymentRequirements accepted, PaymentRequirements req, ExactEvmPayload payload) {
    PaymentPayload p =
        new PaymentPayload(
            new ResourceInfo("http://localhost/weather", "Weather", "application/json"),
            accepted,
            payload.toJson(),
            null);
    return X402Json.write(new FacilitatorRequest(p, req).toJson());
  }

  static String body(PaymentRequirements req, ExactEvmPayload payload) {
    return body(req, req, payload);
  }

  /** A valid EOA payment of {@code amount} from dev account {@code payer} to {@code payTo}. */
  static String payment(Chain chain, Credentials payer, String payTo, BigInteger amount) {
    PaymentRequirements req =
        requirements(chain, chain.deployment().contracts().usdc(), payTo, amount);
    return body(req, sign(Eip712Domain.of(req), auth(payer.getAddress(), payTo, amount), payer));
  }

  // ------------------------------------------------------------------------------------------------ HTTP

  record Answer(int status, JsonNode json, String text) {}

  static Answer post(String url, String body) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(90))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  /** POST with an {@code Idempotency-Key} header (null: none). */
  static Answer post(String url, String body, String idempotencyKey) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(90))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return send(b.build());
  }

  static Answer get(String url) {
    return send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  /** GET with an {@code Idempotency-Key} header. */
  static Answer get(String url, String idempotencyKey) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Idempotency-Key", idempotencyKey)
            .GET()
            .build());
  }

  static Answer send(HttpRequest r) {
    try {
      HttpResponse<String> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
      JsonNode json;
      try {
        json = X402Json.parse(resp.body());
      } catch (RuntimeException notJson) {
        json = null;
      }
      return new Answer(resp.statusCode(), json, resp.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String nonceOf(String body) {
    return X402Json.parse(body)
        .path("paymentPayload")
        .path("payload")
        .path("authorization")
        .path("nonce")
        .asText();
  }

  static ObjectNode mutable(String body) {
    return (ObjectNode) X402Json.parse(body);
  }

  // ------------------------------------------------------------------------------------------------ chain

  /** How many AuthorizationUsed(authorizer, nonce) events the token emitted. */
  static int authorizationUsedCount(Chain chain, String authorizer, String nonce)
      throws IOException {
    EthFilter f =
        new EthFilter(
            DefaultBlockParameterName.EARLIEST,
            DefaultBlockParameterName.LATEST,
            chain.deployment().contracts().usdc());
    f.addSingleTopic(AUTHORIZATION_USED);
    f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(authorizer), 64));
    f.addSingleTopic(nonce.toLowerCase(java.util.Locale.ROOT));
    EthLog logs = chain.web3j().ethGetLogs(f).send();
    if (logs.hasError()) {
      throw new IOException(logs.getError().getMessage());
    }
    return logs.getLogs().size();
  }

  static void waitUntil(String what, Duration timeout, java.util.function.BooleanSupplier cond) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (cond.getAsBoolean()) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("timed out waiting for " + what);
  }
}
