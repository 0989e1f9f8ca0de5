package io.attest402.facilitator.settle;

import java.util.Locale;
import java.util.Objects;

/**
 * What makes a settlement unique: one EIP-3009 authorization, i.e. (network, asset, payer, 32-byte
 * nonce). The token itself refuses a second use of the same (payer, nonce), so one key is at most
 * one transfer; the facilitator makes it at most one transaction. Components are lower-case hex.
 */
public record SettlementKey(String network, String asset, String payer, String nonce) {
  public SettlementKey {
    Objects.requireNonNull(network, "network");
    asset = asset.toLowerCase(Locale.ROOT);
    payer = payer.toLowerCase(Locale.ROOT);
    nonce = nonce.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return network + "/" + asset + "/" + payer + "/" + nonce;
  }
}
