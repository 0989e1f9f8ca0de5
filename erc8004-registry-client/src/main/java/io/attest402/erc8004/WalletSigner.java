package io.attest402.erc8004;

import io.attest402.enclave.EnclaveKey;
import java.util.Objects;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/**
 * The consent of a wallet to become an agent's {@code agentWallet}: it signs the EIP-712 {@code
 * AgentWalletSet} digest. An EOA signs with its key; an ERC-1271 contract wallet's signature is
 * whatever its {@code isValidSignature} accepts (for {@code TestSmartWallet}: its owner's ECDSA
 * signature).
 */
public interface WalletSigner {
  /** The wallet address that becomes agentWallet. */
  String address();

  /** A 65-byte {@code r || s || v} (v = 27/28) signature over the 32-byte digest. */
  byte[] signDigest(byte[] digest32);

  static WalletSigner eoa(Credentials key) {
    return new WalletSigner() {
      @Override
      public String address() {
        return Keys.toChecksumAddress(key.getAddress());
      }

      @Override
      public byte[] signDigest(byte[] digest32) {
        return pack(Sign.signMessage(digest32, key.getEcKeyPair(), false));
      }
    };
  }

  /** The enclave's key as the wallet (the facilitator's agentWallet is its enclave address). */
  static WalletSigner enclave(EnclaveKey key) {
    return new WalletSigner() {
      @Override
      public String address() {
        return key.address();
      }

      @Override
      public byte[] signDigest(byte[] digest32) {
        return pack(key.signDigest(digest32));
      }
    };
  }

  /**
   * An ERC-1271 contract wallet whose {@code isValidSignature} accepts its owner's ECDSA signature.
   */
  static WalletSigner erc1271(String contractWallet, Credentials ownerKey) {
    Objects.requireNonNull(contractWallet, "contractWallet");
    return new WalletSigner() {
      @Override
      public String address() {
        return Keys.toChecksumAddress(contractWallet);
      }

      @Override
      public byte[] signDigest(byte[] digest32) {
        return pack(Sign.signMessage(digest32, ownerKey.getEcKeyPair(), false));
      }
    };
  }

  static byte[] pack(Sign.SignatureData s) {
    byte[] out = new byte[65];
    System.arraycopy(s.getR(), 0, out, 0, 32);
    System.arraycopy(s.getS(), 0, out, 32, 32);
    out[64] = s.getV()[0];
    return out;
  }
}
