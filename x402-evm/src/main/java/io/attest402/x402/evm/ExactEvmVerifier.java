package io.attest402.x402.evm;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.VerifyResponse;
import java.math.BigInteger;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.utils.Numeric;

/**
 * The official exact/EVM (EIP-3009) verification, step for step and reason for reason
 * ({@code @x402/evm} 2.27.0 {@code verifyEIP3009}, whose source is in {@code
 * interop/node_modules/@x402/evm}):
 *
 * <ol>
 *   <li>scheme {@code exact} on both sides, else {@code invalid_exact_evm_scheme};
 *   <li>{@code extra.name} and {@code extra.version} present, else {@code
 *       invalid_exact_evm_missing_eip712_domain};
 *   <li>{@code accepted.network == requirements.network}, else {@code
 *       invalid_exact_evm_network_mismatch};
 *   <li>typed data: domain {name, version, chainId of the network, asset}, message from the
 *       authorization;
 *   <li>the asset-has-code check starts (cached 15 min; concurrently when an executor is
 *       configured);
 *   <li>ERC-6492 classification: a wrapper with a non-zero factory for a payer without code is
 *       counterfactual and needs an allow-listed factory ({@code eip6492_factory_not_allowed});
 *       otherwise strict SignatureChecker semantics: no code means ecrecover of exactly 65 bytes,
 *       code means ERC-1271 with no ECDSA fallback, else {@code invalid_exact_evm_signature};
 *   <li>{@code to == payTo} (case-insensitive), else {@code invalid_exact_evm_recipient_mismatch};
 *   <li>{@code validBefore >= now + 6}, else {@code
 *       invalid_exact_evm_payload_authorization_valid_before};
 *   <li>{@code validAfter <= now}, else {@code
 *       invalid_exact_evm_payload_authorization_valid_after};
 *   <li>{@code value == amount} exactly, else {@code
 *       invalid_exact_evm_payload_authorization_value_mismatch};
 *   <li>the asset has code, else {@code asset_not_deployed_contract};
 *   <li>when simulating: {@code eth_call transferWithAuthorization} (v,r,s overload for 65 bytes,
 *       bytes overload otherwise, a Multicall3 [deploy, transfer] for counterfactual payers); on
 *       failure one Multicall3 diagnostic (authorizationState reverts, nonce used, name, version,
 *       balance, else {@code invalid_exact_evm_transaction_simulation_failed}) with the raw error
 *       in {@code invalidMessage}.
 * </ol>
 *
 * <p>{@code payer} ({@code authorization.from}) is on every answer. v1 payloads follow the official
 * v1 path (network names, {@code maxAmountRequired}, {@code invalid_exact_evm_authorization_value},
 * no asset check). v2 Permit2 payloads ({@code assetTransferMethod: "permit2"}) follow the official
 * {@code verifyPermit2} ({@link #verifyPermit2}); v1 ones are {@code unsupported_payload_type}, as
 * there.
 *
 * <p>What the official code throws on (and its facilitator server answers 500 for), this throws
 * too: an asset or payTo that is not an address, a network that is not {@code eip155:N}, and a
 * payload that is not an EIP-3009 payload ({@link io.attest402.x402.types.X402FormatException}). A
 * node that cannot answer ({@link ChainAccess.ChainAccessException} from any read: the asset's or
 * the payer's {@code eth_getCode}, the ERC-1271 call, the simulation or its diagnostic) also
 * throws, as that exception: an answer reached without the node would say nothing about the
 * payment. A real "no code" ({@code 0x}) and a reverting call are answers, not failures. The
 * payer's code is read once per verification. Blocking: run it off event loops.
 *
 * <p>One deliberate option: {@link Config#sPolicy()} {@link Signatures.SPolicy#REQUIRE_LOW_S} makes
 * step 6 refuse high-s signatures (which USDC refuses on chain); the default {@link
 * Signatures.SPolicy#ALLOW_HIGH_S} matches viem, whose ecrecover accepts them, leaving the
 * simulation to catch them.
 */
