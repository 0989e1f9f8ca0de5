package io.attest402.x402.evm;

import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import org.web3j.utils.Numeric;

/** 32-byte ABI words for EIP-712 struct hashing. */
final class Abi {
  private Abi() {}

  static byte[] uint256(BigInteger v) {
    if (v.signum() < 0 || v.compareTo(Wire.UINT256_MAX) > 0) {
      throw new IllegalArgumentException("out of uint256 range: " + v);
    }
    return Numeric.toBytesPadded(v, 32);
  }

  static byte[] address(String a) {
    return Numeric.toBytesPadded(Numeric.toBigInt(a), 32);
  }

  static byte[] bytes32(byte[] b) {
    if (b.length != 32) {
      throw new IllegalArgumentException("bytes32 needs 32 bytes, got " + b.length);
    }
    return b.clone();
  }
}
