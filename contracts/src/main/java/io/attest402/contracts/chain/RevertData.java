package io.attest402.contracts.chain;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.ContractArtifact;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * The one revert-data decoder: {@code Error(string)}, {@code Panic(uint256)}, and the custom errors
 * of the compiled contracts' ABIs (plus the OpenZeppelin errors the reference registries raise), so
 * no selector is written by hand. The registry client maps the result to its {@code
 * RevertException}; the contract tests compare its text.
 */
public final class RevertData {
  private RevertData() {}

  private static final String ERROR_SELECTOR = "0x08c379a0";
  private static final String PANIC_SELECTOR = "0x4e487b71";

  /** Errors the reference (OpenZeppelin-based) registries and tokens raise besides our ABIs'. */
  private static final List<String> STANDARD_ERRORS =
      List.of(
          "ERC721NonexistentToken(uint256)",
          "ERC721InsufficientApproval(address,uint256)",
          "ERC721IncorrectOwner(address,uint256,address)",
          "ERC721InvalidOwner(address)",
          "ERC721InvalidSender(address)",
          "ERC721InvalidReceiver(address)",
          "ERC721InvalidApprover(address)",
          "ERC721InvalidOperator(address)",
          "ERC20InsufficientBalance(address,uint256,uint256)",
          "ERC20InsufficientAllowance(address,uint256,uint256)",
          "ECDSAInvalidSignature()",
          "ECDSAInvalidSignatureLength(uint256)");

  private static final List<String> ARTIFACTS =
      List.of(
          ContractArtifact.IDENTITY_REGISTRY,
          ContractArtifact.REPUTATION_REGISTRY,
          ContractArtifact.VALIDATION_REGISTRY,
          ContractArtifact.TEST_USDC,
          ContractArtifact.TEST_SMART_WALLET);

  private record ErrorDef(String name, List<String> types) {}

  /**
   * Decoded revert data.
   *
   * @param name {@code Error}, {@code Panic}, the custom error's name, the bare selector when it is
   *     unknown, or empty when there is no data
   * @param args the decoded arguments (web3j values: String address, BigInteger, byte[], ...)
   * @param reason the {@code Error(string)} text; otherwise null
   * @param data the revert data as given (0x-hex, without quotes)
   */
  public record Decoded(String name, List<Object> args, String reason, String data) {
    public boolean empty() {
      return name.isEmpty();
    }

    public boolean known() {
      return !empty() && !name.startsWith("0x");
    }
  }

  private static volatile Map<String, ErrorDef> errors;

  private static Map<String, ErrorDef> errors() {
    Map<String, ErrorDef> m = errors;
    if (m == null) {
      m = new HashMap<>();
      for (String signature : STANDARD_ERRORS) {
        int open = signature.indexOf('(');
        String inner = signature.substring(open + 1, signature.length() - 1);
        m.put(
            selector(signature),
            new ErrorDef(
                signature.substring(0, open),
                inner.isEmpty() ? List.of() : List.of(inner.split(","))));
      }
      for (String artifact : ARTIFACTS) {
        for (JsonNode entry : ContractArtifact.load(artifact).abi()) {
          if (!"error".equals(entry.path("type").asText())) {
            continue;
          }
          List<String> types = new ArrayList<>();
          entry.path("inputs").forEach(i -> types.add(i.path("type").asText()));
          String name = entry.path("name").asText();
          m.put(
              selector(name + "(" + String.join(",", types) + ")"),
              new ErrorDef(name, List.copyOf(types)));
        }
      }
      errors = m;
    }
    return m;
  }

  private static String selector(String signature) {
    return Numeric.toHexString(Hash.sha3(signature.getBytes(StandardCharsets.UTF_8)))
        .substring(0, 10);
  }

  /**
   * Decodes {@code data} (0x-hex, possibly quoted as web3j keeps an error's data, empty or null).
   * Data that is shorter than a selector decodes as empty; a known selector whose arguments do not
   * decode, or an unknown one, as the bare selector.
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static Decoded decode(String data) {
    String hex = data == null ? "" : data.trim();
    if (hex.startsWith("\"") && hex.endsWith("\"") && hex.length() >= 2) {
      hex = hex.substring(1, hex.length() - 1);
    }
    if (!hex.startsWith("0x") || hex.length() < 10) {
      return new Decoded("", List.of(), null, hex);
    }
    String selector = hex.substring(0, 10).toLowerCase(Locale.ROOT);
    String body = "0x" + hex.substring(10);
    try {
      if (selector.equals(ERROR_SELECTOR)) {
        List<Type> out =
            FunctionReturnDecoder.decode(body, (List) List.of(new TypeReference<Utf8String>() {}));
        String reason = out.isEmpty() ? "" : out.get(0).getValue().toString();
        return new Decoded("Error", List.of(reason), reason, hex);
      }
      if (selector.equals(PANIC_SELECTOR)) {
        List<Type> out =
            FunctionReturnDecoder.decode(body, (List) List.of(new TypeReference<Uint256>() {}));
        BigInteger code = out.isEmpty() ? BigInteger.ZERO : (BigInteger) out.get(0).getValue();
        return new Decoded("Panic", List.of(code), null, hex);
      }
      ErrorDef def = errors().get(selector);
      if (def != null) {
        List<Object> args = new ArrayList<>();
        if (!def.types().isEmpty()) {
          List<TypeReference<?>> refs = new ArrayList<>();
          for (String t : def.types()) {
            refs.add(TypeReference.makeTypeReference(t));
          }
          List<Type> decoded = FunctionReturnDecoder.decode(body, (List) refs);
          for (Type t : decoded) {
            args.add(t.getValue());
          }
        }
        return new Decoded(def.name(), List.copyOf(args), null, hex);
      }
    } catch (RuntimeException | ClassNotFoundException malformed) {
      // fall through: an unknown shape
    }
    return new Decoded(selector, List.of(), null, hex);
  }
}