public final class ExactEvmVerifier {
  /** Seconds of block-time grace on validBefore. */
  public static final long VALID_BEFORE_BUFFER_SECONDS = 6;

  /** Verifier settings. */
  public record Config(
      List<String> eip6492AllowedFactories,
      Signatures.SPolicy sPolicy,
      Executor assetCheckExecutor) {
    public Config {
      eip6492AllowedFactories = List.copyOf(eip6492AllowedFactories);
      Objects.requireNonNull(sPolicy, "sPolicy");
    }

    /** No 6492 factories, viem's s rule, sequential asset check. */
    public static Config defaults() {
      return new Config(List.of(), Signatures.SPolicy.ALLOW_HIGH_S, null);
    }

    public Config withAllowedFactories(List<String> factories) {
      return new Config(factories, sPolicy, assetCheckExecutor);
    }

    public Config withSPolicy(Signatures.SPolicy policy) {
      return new Config(eip6492AllowedFactories, policy, assetCheckExecutor);
    }

    public Config withAssetCheckExecutor(Executor executor) {
      return new Config(eip6492AllowedFactories, sPolicy, executor);
    }
  }

  /**
   * How the payer signs: {@code counterfactual} (6492 wrapper with a factory, no code at the payer
   * yet), whether the payer has code, and the signature to check and settle with ({@code
   * innerSignature}: the 6492 wrapper stripped when it names a factory).
   */
  public record Classification(
      boolean counterfactual,
      boolean deployedAtPayer,
      boolean hasDeploymentInfo,
      String innerSignature,
      Erc6492.Wrapped deployment) {}

  /**
   * A verification result with what settlement needs next. {@code classification} is null for early
   * failures.
   */
  public record Outcome(
      VerifyResponse response,
      ExactEvmPayload payload,
      Classification classification,
      Permit2Payload permit2) {
    public Outcome(
        VerifyResponse response, ExactEvmPayload payload, Classification classification) {
      this(response, payload, classification, null);
    }

    public boolean isValid() {
      return response.isValid();
    }
  }

  private final ChainAccess chain;
  private final Clock clock;
  private final Config config;
  private final AssetCodeCache assetCache;

