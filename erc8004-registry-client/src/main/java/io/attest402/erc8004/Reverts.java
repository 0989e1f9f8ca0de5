package io.attest402.erc8004;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/** Decodes revert data into a {@link RevertException}. */
final class Reverts {
  private Reverts() {}

  private static final String ERROR_SELECTOR = "0x08c379a0";
  private static final String PANIC_SELECTOR = "0x4e487b71";

  private record CustomError(
      String name, RevertException.Kind kind, List<TypeReference<?>> params) {}

  private static final Map<String, CustomError> CUSTOM = new java.util.HashMap<>();

  static {
    custom("ERC721NonexistentToken", RevertException.Kind.AGENT_NOT_FOUND, "uint256");
    custom("ERC721InsufficientApproval", RevertException.Kind.NOT_AUTHORIZED, "address", "uint256");
    custom(
        "ERC721IncorrectOwner", RevertException.Kind.TOKEN_ERROR, "address", "uint256", "address");
    custom("ERC721InvalidOwner", RevertException.Kind.TOKEN_ERROR, "address");
    custom("ERC721InvalidSender", RevertException.Kind.TOKEN_ERROR, "address");
    custom("ERC721InvalidReceiver", RevertException.Kind.TOKEN_ERROR, "address");
    custom("ERC721InvalidApprover", RevertException.Kind.TOKEN_ERROR, "address");
    custom("ERC721InvalidOperator", RevertException.Kind.TOKEN_ERROR, "address");
    custom(
        "ERC20InsufficientBalance",
        RevertException.Kind.TOKEN_ERROR,
        "address",
        "uint256",
        "uint256");
    custom(
        "ERC20InsufficientAllowance",
        RevertException.Kind.TOKEN_ERROR,
        "address",
        "uint256",
        "uint256");
    custom("ECDSAInvalidSignature", RevertException.Kind.INVALID_WALLET_SIGNATURE);
    custom("ECDSAInvalidSignatureLength", RevertException.Kind.INVALID_WALLET_SIGNATURE, "uint256");
  }

  private static void custom(String name, RevertException.Kind kind, String... types) {
    List<TypeReference<?>> refs = new ArrayList<>();
    for (String t : types) {
      refs.add(
          t.equals("address") ? new TypeReference<Address>() {} : new TypeReference<Uint256>() {});
    }
    String selector =
        Numeric.toHexString(
                Hash.sha3(
                    (name + "(" + String.join(",", types) + ")")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .substring(0, 10);
    CUSTOM.put(selector, new CustomError(name, kind, refs));
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
  @SuppressWarnings({"rawtypes", "unchecked"})
  static RevertException decode(String function, String data) {
    String hex = data == null ? "" : data.trim();
    if (hex.startsWith("\"") && hex.endsWith("\"")) {
      hex = hex.substring(1, hex.length() - 1);
    }
    if (!hex.startsWith("0x") || hex.length() < 10) {
      return new RevertException(
          RevertException.Kind.NO_REASON,
          "reverted without a reason",
          function,
          "",
          List.of(),
          null);
    }
    String selector = hex.substring(0, 10).toLowerCase(java.util.Locale.ROOT);
    String body = "0x" + hex.substring(10);
    try {
      if (selector.equals(ERROR_SELECTOR)) {
        List<Type> out =
            FunctionReturnDecoder.decode(body, (List) List.of(new TypeReference<Utf8String>() {}));
        String reason = out.isEmpty() ? "" : out.get(0).getValue().toString();
        return new RevertException(classify(reason), reason, function, "Error", List.of(), null);
      }
      if (selector.equals(PANIC_SELECTOR)) {
        List<Type> out =
            FunctionReturnDecoder.decode(body, (List) List.of(new TypeReference<Uint256>() {}));
        BigInteger code = out.isEmpty() ? BigInteger.ZERO : (BigInteger) out.get(0).getValue();
        return new RevertException(
            RevertException.Kind.PANIC,
            "panic 0x" + code.toString(16),
            function,
            "Panic",
            List.of(code),
            null);
      }
      CustomError ce = CUSTOM.get(selector);
      if (ce != null) {
        List<Object> args = new ArrayList<>();
        if (!ce.params().isEmpty()) {
          List<Type> decoded = FunctionReturnDecoder.decode(body, (List) ce.params());
          for (Type t : decoded) {
            args.add(t.getValue());
          }
        }
        StringBuilder s = new StringBuilder(ce.name()).append('(');
        for (int i = 0; i < args.size(); i++) {
          s.append(i == 0 ? "" : ", ").append(args.get(i));
        }
        return new RevertException(
            ce.kind(), s.append(')').toString(), function, ce.name(), args, null);
      }
    } catch (RuntimeException malformed) {
      // fall through: unknown shape
    }
    return new RevertException(
        RevertException.Kind.OTHER,
        "custom error " + selector + " (data " + hex + ")",
        function,
        selector,
        List.of(),
        null);
  }
}
