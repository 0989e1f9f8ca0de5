package io.attest402.x402.evm;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.VerifyResponse;
import java.time.Clock;
import java.util.Collection;
import java.util.Objects;

/**
 * The official {@code upto}/EVM verification ({@code @x402/evm} 2.27.0 {@code verifyUptoPermit2}),
 * step for step and reason for reason:
 *
 * <ol>
 *   <li>a payload without the upto shape ({@code permit2Authorization} with {@code
 *       witness.facilitator}): {@code unsupported_payload_type};
 *   <li>scheme {@code upto} on both sides, else {@code invalid_upto_evm_scheme};
 *   <li>{@code accepted.network == requirements.network}, else {@code
 *       invalid_upto_evm_network_mismatch};
 *   <li>spender is the upto proxy ({@code invalid_permit2_spender});
 *   <li>{@code witness.to == payTo} ({@code invalid_permit2_recipient_mismatch});
 *   <li>{@code witness.facilitator} is one of this facilitator's signers ({@code
 *       upto_facilitator_mismatch}): the payer bound the authorization to one facilitator, and the
 *       proxy lets only that address settle it;
 *   <li>{@code deadline >= now + 6} ({@code permit2_deadline_expired}), {@code validAfter <= now}
 *       ({@code permit2_not_yet_valid});
 *   <li>{@code permitted.amount == requirements.amount} ({@code permit2_amount_mismatch}): at
 *       {@code /verify} the requirements carry the maximum the payer signed;
 *   <li>{@code permitted.token == asset} ({@code permit2_token_mismatch});
 *   <li>the signature over Permit2's typed data with the upto witness, then the asset has code
 *       ({@code asset_not_deployed_contract}), then the signature's verdict ({@code
 *       invalid_permit2_signature});
 *   <li>simulating: the proxy's {@code settle} (or {@code settleWithPermit} with an {@code
 *       eip2612GasSponsoring} permit, checked field by field first) for the full amount, called as
 *       the witness's facilitator; a failure is diagnosed as for exact Permit2 (proxy present,
 *       balance, Permit2 allowance).
 * </ol>
 *
 * <p>What the official code throws on, this throws on too ({@link
 * io.attest402.x402.types.X402FormatException} for a malformed payload, {@link
 * IllegalArgumentException} for an asset or payTo that is not an address); a node that cannot
 * answer throws {@link ChainAccess.ChainAccessException}. Blocking.
 */
public final class UptoEvmVerifier {
  public static final String SCHEME = "upto";

  private final ChainAccess chain;
  private final Clock clock;
  private final Signatures.SPolicy sPolicy;
  private final AssetCodeCache assetCache;

  public UptoEvmVerifier(ChainAccess chain, Clock clock, Signatures.SPolicy sPolicy) {
    this.chain = Objects.requireNonNull(chain, "chain");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sPolicy = Objects.requireNonNull(sPolicy, "sPolicy");
    this.assetCache = new AssetCodeCache(clock);
  }

  /** A verifier on the node and clock of {@code exact}, with its s rule. */
  public static UptoEvmVerifier besides(ExactEvmVerifier exact) {
    return new UptoEvmVerifier(exact.chainAccess(), exact.clock(), exact.config().sPolicy());
  }

  /** A verification result with the decoded payload (null when it did not decode). */
  public record Outcome(VerifyResponse response, Permit2Payload permit2) {
    public boolean isValid() {
      return response.isValid();
    }
  }

  /**
   * Whether {@code payload} has the shape the official upto facilitator accepts ({@code
   * isUptoPermit2Payload}): string fields where it wants them, a witness with a facilitator.
   */
  public static boolean isUptoPayload(JsonNode p) {
    if (p == null || !p.path("signature").isTextual()) {
      return false;
    }
    JsonNode a = p.path("permit2Authorization");
    JsonNode permitted = a.path("permitted");
    JsonNode w = a.path("witness");
    return a.isObject()
        && a.path("from").isTextual()
        && a.path("spender").isTextual()
        && a.path("nonce").isTextual()
        && a.path("deadline").isTextual()
        && permitted.isObject()
        && permitted.path("token").isTextual()
        && permitted.path("amount").isTextual()
        && w.isObject()
        && w.path("facilitator").isTextual()
        && w.path("to").isTextual()
        && w.path("validAfter").isTextual();
  }