  public ExactEvmVerifier(
      ChainAccess chain, Clock clock, Config config, AssetCodeCache assetCache) {
    this.chain = Objects.requireNonNull(chain, "chain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.assetCache = Objects.requireNonNull(assetCache, "assetCache");
  }

  public ExactEvmVerifier(ChainAccess chain, Clock clock, Config config) {
    this(chain, clock, config, new AssetCodeCache(clock));
  }

  public ExactEvmVerifier(ChainAccess chain, Clock clock) {
    this(chain, clock, Config.defaults());
  }

  public Config config() {
    return config;
  }

  /** The node this verifier reads (for a sibling scheme's verifier on the same node). */
  public ChainAccess chainAccess() {
    return chain;
  }

  public Clock clock() {
    return clock;
  }

  /** Verifies with simulation, as {@code POST /verify} does. */
  public VerifyResponse verify(PaymentPayload payload, PaymentRequirements requirements) {
    return verify(payload, requirements, true).response();
  }

  /**
   * Verifies; {@code simulate=false} is the official settle-time re-verification (its default
   * {@code simulateInSettle=false}).
   */
  public Outcome verify(
      PaymentPayload payload, PaymentRequirements requirements, boolean simulate) {
    JsonNode raw = payload.payload();
    if (ExactEvmPayload.isPermit2(raw) && payload.x402Version() != 1) {
      return verifyPermit2(payload, requirements, simulate);
    }
    if (ExactEvmPayload.isPermit2(raw)) {
      JsonNode from = raw.path("permit2Authorization").path("from");
      return new Outcome(
          VerifyResponse.invalid(
              ErrorReasons.UNSUPPORTED_PAYLOAD_TYPE, from.isTextual() ? from.textValue() : null),
          null,
          null);
    }
    ExactEvmPayload ep = ExactEvmPayload.fromJson(raw, "payload");
    ExactEvmPayload.Authorization auth = ep.authorization();
    String payer = auth.from();
    boolean v1 = payload.x402Version() == 1;

    // 1. scheme
    if (!"exact".equals(payload.scheme()) || !"exact".equals(requirements.scheme())) {
      return fail(ErrorReasons.INVALID_SCHEME, payer, ep, null);
    }
    long chainId = 0;
    if (v1) {
      Long id = Networks.V1_CHAIN_IDS.get(payload.network());
      if (id == null) {
        return fail(ErrorReasons.NETWORK_MISMATCH, payer, ep, null);
      }
      chainId = id;
    }
    // 2. EIP-712 domain parameters
    String name = requirements.extraString("name");
    String version = requirements.extraString("version");
    if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
      return fail(ErrorReasons.MISSING_EIP712_DOMAIN, payer, ep, null);
    }
    String asset = requireAddress(requirements.asset(), "paymentRequirements.asset");
    // 3. network
    if (!Objects.equals(payload.network(), requirements.network())) {
      return fail(ErrorReasons.NETWORK_MISMATCH, payer, ep, null);
    }
    // 4. typed data
    if (!v1) {
      chainId = Networks.chainId(requirements.network());
    }
    Eip712Domain domain = new Eip712Domain(name, version, chainId, asset);

    // 5. asset check (v2 only), concurrently when an executor is configured
    CompletableFuture<String> assetCheck = null;
    if (!v1) {
      if (config.assetCheckExecutor() != null
          && !assetCache.isFresh(requirements.network(), asset)) {
        assetCheck =
            CompletableFuture.supplyAsync(
                () -> assetReason(requirements.network(), asset), config.assetCheckExecutor());
      }
    }

    // 6. ERC-6492 classification and signature
    Classification c = classify(ep.signature(), payer);
    if (c.counterfactual()) {
      String factory = c.deployment() == null ? null : c.deployment().factory();
      boolean allowed =
          factory != null
              && config.eip6492AllowedFactories().stream()
                  .anyMatch(a -> a.trim().equalsIgnoreCase(factory));
      if (!allowed) {
        return fail(ErrorReasons.FACTORY_NOT_ALLOWED, payer, ep, c);
      }
    } else if (!signatureValid(domain, auth, c.innerSignature(), payer, c.deployedAtPayer())) {
      return fail(ErrorReasons.INVALID_SIGNATURE, payer, ep, c);
    }

    // 7. recipient
    String payTo = requireAddress(requirements.payTo(), "paymentRequirements.payTo");
    if (!auth.to().equalsIgnoreCase(payTo)) {
      return fail(ErrorReasons.RECIPIENT_MISMATCH, payer, ep, c);
    }
    // 8., 9. time window
    long now = Math.floorDiv(clock.millis(), 1000L);
    if (auth.validBefore().compareTo(BigInteger.valueOf(now + VALID_BEFORE_BUFFER_SECONDS)) < 0) {
      return fail(ErrorReasons.VALID_BEFORE_EXPIRED, payer, ep, c);
    }
    if (auth.validAfter().compareTo(BigInteger.valueOf(now)) > 0) {
      return fail(ErrorReasons.VALID_AFTER_IN_FUTURE, payer, ep, c);
    }
    // 10. exact amount
    if (!auth.value().equals(requirements.amount())) {
      return fail(
          v1 ? ErrorReasons.AUTHORIZATION_VALUE : ErrorReasons.AUTHORIZATION_VALUE_MISMATCH,
          payer,
          ep,
          c);
    }
    // 11. asset has code
    if (!v1) {
      String reason;
      if (assetCheck != null) {
        try {
          reason = assetCheck.join();
        } catch (CompletionException e) {
          throw e.getCause() instanceof RuntimeException re ? re : e;
        }
      } else {
        reason =
            assetCache.isFresh(requirements.network(), asset)
                ? ""
                : assetReason(requirements.network(), asset);
      }
      if (!reason.isEmpty()) {
        return fail(reason, payer, ep, c);
      }
      assetCache.recordHasCode(requirements.network(), asset);
    }
    // 12. simulation
    if (simulate) {
      SimulationResult sim = simulate(asset, ep, c);
      if (!sim.ok()) {
        VerifyResponse diagnosis = diagnose(asset, auth, requirements);
        if (!v1 && sim.error() != null) {
          diagnosis = diagnosis.withInvalidMessage(sim.error());
        }
        return new Outcome(diagnosis, ep, c);
      }
    }
    return new Outcome(VerifyResponse.valid(payer), ep, c);
  }

