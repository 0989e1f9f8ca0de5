package io.attest402.demo.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import io.attest402.contracts.chain.Deployment;
import io.attest402.x402.client.TrustHook;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.credential.Credential;
import io.attest402.x402.credential.CredentialClaim;
import io.attest402.x402.credential.CredentialException;
import io.attest402.x402.credential.CredentialVerifier;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.exceptions.TransactionException;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;

/**
 * The payer-settled path for one request: read the 402, check trust, pay the price with a plain
 * ERC-20 {@code transfer} from the payer's own account, claim a credential at the facilitator the
 * 402 names (signing the claim), check it offline against the facilitator's attested key, and ask
 * again with {@code Authorization: Bearer}.
 */
final class OnChainPayer {
  /** How long to wait for the confirmations the facilitator asks for. */
  static final Duration CONFIRMATION_WAIT = Duration.ofSeconds(120);

  /** What happened; {@code outcome} as {@link SummaryAgent.Result#outcome()}. */
  record Outcome(
      String outcome,
      List<String> problems,
      int httpStatus,
      byte[] body,
      BigInteger amount,
      String payTo,
      String transaction,
      String credentialCheck) {
    static Outcome refused(String why, int status) {
      return new Outcome("refused", List.of(why), status, null, null, null, null, null);
    }
  }

  /**
   * The facilitator's attested public key (65 bytes), or null to take it from its JWKS unchecked
   * ({@code --trust none}).
   */
  interface AttestedKey {
    byte[] of(String facilitatorUrl) throws IOException, InterruptedException;
  }

  private final Deployment deployment;
  private final Credentials payer;
  private final HttpClient http;
  private final Clock clock;

  OnChainPayer(Deployment deployment, Credentials payer, HttpClient http, Clock clock) {
    this.deployment = deployment;
    this.payer = payer;
    this.http = http;
    this.clock = clock;
  }

  Outcome pay(
      URI url,
      byte[] document,
      String contentType,
      BigInteger maxAmount,
      TrustHook trust,
      AttestedKey attested,
      Consumer<SummaryAgent.Step> record)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    HttpResponse<byte[]> first = send(url, document, contentType, null);
    String header = first.headers().firstValue(HeaderCodec.PAYMENT_REQUIRED).orElse(null);
    if (first.statusCode() != 402 || header == null) {
      return new Outcome(
          "not-required",
          List.of(),
          first.statusCode(),
          first.body(),
          BigInteger.ZERO,
          null,
          null,
          null);
    }
    PaymentRequired pr = HeaderCodec.DEFAULT.decodePaymentRequired(header);
    String usdc = deployment.contracts().usdc();
    Optional<PaymentRequirements> offer =
        pr.accepts().stream()
            .filter(
                o -> deployment.network().equals(o.network()) && usdc.equalsIgnoreCase(o.asset()))
            .findFirst();
    if (offer.isEmpty()) {
      return Outcome.refused(
          "no offer in USDC on " + deployment.network() + " to pay on chain", 402);
    }
    PaymentRequirements chosen = offer.get();
    if (chosen.amount().compareTo(maxAmount) > 0) {
      return Outcome.refused(
          "price " + chosen.amount() + " is above --max-amount " + maxAmount, 402);
    }
    TrustHook.Decision d = trust.evaluate(new TrustHook.Request(url, pr, chosen));
    if (!d.allowed()) {
      return Outcome.refused(String.join("; ", d.reasons()), 402);
    }
    JsonNode f =
        pr.extensions() == null
            ? null
            : pr.extensions()
                .path(Erc8004TrustHook.EXTENSION)
                .path("info")
                .path("facilitator")
                .path("url");
    if (f == null || !f.isTextual()) {
      return Outcome.refused("the 402 names no facilitator to issue a credential", 402);
    }
    String facilitatorUrl = f.asText().replaceAll("/+$", "");
    byte[] key = attested.of(facilitatorUrl);
    if (key == null) {
      key = jwksKey(facilitatorUrl);
    }
    String facilitator = Credential.address(key);

    String tx = transfer(chosen.payTo(), chosen.amount());
    record.accept(
        new SummaryAgent.Step(
            "paid on chain",
            (System.nanoTime() - t0) / 1_000_000,
            chosen.amount() + " base units to " + chosen.payTo() + " by transfer, tx " + tx));

    long t1 = System.nanoTime();
    String resource = pr.resource().url();
    ObjectNode claim = Wire.newObject();
    claim.put("transaction", tx);
    claim.put("resource", resource);
    claim.set("paymentRequirements", chosen.toJson());
    claim.put(
        "signature",
        CredentialClaim.sign(chosen.network(), tx, resource, facilitator, payer.getEcKeyPair()));
    String jwt = claimCredential(facilitatorUrl, X402Json.write(claim));
    String check;
    try {
      Credential c = CredentialVerifier.verify(jwt, List.of(key), clock.instant());
      if (!c.tx().equalsIgnoreCase(tx) || c.amount().compareTo(chosen.amount()) < 0) {
        return new Outcome(
            "failed",
            List.of("the credential is not for this payment: tx " + c.tx() + ", " + c.amount()),
            0,
            null,
            chosen.amount(),
            chosen.payTo(),
            tx,
            null);
      }
      check =
          "valid: credential "
              + c.id()
              + " signed by the attested facilitator key "
              + c.issuer()
              + ", until "
              + c.expiresAt();
    } catch (CredentialException e) {
      return new Outcome(
          "failed",
          List.of("INVALID credential: " + e.getMessage()),
          0,
          null,
          chosen.amount(),
          chosen.payTo(),
          tx,
          null);
    }
    record.accept(new SummaryAgent.Step("credential", (System.nanoTime() - t1) / 1_000_000, check));

