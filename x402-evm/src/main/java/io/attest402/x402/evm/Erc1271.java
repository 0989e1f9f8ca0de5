package io.attest402.x402.evm;

import java.util.Arrays;

/**
 * ERC-1271 {@code isValidSignature(bytes32, bytes)} through {@code eth_call}, strictly: valid only
 * when the call succeeds and returns the magic value {@code 0x1626ba7e}; a revert or a short answer
 * is "not valid". A node that cannot answer is no answer: its {@link
 * ChainAccess.ChainAccessException} propagates.
 */
public final class Erc1271 {
  private Erc1271() {}

  public static final byte[] MAGIC = {0x16, 0x26, (byte) 0xba, 0x7e};

  public static boolean isValidSignature(
      ChainAccess chain, String contract, byte[] digest, byte[] signature) {
    try {
      ChainAccess.CallResult r =
          chain.call(
              contract, Eip3009Calls.encode(Eip3009Calls.isValidSignature(digest, signature)));
      if (!r.success()) {
        return false;
      }
      byte[] out = Hex.decode(r.returnData());
      return out.length >= 32 && Arrays.equals(out, 0, 4, MAGIC, 0, 4);
    } catch (ChainAccess.ChainAccessException nodeFailed) {
      throw nodeFailed;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