  /**
   * The official {@code exact} Permit2 verification ({@code verifyPermit2}), in its order: scheme
   * {@code exact} on both sides ({@code unsupported_payload_type}); network; the asset check
   * starts; spender is the exact proxy ({@code invalid_permit2_spender}); {@code witness.to ==
   * payTo}; {@code deadline >= now + 6}; {@code witness.validAfter <= now}; {@code permitted.amount
   * == amount}; {@code permitted.token == asset}; the signature over Permit2's typed data (domain
   * {Permit2, chainId, Permit2 address}, exact witness) is checked, then the asset has code, then
   * the signature's verdict ({@code invalid_permit2_signature}). Simulating: an {@code
   * eip2612GasSponsoring} permit is checked field by field and the proxy's {@code settleWithPermit}
   * simulated, else its {@code settle}; a failure is diagnosed (proxy present, balance, Permit2
   * allowance) as the official code does.
   */
  private Outcome verifyPermit2(
      PaymentPayload payload, PaymentRequirements requirements, boolean simulate) {
    Permit2Payload pp = Permit2Payload.fromJson(payload.payload(), "payload");
    Permit2Payload.Authorization a = pp.authorization();
    String payer = a.from();
    if (!"exact".equals(payload.scheme()) || !"exact".equals(requirements.scheme())) {
      return p2fail(ErrorReasons.UNSUPPORTED_PAYLOAD_TYPE, payer, pp);
    }
    if (!Objects.equals(payload.network(), requirements.network())) {
      return p2fail(ErrorReasons.NETWORK_MISMATCH, payer, pp);
    }
    long chainId = Networks.chainId(requirements.network());
    String asset = requireAddress(requirements.asset(), "paymentRequirements.asset");
    CompletableFuture<String> assetCheck = null;
    if (config.assetCheckExecutor() != null && !assetCache.isFresh(requirements.network(), asset)) {
      assetCheck =
          CompletableFuture.supplyAsync(
              () -> assetReason(requirements.network(), asset), config.assetCheckExecutor());
    }
    String addressed =
        Permit2Checks.spenderAndRecipient(
            a,
            Permit2.EXACT_PROXY,
            requireAddress(requirements.payTo(), "paymentRequirements.payTo"));
    if (addressed != null) {
      return p2fail(addressed, payer, pp);
    }
    long now = Math.floorDiv(clock.millis(), 1000L);
    String fields = Permit2Checks.windowAmountAndToken(a, now, requirements.amount(), asset);
    if (fields != null) {
      return p2fail(fields, payer, pp);
    }
    // the exact witness has no facilitator: a stray one is not part of what was signed
    Permit2Payload.Authorization signed = a.withFacilitator(null);
    boolean signatureValid;
    try {
      signatureValid =
          digestSignatureValid(
              Permit2.digest(chainId, signed),
              pp.signature(),
              payer,
              hasCode(payer, "failed to read the payer's code"));
    } catch (IllegalArgumentException e) {
      signatureValid = false;
    }
    String reason = awaitAssetCheck(assetCheck, requirements.network(), asset);
    if (!reason.isEmpty()) {
      return p2fail(reason, payer, pp);
    }
    assetCache.recordHasCode(requirements.network(), asset);
    if (!signatureValid) {
      return p2fail(ErrorReasons.PERMIT2_INVALID_SIGNATURE, payer, pp);
    }
    if (!simulate) {
      return new Outcome(VerifyResponse.valid(payer), null, null, pp);
    }
    Permit2Checks.SponsoredPermit sponsored = Permit2Checks.eip2612(payload, payer, asset, now);
    if (sponsored.reason() != null) {
      return p2fail(sponsored.reason(), payer, pp);
    }
    Permit2.Eip2612Permit eip2612 = sponsored.permit();
    Erc20ApprovalGasSponsoring.Info approval =
        eip2612 == null ? Erc20ApprovalGasSponsoring.extract(payload) : null;
    if (approval != null) {
      Erc20ApprovalGasSponsoring.Checked checked =
          Erc20ApprovalGasSponsoring.check(approval, payer, asset, chainId, a.amount());
      if (!checked.ok()) {
        return new Outcome(
            VerifyResponse.invalid(checked.reason(), payer).withInvalidMessage(checked.message()),
            null,
            null,
            pp);
      }
    }
    String data;
    try {
      data = Permit2.exactSettleCalldata(signed, settleSignature(pp.signature()), eip2612);
    } catch (IllegalArgumentException e) {
      return new Outcome(
          diagnosePermit2(chain, Permit2.EXACT_PROXY, asset, payer, requirements.amount()),
          null,
          null,
          pp);
    }
    ChainAccess.CallResult r = chain.call(Permit2.EXACT_PROXY, data);
    if (!r.success()) {
      VerifyResponse diagnosed =
          diagnosePermit2(chain, Permit2.EXACT_PROXY, asset, payer, requirements.amount());
      if (approval != null
          && ErrorReasons.PERMIT2_ALLOWANCE_REQUIRED.equals(diagnosed.invalidReason())) {
        // the proxy is there and the balance covers the payment: the sponsored approval supplies
        // the allowance (the official checkPermit2Prerequisites, without a bundle simulation)
        return new Outcome(VerifyResponse.valid(payer), null, null, pp);
      }
      return new Outcome(diagnosed, null, null, pp);
    }
    return new Outcome(VerifyResponse.valid(payer), null, null, pp);
  }