    long t2 = System.nanoTime();
    HttpResponse<byte[]> paid = send(url, document, contentType, jwt);
    record.accept(
        new SummaryAgent.Step(
            "served", (System.nanoTime() - t2) / 1_000_000, "HTTP " + paid.statusCode()));
    boolean ok = paid.statusCode() < 400;
    return new Outcome(
        ok ? "paid" : "failed",
        ok
            ? List.of()
            : List.of(
                "the provider refused the credential: HTTP "
                    + paid.statusCode()
                    + " "
                    + new String(paid.body(), java.nio.charset.StandardCharsets.UTF_8)),
        paid.statusCode(),
        paid.body(),
        chosen.amount(),
        chosen.payTo(),
        tx,
        check);
  }

  private HttpResponse<byte[]> send(URI url, byte[] document, String type, String bearer)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(120));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    if (document != null) {
      b.header("Content-Type", type == null ? "text/plain" : type)
          .POST(HttpRequest.BodyPublishers.ofByteArray(document));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private byte[] jwksKey(String facilitatorUrl) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(facilitatorUrl + "/.well-known/jwks.json"))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("facilitator JWKS answered HTTP " + r.statusCode());
    }
    try {
      ECKey k = JWKSet.parse(r.body()).getKeys().get(0).toECKey();
      byte[] x = k.getX().decode();
      byte[] y = k.getY().decode();
      byte[] out = new byte[65];
      out[0] = 0x04;
      System.arraycopy(x, 0, out, 33 - x.length, x.length);
      System.arraycopy(y, 0, out, 65 - y.length, y.length);
      return out;
    } catch (java.text.ParseException | RuntimeException e) {
      throw new IOException("facilitator JWKS is malformed: " + e.getMessage(), e);
    }
  }

  /** A plain ERC-20 transfer from the payer's own account, mined with status 1. */
  private String transfer(String to, BigInteger amount) throws IOException {
    Web3j web3j = Web3j.build(new HttpService(deployment.rpcUrl()));
    try {
      String data =
          FunctionEncoder.encode(
              new Function("transfer", List.of(new Address(to), new Uint256(amount)), List.of()));
      BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice().multiply(BigInteger.TWO);
      EthSendTransaction sent =
          new RawTransactionManager(web3j, payer, deployment.chainId())
              .sendTransaction(
                  gasPrice,
                  BigInteger.valueOf(120_000),
                  deployment.contracts().usdc(),
                  data,
                  BigInteger.ZERO);
      if (sent.hasError()) {
        throw new IOException("the transfer was not accepted: " + sent.getError().getMessage());
      }
      TransactionReceipt r =
          new PollingTransactionReceiptProcessor(web3j, 500, 240)
              .waitForTransactionReceipt(sent.getTransactionHash());
      if (!r.isStatusOK()) {
        throw new IOException("the transfer " + r.getTransactionHash() + " reverted");
      }
      return r.getTransactionHash();
    } catch (TransactionException e) {
      throw new IOException("the transfer was not mined: " + e.getMessage(), e);
    } finally {
      web3j.shutdown();
    }
  }

  /**
   * POST /credentials until the transfer has the confirmations the facilitator asks for. A dev
   * chain (anvil) mines only on transactions, so there the agent mines the blocks it waits for.
   */
  private String claimCredential(String facilitatorUrl, String body)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + CONFIRMATION_WAIT.toNanos();
    while (true) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(facilitatorUrl + "/credentials"))
                  .timeout(Duration.ofSeconds(60))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode answer;
      try {
        answer = X402Json.parse(r.body());
      } catch (RuntimeException e) {
        answer = Wire.newObject();
      }
      if (r.statusCode() == 200 && answer.path("credential").isTextual()) {
        return answer.path("credential").asText();
      }
      boolean waitMore =
          r.statusCode() == 409
              && "insufficient_confirmations".equals(answer.path("reason").asText());
      if (!waitMore || System.nanoTime() > deadline) {
        throw new IOException(
            "the facilitator issued no credential: HTTP "
                + r.statusCode()
                + " "
                + answer.path("error").asText(r.body()));
      }
      if (deployment.accounts() != null) {
        mineOne();
      } else {
        long s = r.headers().firstValue("Retry-After").map(Long::parseLong).orElse(2L);
        Thread.sleep(Duration.ofSeconds(Math.max(1, Math.min(s, 30))).toMillis());
      }
    }
  }

  /** {@code evm_mine} on the dev chain. */
  private void mineOne() throws IOException {
    HttpService rpc = new HttpService(deployment.rpcUrl());
    try {
      Response<?> r =
          new org.web3j.protocol.core.Request<>("evm_mine", List.of(), rpc, Mined.class).send();
      if (r.hasError()) {
        throw new IOException("evm_mine failed: " + r.getError().getMessage());
      }
    } finally {
      rpc.close();
    }
  }

  /** The (ignored) answer of evm_mine. */
  public static final class Mined extends Response<Object> {}
}
