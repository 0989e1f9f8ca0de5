package io.attest402.x402.evm;

import io.attest402.x402.types.X402FormatException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Type;
import org.web3j.utils.Numeric;

/**
 * ERC-6492 signature wrappers ({@code abi.encode(address factory, bytes factoryCalldata, bytes
 * signature) || 0x6492...6492}) used by not-yet-deployed smart wallets.
 */
public final class Erc6492 {
  private Erc6492() {}

  /** The 32-byte magic suffix. */
  public static final byte[] MAGIC =
      Numeric.hexStringToByteArray(
          "0x6492649264926492649264926492649264926492649264926492649264926492");

  /**
   * An unwrapped signature: the factory (may be the zero address), its calldata, and the inner
   * signature.
   */
  public record Wrapped(String factory, String factoryCalldata, String innerSignature) {}

  public static boolean isWrapped(byte[] sig) {
    return sig.length >= 32 && Arrays.equals(sig, sig.length - 32, sig.length, MAGIC, 0, 32);
  }

  /**
   * Unwraps a signature ending with the magic suffix.
   *
   * @return empty when there is no suffix
   * @throws X402FormatException when the suffix is there but the ABI body is malformed
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static Optional<Wrapped> parse(String signatureHex) {
    byte[] sig = Hex.decode(signatureHex);
    if (!isWrapped(sig)) {
      return Optional.empty();
    }
    byte[] body = Arrays.copyOf(sig, sig.length - 32);
    List<Type> decoded;
    try {
      List<TypeReference<Type>> outputs = new java.util.ArrayList<>();
      outputs.add((TypeReference) new TypeReference<Address>() {});
      outputs.add((TypeReference) new TypeReference<DynamicBytes>() {});
      outputs.add((TypeReference) new TypeReference<DynamicBytes>() {});
      decoded = FunctionReturnDecoder.decode(Numeric.toHexString(body), outputs);
    } catch (RuntimeException e) {
      throw new X402FormatException(
          "payload.signature",
          "has the ERC-6492 suffix but a malformed wrapper: " + e.getMessage(),
          e);
    }
    if (decoded.size() != 3) {
      throw new X402FormatException(
          "payload.signature", "has the ERC-6492 suffix but a malformed wrapper");
    }
    String factory = ((Address) decoded.get(0)).getValue();
    String data = Numeric.toHexString(((DynamicBytes) decoded.get(1)).getValue());
    String inner = Numeric.toHexString(((DynamicBytes) decoded.get(2)).getValue());
    return Optional.of(new Wrapped(factory, data, inner));
  }
}