  /** The official EIP-2612 field checks ({@code validateEip2612PermitForPayment}), or null. */
  public static String eip2612FieldReason(
      Eip2612GasSponsoring.Info p, String payer, String asset, long nowSeconds) {
    if (!p.wellFormed()) {
      return ErrorReasons.EIP2612_INVALID_FORMAT;
    }
    if (!p.from().equalsIgnoreCase(payer)) {
      return ErrorReasons.EIP2612_FROM_MISMATCH;
    }
    if (!p.asset().equalsIgnoreCase(asset)) {
      return ErrorReasons.EIP2612_ASSET_MISMATCH;
    }
    if (!p.spender().equalsIgnoreCase(Permit2.ADDRESS)) {
      return ErrorReasons.EIP2612_SPENDER_NOT_PERMIT2;
    }
    if (new BigInteger(p.deadline())
            .compareTo(BigInteger.valueOf(nowSeconds + VALID_BEFORE_BUFFER_SECONDS))
        < 0) {
      return ErrorReasons.EIP2612_DEADLINE_EXPIRED;
    }
    return null;
  }

  /**
   * The permit as the proxy takes it (value, deadline, r, s, v).
   *
   * @throws IllegalArgumentException when the signature is not 65 bytes
   */
  public static Permit2.Eip2612Permit eip2612Permit(Eip2612GasSponsoring.Info p) {
    return new Permit2.Eip2612Permit(
        new BigInteger(p.amount()), new BigInteger(p.deadline()), Hex.decode(p.signature()));
  }