  /**
   * Verifies {@code payload} against {@code requirements} (whose amount is the signed maximum) for
   * a facilitator settling from {@code facilitators}.
   *
   * @param simulate whether to simulate the proxy call (POST /verify does; settle re-verifies
   *     without, and then estimates the real call's gas)
   */
  public Outcome verify(
      PaymentPayload payload,
      PaymentRequirements requirements,
      Collection<String> facilitators,
      boolean simulate) {
    JsonNode raw = payload.payload();
    if (!isUptoPayload(raw)) {
      return new Outcome(VerifyResponse.invalid(ErrorReasons.UNSUPPORTED_PAYLOAD_TYPE, ""), null);
    }
    Permit2Payload pp = Permit2Payload.fromJson(raw, "payload");
    Permit2Payload.Authorization a = pp.authorization();
    String payer = a.from();
    if (!SCHEME.equals(payload.scheme()) || !SCHEME.equals(requirements.scheme())) {
      return fail(ErrorReasons.UPTO_INVALID_SCHEME, payer, pp);
    }
    if (!Objects.equals(payload.network(), requirements.network())) {
      return fail(ErrorReasons.UPTO_NETWORK_MISMATCH, payer, pp);
    }
    long chainId = Networks.chainId(requirements.network());
    String asset = requireAddress(requirements.asset(), "paymentRequirements.asset");
    String addressed =
        Permit2Checks.spenderAndRecipient(
            a,
            Permit2.UPTO_PROXY,
            requireAddress(requirements.payTo(), "paymentRequirements.payTo"));
    if (addressed != null) {
      return fail(addressed, payer, pp);
    }
    if (facilitators.stream().noneMatch(f -> f.equalsIgnoreCase(a.facilitator()))) {
      return new Outcome(
          VerifyResponse.invalid(ErrorReasons.UPTO_FACILITATOR_MISMATCH, payer)
              .withInvalidMessage(
                  "the authorization is bound to facilitator "
                      + a.facilitator()
                      + ", which is not one of this facilitator's signers "
                      + facilitators),
          pp);
    }
    long now = Math.floorDiv(clock.millis(), 1000L);
    String fields = Permit2Checks.windowAmountAndToken(a, now, requirements.amount(), asset);
    if (fields != null) {
      return fail(fields, payer, pp);
    }
    boolean signatureValid;
    try {
      signatureValid =
          Permit2Checks.digestSignatureValid(
              chain,
              sPolicy,
              Permit2.digest(chainId, a),
              pp.signature(),
              payer,
              Permit2Checks.hasCode(chain, payer, "failed to read the payer's code"));
    } catch (IllegalArgumentException e) {
      signatureValid = false;
    }
    if (!assetCache.isFresh(requirements.network(), asset)) {
      if (!Permit2Checks.hasCode(chain, asset, "failed to check whether asset is a contract")) {
        return fail(ErrorReasons.ASSET_NOT_DEPLOYED_CONTRACT, payer, pp);
      }
      assetCache.recordHasCode(requirements.network(), asset);
    }
    if (!signatureValid) {
      return fail(ErrorReasons.PERMIT2_INVALID_SIGNATURE, payer, pp);
    }
    if (!simulate) {
      return new Outcome(VerifyResponse.valid(payer), pp);
    }
    Permit2Checks.SponsoredPermit sponsored = Permit2Checks.eip2612(payload, payer, asset, now);
    if (sponsored.reason() != null) {
      return fail(sponsored.reason(), payer, pp);
    }
    Permit2.Eip2612Permit eip2612 = sponsored.permit();
    String data;
    try {
      data =
          Permit2.uptoSettleCalldata(
              a, a.amount(), ExactEvmVerifier.settleSignature(pp.signature()), eip2612);
    } catch (IllegalArgumentException e) {
      return new Outcome(
          ExactEvmVerifier.diagnosePermit2(
              chain, Permit2.UPTO_PROXY, asset, payer, requirements.amount()),
          pp);
    }
    ChainAccess.CallResult r = chain.callFrom(a.facilitator(), Permit2.UPTO_PROXY, data);
    if (!r.success()) {
      return new Outcome(
          ExactEvmVerifier.diagnosePermit2(
              chain, Permit2.UPTO_PROXY, asset, payer, requirements.amount()),
          pp);
    }
    return new Outcome(VerifyResponse.valid(payer), pp);
  }

  private static Outcome fail(String reason, String payer, Permit2Payload pp) {
    return new Outcome(VerifyResponse.invalid(reason, payer), pp);
  }

  private static String requireAddress(String a, String what) {
    if (!Addresses.isAddress(a)) {
      throw new IllegalArgumentException(what + " is not an EVM address: " + a);
    }
    return Addresses.checksum(a);
  }
}
