package io.attest402.x402.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.codec.HeaderCodec;
import io.attest402.x402.codec.HeaderFormatException;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.evm.Addresses;
import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Networks;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.extensions.PaymentIdentifier;
import io.attest402.x402.facilitator.FailoverFacilitatorClient;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.X402FormatException;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP client that pays for x402 resources. {@link #send} sends the request; on a 402 it reads
 * the offers ({@code PAYMENT-REQUIRED}, or a v1 body), takes the first offer the {@link
 * SpendPolicy} allows, asks the {@link TrustHook}, signs an EIP-3009 authorization, retries once
 * with {@code PAYMENT-SIGNATURE} ({@code X-PAYMENT} for v1) and decodes {@code PAYMENT-RESPONSE}.
 * Every outcome is a {@link PaymentResult}; refusing to pay is a {@link PaymentResult.Refused} with
 * the reasons, never an exception or a silent pass-through.
 *
 * <p>Blocking (call it off event loops). Request bodies are sent twice, so their publishers must be
 * replayable ({@code ofString}, {@code ofByteArray}, {@code ofFile}). A 402 body over {@value
 * #MAX_402_BODY_BYTES} bytes fails the call with an {@link IOException}.
 */
public final class PayingHttpClient {
  private static final Logger log = LoggerFactory.getLogger(PayingHttpClient.class);

  /** Largest 402 body read (v1 offers travel in the body). */
  public static final int MAX_402_BODY_BYTES = 64 * 1024;

  private final HttpClient http;
  private final Eip3009Signer signer;
  private final SpendPolicy policy;
  private final TrustHook trust;
  private final HeaderCodec codec;
  private final Clock clock;
  private final SecureRandom random;
  private final List<String> demandedFacilitators;
  private final ChainAccess chain;

  public PayingHttpClient(
      HttpClient http,
      Eip3009Signer signer,
      SpendPolicy policy,
      TrustHook trust,
      HeaderCodec codec,
      Clock clock) {
    this.http = Objects.requireNonNull(http, "http");
    this.signer = Objects.requireNonNull(signer, "signer");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.trust = Objects.requireNonNull(trust, "trust");
    this.codec = Objects.requireNonNull(codec, "codec");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = new SecureRandom();
    this.demandedFacilitators = List.of();
    this.chain = null;
  }

  private PayingHttpClient(
      PayingHttpClient base, List<String> demandedFacilitators, ChainAccess chain) {
    this.http = base.http;
    this.signer = base.signer;
    this.policy = base.policy;
    this.trust = base.trust;
    this.codec = base.codec;
    this.clock = base.clock;
    this.random = base.random;
    this.demandedFacilitators = List.copyOf(demandedFacilitators);
    this.chain = chain;
  }

  /**
   * This client reading {@code chain} (the offers' network) for the Permit2 gas-sponsoring
   * extensions, as the official client does with an RPC URL. Paying a Permit2 offer while the
   * payer's Permit2 allowance is below the price: when the 402 declares {@code
   * eip2612GasSponsoring}, it signs an EIP-2612 permit for Permit2 (the token's {@code
   * nonces(owner)} read here) that the facilitator submits with the transfer; otherwise, when it
   * declares {@code erc20ApprovalGasSponsoring}, it signs the payer's own transaction {@code
   * approve(Permit2, MaxUint256)} on the token (nonce and fees read here) that the facilitator
   * funds and broadcasts before the transfer. Without a chain it pays Permit2 offers as they are
   * (the payer must have approved Permit2).
   */
  public PayingHttpClient withChain(ChainAccess chain) {
    return new PayingHttpClient(this, demandedFacilitators, chain);
  }

  /**
   * This client demanding that its v2 payments settle only through the facilitators at {@code urls}
   * (base URLs it trusts): each payment carries the {@value
   * FailoverFacilitatorClient#DEMAND_EXTENSION} extension, which a resource server with a {@link
   * FailoverFacilitatorClient} honours (a server that has none of them refuses with {@value
   * FailoverFacilitatorClient#DEMANDED_NOT_AVAILABLE} and settles nothing). Empty: no demand.
   */
  public PayingHttpClient demandingFacilitators(List<String> urls) {
    return new PayingHttpClient(this, urls, chain);
  }

  /** The facilitators this client demands (empty: any). */
  public List<String> demandedFacilitators() {
    return demandedFacilitators;
  }

  public PayingHttpClient(
      HttpClient http, Eip3009Signer signer, SpendPolicy policy, TrustHook trust) {
    this(http, signer, policy, trust, HeaderCodec.DEFAULT, Clock.systemUTC());
  }

  public SpendPolicy policy() {
    return policy;
  }

  /** Sends {@code request}, paying once if the server asks and policy and trust allow. */
  @SuppressWarnings("unchecked")
  public <T> PaymentResult<T> send(HttpRequest request, HttpResponse.BodyHandler<T> bodyHandler)
      throws IOException, InterruptedException {
    HttpResponse.BodyHandler<Object> first =
        info ->
            info.statusCode() == 402
                ? (HttpResponse.BodySubscriber<Object>)
                    (HttpResponse.BodySubscriber<?>)
                        HttpFacilitatorClient.capped(MAX_402_BODY_BYTES).apply(info)
                : (HttpResponse.BodySubscriber<Object>) bodyHandler.apply(info);
    HttpResponse<Object> response = http.send(request, first);
    if (response.statusCode() != 402) {
      return new PaymentResult.NotRequired<>((HttpResponse<T>) (HttpResponse<?>) response);
    }
    PaymentRequired pr;
    try {
      pr = readPaymentRequired(response);
    } catch (X402FormatException e) {
      return refused(Refusal.Code.MALFORMED_PAYMENT_REQUIRED, List.of(e.getMessage()), null, 402);
    }
    int version = pr.x402Version();

    List<String> problems = new ArrayList<>();
    PaymentRequirements chosen = null;
    for (int i = 0; i < pr.accepts().size(); i++) {
      PaymentRequirements r = pr.accepts().get(i);
      List<String> why = policy.check(r, version);
      if (why.isEmpty()) {
        chosen = r;
        break;
      }
      problems.add(
          "offer "
              + i
              + " ("
              + r.scheme()
              + " "
              + r.amount()
              + " of "
              + r.asset()
              + " on "
              + r.network()
              + "): "
              + String.join(", ", why));
    }
    if (chosen == null) {
      return refused(Refusal.Code.NO_ACCEPTABLE_OFFER, problems, pr, 402);
    }

    TrustHook.Decision decision;
    try {
      decision = trust.evaluate(new TrustHook.Request(request.uri(), pr, chosen));
    } catch (RuntimeException e) {
      decision = TrustHook.Decision.refuse("trust check failed: " + e.getMessage());
    }
    if (decision == null || !decision.allowed()) {
      return refused(
          Refusal.Code.TRUST_REFUSED,
          decision == null ? List.of("trust hook gave no decision") : decision.reasons(),
          pr,
          402);
    }

    if (!policy.reserve(chosen, version)) {
      return refused(Refusal.Code.NO_ACCEPTABLE_OFFER, policy.check(chosen, version), pr, 402);
    }
    PaymentPayload payment;
    try {
      payment = version == 1 ? signV1(chosen) : signV2(pr, chosen);
    } catch (RuntimeException e) {
      policy.release(chosen);
      return refused(Refusal.Code.SIGNING_FAILED, List.of(String.valueOf(e.getMessage())), pr, 402);
    }

    String headerName = version == 1 ? HeaderCodec.X_PAYMENT : HeaderCodec.PAYMENT_SIGNATURE;
    HttpRequest paid =
        HttpRequest.newBuilder(
                request,
                (n, v) ->
                    !n.equalsIgnoreCase(HeaderCodec.PAYMENT_SIGNATURE)
                        && !n.equalsIgnoreCase(HeaderCodec.X_PAYMENT))
            .header(headerName, codec.encodePaymentSignature(payment))
            .build();
    HttpResponse<T> second = sendPaid(paid, bodyHandler, payment);

    SettleResponse settlement = null;
    String settlementProblem = null;
    String responseHeader =
        second
            .headers()
            .firstValue(HeaderCodec.PAYMENT_RESPONSE)
            .or(() -> second.headers().firstValue(HeaderCodec.X_PAYMENT_RESPONSE))
            .orElse(null);
    if (responseHeader != null) {
      try {
        settlement = codec.decodePaymentResponse(responseHeader);
      } catch (HeaderFormatException e) {
        settlementProblem = e.getMessage();
      }
    }
    int status = second.statusCode();
    if (status < 400 && settlement != null && settlement.success()) {
      if (io.attest402.x402.evm.UptoSigner.SCHEME.equals(chosen.scheme())) {
        // upto was reserved at its maximum: count what was charged, and flag a server claiming
        // more than the payer signed for (the maximum stays counted)
        try {
          policy.settle(chosen, settlement.amount());
        } catch (IllegalArgumentException e) {
          log.warn("upto settlement from {}: {}", request.uri(), e.getMessage());
          return new PaymentResult.Failed<>(
              second, chosen, payment, settlement, null, e.getMessage());
        }
      }
      return new PaymentResult.Paid<>(second, chosen, payment, settlement);
    }
    PaymentRequired again = null;
    String prHeader = second.headers().firstValue(HeaderCodec.PAYMENT_REQUIRED).orElse(null);
    if (prHeader != null) {
      try {
        again = codec.decodePaymentRequired(prHeader);
      } catch (HeaderFormatException e) {
        log.debug("unreadable PAYMENT-REQUIRED on the paid retry: {}", e.getMessage());
      }
    }
    String reason;
    if (settlementProblem != null) {
      reason = "unreadable payment response: " + settlementProblem;
    } else if (settlement != null && !settlement.success()) {
      reason =
          "settlement failed: "
              + settlement.errorReason()
              + (settlement.errorMessage() == null ? "" : " (" + settlement.errorMessage() + ")");
    } else if (again != null) {
      reason = "payment refused by the server (" + status + "): " + again.error();
    } else if (status < 400) {
      reason = "served without a payment response (" + status + ")";
    } else {
      reason = "server answered " + status + " to the paid request";
    }
    boolean taken = settlement != null && settlement.success();
    if (!taken && status == 402) {
      policy.release(chosen);
    }
    return new PaymentResult.Failed<>(second, chosen, payment, settlement, again, reason);
  }

  /**
   * Sends the paid request. When the payment carries a {@code payment-identifier}, a lost response
   * (connection closed, timeout) is retried with the identical payment, up to {@value
   * #LOST_RESPONSE_RETRIES} times: the server answers with the response it stored, never with new
   * work or a second charge. Without an id a retry could only be refused as a replay, so the error
   * is thrown.
   */
  private <T> HttpResponse<T> sendPaid(
      HttpRequest paid, HttpResponse.BodyHandler<T> bodyHandler, PaymentPayload payment)
      throws IOException, InterruptedException {
    boolean retryable = PaymentIdentifier.extract(payment).present();
    for (int attempt = 0; ; attempt++) {
      try {
        return http.send(paid, bodyHandler);
      } catch (IOException e) {
        if (!retryable || attempt >= LOST_RESPONSE_RETRIES) {
          throw e;
        }
        log.info(
            "paid request lost its response ({}); retrying with the same payment-identifier",
            e.toString());
        Thread.sleep(200L << attempt);
      }
    }
  }

  /** Retries of a paid request whose response was lost (only with a payment-identifier). */
  public static final int LOST_RESPONSE_RETRIES = 2;

  private <T> PaymentResult<T> refused(
      Refusal.Code code, List<String> reasons, PaymentRequired pr, int status) {
    Refusal r = new Refusal(code, reasons);
    log.info("not paying: {}", r);
    return new PaymentResult.Refused<>(r, pr, status);
  }

  private PaymentRequired readPaymentRequired(HttpResponse<Object> response) {
    String header = response.headers().firstValue(HeaderCodec.PAYMENT_REQUIRED).orElse(null);
    if (header != null) {
      PaymentRequired pr = codec.decodePaymentRequired(header);
      if (pr.x402Version() != 2) {
        throw new X402FormatException(
            "x402Version", "PAYMENT-REQUIRED header must carry version 2, not " + pr.x402Version());
      }
      return pr;
    }
    byte[] body = response.body() instanceof byte[] b ? b : new byte[0];
    String text = new String(body, StandardCharsets.UTF_8);
    if (text.isBlank()) {
      throw new X402FormatException("", "402 without a PAYMENT-REQUIRED header or a v1 body");
    }
    JsonNode json = X402Json.parse(text);
    PaymentRequired pr = PaymentRequired.fromJson(json);
    if (pr.x402Version() != 1) {
      throw new X402FormatException(
          "x402Version",
          "a 402 body is read only for v1; v2 needs the PAYMENT-REQUIRED" + " header");
    }
    return pr;
  }

  /**
   * Echoes the 402's extensions, with a fresh {@code payment-identifier} id when the server
   * declares it.
   */
  private PaymentPayload signV2(PaymentRequired pr, PaymentRequirements chosen) {
    ObjectNode payload;
    ObjectNode extensions =
        PaymentIdentifier.appendTo(pr.extensions(), PaymentIdentifier.generate());
    if (io.attest402.x402.evm.UptoSigner.SCHEME.equals(chosen.scheme())) {
      Permit2Payload p = io.attest402.x402.evm.UptoSigner.sign(signer, chosen, clock, random);
      payload = p.toJson();
      extensions = withGasSponsoring(extensions, chosen, p);
    } else if (Eip3009Signer.isPermit2(chosen)) {
      Permit2Payload p = signer.signPermit2(chosen);
      payload = p.toJson();
      extensions = withGasSponsoring(extensions, chosen, p);
    } else {
      payload = signer.sign(chosen).toJson();
    }
    if (!demandedFacilitators.isEmpty()) {
      extensions = FailoverFacilitatorClient.withDemand(extensions, demandedFacilitators);
    }
    return new PaymentPayload(pr.resource(), chosen, payload, extensions);
  }

  /**
   * The official client's Permit2 extension enrichment, in its order: the {@code
   * eip2612GasSponsoring} permit when it applies, else the {@code erc20ApprovalGasSponsoring}
   * approval when it applies, else nothing. Both need a chain ({@link #withChain}) and a 402 that
   * declares the extension, and both apply only while the payer's Permit2 allowance is below the
   * amount (an allowance that cannot be read counts as too low, as there).
   */
  private ObjectNode withGasSponsoring(
      ObjectNode extensions, PaymentRequirements chosen, Permit2Payload p) {
    if (chain == null || extensions == null) {
      return extensions;
    }
    boolean eip2612 = extensions.has(Eip2612GasSponsoring.KEY);
    boolean erc20 = extensions.has(Erc20ApprovalGasSponsoring.KEY);
    if (!eip2612 && !erc20) {
      return extensions;
    }
    String token = p.authorization().token();
    BigInteger allowance = readUint(token, Permit2.allowanceCalldata(signer.address()));
    if (allowance != null && allowance.compareTo(chosen.amount()) >= 0) {
      return extensions;
    }
    ObjectNode info = eip2612 ? eip2612Permit(chosen, p) : null;
    if (info != null) {
      return merged(extensions, Eip2612GasSponsoring.KEY, info);
    }
    info = erc20 ? erc20Approval(chosen, token) : null;
    return info == null ? extensions : merged(extensions, Erc20ApprovalGasSponsoring.KEY, info);
  }

  /**
   * The official {@code trySignEip2612PermitExtension}'s info: the offer must name the token's
   * EIP-712 domain and the token answer {@code nonces(owner)}; the permit's deadline is the Permit2
   * deadline and its value the amount. Null when it does not apply.
   */
  private ObjectNode eip2612Permit(PaymentRequirements chosen, Permit2Payload p) {
    if (chosen.extraString("name") == null || chosen.extraString("version") == null) {
      return null;
    }
    String token = p.authorization().token();
    BigInteger nonce =
        readUint(
            token,
            org.web3j.abi.FunctionEncoder.encode(
                new org.web3j.abi.datatypes.Function(
                    "nonces",
                    List.of(new org.web3j.abi.datatypes.Address(signer.address())),
                    List.of())));
    if (nonce == null) {
      return null;
    }
    Eip712Domain domain = Eip712Domain.of(chosen);
    BigInteger deadline = p.authorization().deadline();
    ObjectNode info = io.attest402.x402.types.Wire.newObject();
    info.put("from", signer.address());
    info.put("asset", token);
    info.put("spender", Permit2.ADDRESS);
    info.put("amount", chosen.amount().toString());
    info.put("nonce", nonce.toString());
    info.put("deadline", deadline.toString());
    info.put("signature", signer.signEip2612Permit(domain, chosen.amount(), nonce, deadline));
    info.put("version", "1");
    return info;
  }

  /**
   * The official {@code trySignErc20ApprovalExtension}'s info: the payer's own {@code
   * approve(Permit2, MaxUint256)} on the token, at its current nonce ({@code latest}), gas limit
   * 70,000, fees as viem estimates them (the official defaults when the node gives none), for the
   * facilitator to fund and broadcast before it settles. Null when the chain access cannot read the
   * nonce.
   */
  private ObjectNode erc20Approval(PaymentRequirements chosen, String token) {
    BigInteger nonce;
    try {
      nonce = chain.transactionCount(signer.address());
    } catch (UnsupportedOperationException e) {
      return null;
    }
    ChainAccess.Eip1559Fees fees;
    try {
      fees = chain.eip1559Fees();
    } catch (RuntimeException e) {
      fees =
          new ChainAccess.Eip1559Fees(
              Erc20ApprovalGasSponsoring.DEFAULT_MAX_FEE_PER_GAS,
              Erc20ApprovalGasSponsoring.DEFAULT_MAX_PRIORITY_FEE_PER_GAS);
    }
    String signed =
        signer.signPermit2Approval(
            Networks.chainId(chosen.network()),
            token,
            nonce,
            Erc20ApprovalGasSponsoring.CLIENT_GAS_LIMIT,
            fees.maxFeePerGas(),
            fees.maxPriorityFeePerGas());
    return Erc20ApprovalGasSponsoring.clientInfo(signer.address(), token, signed);
  }

  /**
   * {@code extensions} with the payer's {@code info} merged into the declaration under {@code key}
   * as the official client's {@code mergeExtensions} does: the server's fields stay as declared,
   * the payer's are added where the server has none (the official server refuses an echo that drops
   * or changes what it advertised).
   */
  private static ObjectNode merged(ObjectNode extensions, String key, ObjectNode info) {
    ObjectNode out = extensions.deepCopy();
    ObjectNode declared = out.get(key) instanceof ObjectNode o ? o : out.putObject(key);
    ObjectNode target =
        declared.get("info") instanceof ObjectNode i ? i : declared.putObject("info");
    info.properties()
        .forEach(
            e -> {
              if (!target.has(e.getKey())) {
                target.set(e.getKey(), e.getValue());
              }
            });
    return out;
  }

  /** A uint256 view call's answer, or null when it reverts or answers nothing. */
  private BigInteger readUint(String to, String data) {
    ChainAccess.CallResult r = chain.call(to, data);
    if (!r.success() || r.returnData() == null) {
      return null;
    }
    String hex = org.web3j.utils.Numeric.cleanHexPrefix(r.returnData());
    if (hex.length() < 64) {
      return null;
    }
    return new BigInteger(hex.substring(0, 64), 16);
  }

  /**
   * v1: the network is a legacy name; {@code validAfter = now - 600} as the official v1 client
   * signs.
   */
  private PaymentPayload signV1(PaymentRequirements chosen) {
    Long chainId = Networks.V1_CHAIN_IDS.get(chosen.network());
    if (chainId == null) {
      throw new IllegalArgumentException("unknown v1 network " + chosen.network());
    }
    String name = chosen.extraString("name");
    String version = chosen.extraString("version");
    Eip712Domain domain = new Eip712Domain(name, version, chainId, chosen.asset());
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    long now = Math.floorDiv(clock.millis(), 1000L);
    ExactEvmPayload.Authorization auth =
        new ExactEvmPayload.Authorization(
            signer.address(),
            Addresses.checksum(chosen.payTo()),
            chosen.amount(),
            BigInteger.valueOf(Math.max(0, now - 600)),
            BigInteger.valueOf(now + chosen.maxTimeoutSeconds()),
            org.web3j.utils.Numeric.toHexString(nonce));
    ExactEvmPayload p = signer.sign(domain, auth);
    return new PaymentPayload(
        1, null, null, p.toJson(), null, chosen.scheme(), chosen.network(), Map.of());
  }
}