  /** The signature the proxy gets: an ERC-6492 wrapper stripped, as the official code does. */
  public static byte[] settleSignature(String signature) {
    return Erc6492.parse(signature)
        .map(w -> Hex.decode(w.innerSignature()))
        .orElseGet(() -> Hex.decode(signature));
  }

  /**
   * The official Permit2 diagnostic of a failed simulation against {@code proxy} (exact or upto):
   * proxy deployed, balance, Permit2 allowance.
   */
  static VerifyResponse diagnosePermit2(
      ChainAccess chain, String proxy, String asset, String payer, BigInteger amount) {
    try {
      List<Multicall3.Result> r =
          Multicall3.tryAggregate(
              chain,
              List.of(
                  new Multicall3.Call(proxy, Permit2.permit2GetterCalldata()),
                  new Multicall3.Call(asset, Eip3009Calls.encode(Eip3009Calls.balanceOf(payer))),
                  new Multicall3.Call(asset, Permit2.allowanceCalldata(payer))));
      // a call to an address without code "succeeds" with no data: the proxy is not there
      if (!r.get(0).success() || r.get(0).returnData().length < 32) {
        return VerifyResponse.invalid(ErrorReasons.PERMIT2_PROXY_NOT_DEPLOYED, payer);
      }
      BigInteger balance = decodeUint(r.get(1));
      if (balance != null && balance.compareTo(amount) < 0) {
        return VerifyResponse.invalid(ErrorReasons.PERMIT2_INSUFFICIENT_BALANCE, payer);
      }
      BigInteger allowance = decodeUint(r.get(2));
      if (allowance != null && allowance.compareTo(amount) < 0) {
        return VerifyResponse.invalid(ErrorReasons.PERMIT2_ALLOWANCE_REQUIRED, payer);
      }
    } catch (ChainAccess.ChainAccessException nodeFailed) {
      throw nodeFailed;
    } catch (RuntimeException diagnosticFailed) {
      // no Multicall3 or an undecodable answer: the official code falls through too
    }
    return VerifyResponse.invalid(ErrorReasons.PERMIT2_SIMULATION_FAILED, payer);
  }

  private String awaitAssetCheck(
      CompletableFuture<String> assetCheck, String network, String asset) {
    if (assetCheck != null) {
      try {
        return assetCheck.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException re ? re : e;
      }
    }
    return assetCache.isFresh(network, asset) ? "" : assetReason(network, asset);
  }

  private static Outcome p2fail(String reason, String payer, Permit2Payload pp) {
    return new Outcome(VerifyResponse.invalid(reason, payer), null, null, pp);
  }

  private static Outcome fail(String reason, String payer, ExactEvmPayload ep, Classification c) {
    return new Outcome(VerifyResponse.invalid(reason, payer), ep, c);
  }

  private static String requireAddress(String a, String what) {
    if (!Addresses.isAddress(a)) {
      throw new IllegalArgumentException(what + " is not an EVM address: " + a);
    }
    return Addresses.checksum(a);
  }

  /**
   * {@code ""} when the asset has code, {@code asset_not_deployed_contract} when not; throws on RPC
   * failure.
   */
  private String assetReason(String network, String asset) {
    return hasCode(asset, "failed to check whether asset is a contract")
        ? ""
        : ErrorReasons.ASSET_NOT_DEPLOYED_CONTRACT;
  }

  /**
   * Whether {@code address} has code ({@code eth_getCode} is not {@code 0x}).
   *
   * @throws ChainAccess.ChainAccessException when the lookup fails: a failure is not "no code"
   */
  private boolean hasCode(String address, String what) {
    return Permit2Checks.hasCode(chain, address, what);
  }

