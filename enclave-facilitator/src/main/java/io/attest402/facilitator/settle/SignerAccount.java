package io.attest402.facilitator.settle;

import io.attest402.enclave.EnclaveKey;
import java.math.BigInteger;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One attested signer's account on one chain: its key, its own nonce sequence, its balance as last
 * seen, and its load (settlements being prepared on it plus its transactions in flight), by which
 * {@link NetworkLane#pickSigner} spreads settlements.
 */
public final class SignerAccount {
  private final int index;
  private final EnclaveKey key;
  private final NonceManager nonces;
  private final Clock clock;
  private final AtomicInteger preparing = new AtomicInteger();
  private volatile BigInteger balance;
  private volatile long balanceAt;

  SignerAccount(int index, EnclaveKey key, Clock clock) {
    this.index = index;
    this.key = Objects.requireNonNull(key, "key");
    this.clock = clock;
    this.nonces = new NonceManager(clock);
  }

  /** 1-based position in the attested signer list (1 is the identity key). */
  public int index() {
    return index;
  }

  public EnclaveKey key() {
    return key;
  }

  public String address() {
    return key.address();
  }

  public NonceManager nonces() {
    return nonces;
  }

  /** Settlements being prepared on this signer plus its reserved and journaled nonces. */
  public int load() {
    return preparing.get() + nonces.inFlight();
  }

  void preparing(int delta) {
    preparing.addAndGet(delta);
  }

  /** The balance as last seen (null before the first look). */
  public BigInteger balance() {
    return balance;
  }

  public long balanceAgeMs() {
    return balance == null ? Long.MAX_VALUE : clock.millis() - balanceAt;
  }

  public void balance(BigInteger wei) {
    this.balance = wei;
    this.balanceAt = clock.millis();
  }

  /** Whether this account is known to have no gas. */
  boolean knownEmpty() {
    BigInteger b = balance;
    return b != null && b.signum() == 0;
  }

  @Override
  public String toString() {
    return "signer " + index + " " + key.address();
  }
}
