package io.attest402.erc8004;

import io.attest402.contracts.chain.RevertData;
import java.math.BigInteger;
import java.util.List;
import org.web3j.utils.Numeric;

/** Decodes revert data into a {@link RevertException}. */
final class Reverts {
  private Reverts() {}

  /** The kind of a custom error, by name; any other known custom error is OTHER. */
  static RevertException.Kind customKind(String name) {
    return switch (name) {
      case "ERC721NonexistentToken" -> RevertException.Kind.AGENT_NOT_FOUND;
      case "ERC721InsufficientApproval" -> RevertException.Kind.NOT_AUTHORIZED;
      case "ERC721IncorrectOwner",
          "ERC721InvalidOwner",
          "ERC721InvalidSender",
          "ERC721InvalidReceiver",
          "ERC721InvalidApprover",
          "ERC721InvalidOperator",
          "ERC20InsufficientBalance",
          "ERC20InsufficientAllowance" ->
          RevertException.Kind.TOKEN_ERROR;
      case "ECDSAInvalidSignature", "ECDSAInvalidSignatureLength" ->
          RevertException.Kind.INVALID_WALLET_SIGNATURE;
      default -> RevertException.Kind.OTHER;
    };
  }

  /** The revert string of our registries (and the reference's) mapped to a kind. */
  static RevertException.Kind classify(String reason) {
    return switch (reason) {
      case "Not authorized" -> RevertException.Kind.NOT_AUTHORIZED;
      case "Agent does not exist", "agent not found", "Agent not found" ->
          RevertException.Kind.AGENT_NOT_FOUND;
      case "reserved key" -> RevertException.Kind.RESERVED_KEY;
      case "bad wallet" -> RevertException.Kind.BAD_WALLET;
      case "expired" -> RevertException.Kind.DEADLINE_EXPIRED;
      case "deadline too far" -> RevertException.Kind.DEADLINE_TOO_FAR;
      case "invalid wallet sig" -> RevertException.Kind.INVALID_WALLET_SIGNATURE;
      case "Self-feedback not allowed" -> RevertException.Kind.SELF_FEEDBACK;
      case "too many decimals" -> RevertException.Kind.TOO_MANY_DECIMALS;
      case "value too large" -> RevertException.Kind.VALUE_TOO_LARGE;
      case "index must be > 0", "index out of bounds" -> RevertException.Kind.BAD_FEEDBACK_INDEX;
      case "Already revoked" -> RevertException.Kind.ALREADY_REVOKED;
      case "Empty URI" -> RevertException.Kind.EMPTY_URI;
      case "clientAddresses required" -> RevertException.Kind.CLIENTS_REQUIRED;
      case "bad validator" -> RevertException.Kind.BAD_VALIDATOR;
      case "exists" -> RevertException.Kind.REQUEST_EXISTS;
      case "unknown" -> RevertException.Kind.UNKNOWN_REQUEST;
      case "not validator" -> RevertException.Kind.NOT_VALIDATOR;
      case "resp>100" -> RevertException.Kind.RESPONSE_OUT_OF_RANGE;
      default -> RevertException.Kind.OTHER;
    };
  }

  /** Decodes {@code data} (0x-hex, possibly empty or null) of a revert in {@code function}. */
  static RevertException decode(String function, String data) {
    RevertData.Decoded d = RevertData.decode(data);
    if (d.empty()) {
      return new RevertException(
          RevertException.Kind.NO_REASON,
          "reverted without a reason",
          function,
          "",
          List.of(),
          null);
    }
    if (d.reason() != null) {
      return new RevertException(
          classify(d.reason()), d.reason(), function, "Error", List.of(), null);
    }
    if (d.name().equals("Panic")) {
      BigInteger code = (BigInteger) d.args().get(0);
      return new RevertException(
          RevertException.Kind.PANIC,
          "panic 0x" + code.toString(16),
          function,
          "Panic",
          d.args(),
          null);
    }
    if (d.known()) {
      StringBuilder s = new StringBuilder(d.name()).append('(');
      for (int i = 0; i < d.args().size(); i++) {
        Object a = d.args().get(i);
        s.append(i == 0 ? "" : ", ").append(a instanceof byte[] b ? Numeric.toHexString(b) : a);
      }
      return new RevertException(
          customKind(d.name()), s.append(')').toString(), function, d.name(), d.args(), null);
    }
    return new RevertException(
        RevertException.Kind.OTHER,
        "custom error " + d.name() + " (data " + d.data() + ")",
        function,
        d.name(),
        List.of(),
        null);
  }
}