  /**
   * ERC-6492 classification with one {@code eth_getCode(payer)}.
   *
   * @throws ChainAccess.ChainAccessException when the lookup fails
   */
  public Classification classify(String signature, String payer) {
    Erc6492.Wrapped w = Erc6492.parse(signature).orElse(null);
    boolean hasDeploymentInfo = w != null && !w.factory().equalsIgnoreCase(Addresses.ZERO);
    String inner = hasDeploymentInfo ? w.innerSignature() : signature;
    boolean deployed = hasCode(payer, "failed to read the payer's code");
    return new Classification(
        hasDeploymentInfo && !deployed,
        deployed,
        hasDeploymentInfo,
        inner,
        hasDeploymentInfo ? w : null);
  }

  /**
   * {@link #signatureValid(Eip712Domain, ExactEvmPayload.Authorization, String, String, boolean)}
   * with the signer's code looked up ({@code eth_getCode(signer)}).
   *
   * @throws ChainAccess.ChainAccessException when the node cannot answer
   */
  public boolean signatureValid(
      Eip712Domain domain, ExactEvmPayload.Authorization auth, String signature, String signer) {
    return signatureValid(
        domain, auth, signature, signer, hasCode(signer, "failed to read the signer's code"));
  }

  /**
   * Strict SignatureChecker semantics: no code at {@code signer}: ecrecover of a 65-byte signature;
   * code: ERC-1271. Typed data that cannot be hashed (bad checksum, nonce not 32 bytes, number
   * beyond uint256) is invalid.
   *
   * @param signerHasCode whether {@code signer} has code, as {@link #classify} found it
   * @throws ChainAccess.ChainAccessException when the ERC-1271 call cannot reach the node
   */
  public boolean signatureValid(
      Eip712Domain domain,
      ExactEvmPayload.Authorization auth,
      String signature,
      String signer,
      boolean signerHasCode) {
    byte[] digest;
    try {
      digest = TransferWithAuthorization.digest(domain, auth);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return digestSignatureValid(digest, signature, signer, signerHasCode);
  }

  /** Strict SignatureChecker semantics on a digest (see {@link #signatureValid}). */
  private boolean digestSignatureValid(
      byte[] digest, String signature, String signer, boolean signerHasCode) {
    return Permit2Checks.digestSignatureValid(
        chain, config.sPolicy(), digest, signature, signer, signerHasCode);
  }

  private record SimulationResult(boolean ok, String error) {}

  private SimulationResult simulate(String asset, ExactEvmPayload ep, Classification c) {
    ExactEvmPayload.Authorization a = ep.authorization();
    try {
      if (c.hasDeploymentInfo()) {
        String transfer =
            Eip3009Calls.encode(
                Eip3009Calls.transferWithAuthorizationBytes(
                    a, Hex.decode(c.deployment().innerSignature())));
        List<Multicall3.Result> results =
            Multicall3.tryAggregate(
                chain,
                List.of(
                    new Multicall3.Call(c.deployment().factory(), c.deployment().factoryCalldata()),
                    new Multicall3.Call(asset, transfer)));
        return new SimulationResult(results.get(1).success(), null);
      }
      byte[] sig = ep.signatureBytes();
      Function f;
      if (Hex.strip(ep.signature()).length() == 130) {
        int v = sig[64] & 0xff;
        if (v != 0 && v != 1 && v != 27 && v != 28) {
          return new SimulationResult(false, "Invalid yParityOrV value: " + v);
        }
        f =
            Eip3009Calls.transferWithAuthorizationVrs(
                a,
                v,
                java.util.Arrays.copyOfRange(sig, 0, 32),
                java.util.Arrays.copyOfRange(sig, 32, 64));
      } else {
        f = Eip3009Calls.transferWithAuthorizationBytes(a, sig);
      }
      ChainAccess.CallResult r = chain.call(asset, Eip3009Calls.encode(f));
      return r.success()
          ? new SimulationResult(true, null)
          : new SimulationResult(false, r.errorMessage());
    } catch (ChainAccess.ChainAccessException nodeFailed) {
      throw nodeFailed;
    } catch (RuntimeException e) {
      return new SimulationResult(false, String.valueOf(e.getMessage()));
    }
  }

  /**
   * The official post-simulation diagnostic (one Multicall3 round trip); generic reason when it
   * cannot run (no Multicall3, an answer that does not decode). A node failure throws.
   */
  private VerifyResponse diagnose(
      String asset, ExactEvmPayload.Authorization a, PaymentRequirements req) {
    String payer = a.from();
    try {
      List<Multicall3.Result> r =
          Multicall3.tryAggregate(
              chain,
              List.of(
                  new Multicall3.Call(asset, Eip3009Calls.encode(Eip3009Calls.balanceOf(a.from()))),
                  new Multicall3.Call(asset, Eip3009Calls.encode(Eip3009Calls.name())),
                  new Multicall3.Call(asset, Eip3009Calls.encode(Eip3009Calls.version())),
                  new Multicall3.Call(
                      asset,
                      Eip3009Calls.encode(
                          Eip3009Calls.authorizationState(a.from(), a.nonceBytes())))));
      Boolean used = decodeBool(r.get(3));
      if (used == null) {
        return VerifyResponse.invalid(ErrorReasons.EIP3009_NOT_SUPPORTED, payer);
      }
      if (used) {
        return VerifyResponse.invalid(ErrorReasons.NONCE_ALREADY_USED, payer);
      }
      String tokenName = decodeString(r.get(1), Eip3009Calls.name());
      String extraName = req.extraString("name");
      if (tokenName != null
          && extraName != null
          && !extraName.isEmpty()
          && !tokenName.equals(extraName)) {
        return VerifyResponse.invalid(ErrorReasons.TOKEN_NAME_MISMATCH, payer);
      }
      String tokenVersion = decodeString(r.get(2), Eip3009Calls.version());
      String extraVersion = req.extraString("version");
      if (tokenVersion != null
          && extraVersion != null
          && !extraVersion.isEmpty()
          && !tokenVersion.equals(extraVersion)) {
        return VerifyResponse.invalid(ErrorReasons.TOKEN_VERSION_MISMATCH, payer);
      }
      BigInteger balance = decodeUint(r.get(0));
      if (balance != null && balance.compareTo(req.amount()) < 0) {
        return VerifyResponse.invalid(ErrorReasons.INSUFFICIENT_BALANCE, payer);
      }
    } catch (ChainAccess.ChainAccessException nodeFailed) {
      throw nodeFailed;
    } catch (RuntimeException diagnosticFailed) {
      // no Multicall3 or an undecodable answer: the official code falls through to the generic
      // reason too
    }
    return VerifyResponse.invalid(ErrorReasons.SIMULATION_FAILED, payer);
  }

  private static Boolean decodeBool(Multicall3.Result r) {
    if (!r.success() || r.returnData().length < 32) {
      return null;
    }
    BigInteger w = new BigInteger(1, java.util.Arrays.copyOfRange(r.returnData(), 0, 32));
    if (w.equals(BigInteger.ZERO)) {
      return false;
    }
    return w.equals(BigInteger.ONE) ? Boolean.TRUE : null;
  }

  private static BigInteger decodeUint(Multicall3.Result r) {
    if (!r.success() || r.returnData().length < 32) {
      return null;
    }
    return new BigInteger(1, java.util.Arrays.copyOfRange(r.returnData(), 0, 32));
  }

  @SuppressWarnings("rawtypes")
  private static String decodeString(Multicall3.Result r, Function f) {
    if (!r.success() || r.returnData().length < 64) {
      return null;
    }
    try {
      List<Type> out =
          FunctionReturnDecoder.decode(
              Numeric.toHexString(r.returnData()), f.getOutputParameters());
      return out.isEmpty() ? null : out.get(0).getValue().toString();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
