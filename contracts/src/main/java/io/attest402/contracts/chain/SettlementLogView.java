package io.attest402.contracts.chain;

import io.attest402.contracts.generated.SettlementLog;
import java.math.BigInteger;
import java.util.Optional;
import org.web3j.protocol.Web3j;
import org.web3j.tx.ReadonlyTransactionManager;
import org.web3j.tx.gas.DefaultGasProvider;
import org.web3j.utils.Numeric;

/**
 * Read-only access to a {@code SettlementLog}: the newest anchor of a facilitator and the head
 * anchored at a seq, and the call data of an {@code anchor} transaction (which the caller signs and
 * sends with its own nonce management).
 */
public final class SettlementLogView {
  /**
   * One anchor: the receipt {@code seq} and its hash {@code head} (64 lower-case hex digits, no
   * 0x).
   */
  public record Anchor(long seq, String head, long blockNumber, long timestamp) {}

  private final String address;
  private final SettlementLog contract;

  public SettlementLogView(Web3j web3j, String address) {
    this.address = address;
    this.contract =
        SettlementLog.load(
            address, web3j, new ReadonlyTransactionManager(web3j, null), new DefaultGasProvider());
  }

  public String address() {
    return address;
  }

  /** The newest anchor {@code facilitator} recorded, or empty when it never anchored. */
  public Optional<Anchor> latest(String facilitator) throws Exception {
    var t = contract.latest(facilitator).send();
    if (!t.component1()) {
      return Optional.empty();
    }
    return Optional.of(
        new Anchor(
            t.component2().longValueExact(),
            hex(t.component3()),
            t.component4().longValueExact(),
            t.component5().longValueExact()));
  }

  /** The head {@code facilitator} anchored at exactly {@code seq}, or empty. */
  public Optional<String> headAt(String facilitator, long seq) throws Exception {
    byte[] h = contract.headAt(facilitator, BigInteger.valueOf(seq)).send();
    return h == null || new BigInteger(1, h).signum() == 0 ? Optional.empty() : Optional.of(hex(h));
  }

  /** ABI-encoded {@code anchor(seq, head)}; {@code head} as 64 hex digits (with or without 0x). */
  public String anchorCallData(long seq, String head) {
    return contract.anchor(BigInteger.valueOf(seq), head32(head)).encodeFunctionCall();
  }

  static String hex(byte[] b) {
    return Numeric.toHexStringNoPrefixZeroPadded(new BigInteger(1, b), 64);
  }

  static byte[] head32(String head) {
    byte[] b = Numeric.hexStringToByteArray(head);
    if (b.length != 32) {
      throw new IllegalArgumentException("a head is 32 bytes, not " + b.length);
    }
    return b;
  }
}
