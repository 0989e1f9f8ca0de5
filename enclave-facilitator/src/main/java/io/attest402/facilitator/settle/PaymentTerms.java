package io.attest402.facilitator.settle;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import java.math.BigInteger;

/**
 * What the settlement engine needs of a payment, whichever way it moves the funds: EIP-3009 ({@code
 * transferWithAuthorization} on the token; nonce: the 32-byte authorization nonce) or Permit2 (the
 * x402 exact proxy's {@code settle}; nonce: Permit2's uint256 nonce as 32 bytes, validity end: the
 * permit's deadline). One (network, asset, payer, nonce) is one payment either way: the token or
 * Permit2 refuses a second use.
 */
record PaymentTerms(
    boolean permit2,
    String payer,
    String nonceHex,
    BigInteger amount,
    BigInteger validBefore,
    String signature) {

  /**
   * Decodes {@code paymentPayload.payload}.
   *
   * @throws io.attest402.x402.types.X402FormatException when it is neither payload
   */
  static PaymentTerms of(JsonNode payload, String path) {
    if (ExactEvmPayload.isPermit2(payload)) {
      Permit2Payload p = Permit2Payload.fromJson(payload, path);
      Permit2Payload.Authorization a = p.authorization();
      return new PaymentTerms(
          true, a.from(), a.nonceHex(), a.amount(), a.deadline(), p.signature());
    }
    ExactEvmPayload ep = ExactEvmPayload.fromJson(payload, path);
    ExactEvmPayload.Authorization a = ep.authorization();
    return new PaymentTerms(false, a.from(), a.nonce(), a.value(), a.validBefore(), ep.signature());
  }

  /** The payer field of a raw payload of either kind (missing node when absent). */
  static JsonNode payerNode(JsonNode payload) {
    return ExactEvmPayload.isPermit2(payload)
        ? payload.path("permit2Authorization").path("from")
        : payload.path("authorization").path("from");
  }

  /** Whether a journaled settlement is a Permit2 one. */
  static boolean isPermit2(SettlementRecord r) {
    return ExactEvmPayload.isPermit2(r.request().path("paymentPayload").path("payload"));
  }

  /** Where a journaled settlement's transaction goes: the upto or exact proxy, or the token. */
  static String target(SettlementRecord r) {
    if (UptoTerms.isUpto(r)) {
      return Permit2.UPTO_PROXY;
    }
    return isPermit2(r) ? Permit2.EXACT_PROXY : r.key().asset();
  }

  /** The Permit2 nonce of a journaled Permit2 settlement. */
  static BigInteger permit2Nonce(SettlementRecord r) {
    return new BigInteger(org.web3j.utils.Numeric.cleanHexPrefix(r.key().nonce()), 16);
  }
}
