package io.attest402.contracts;

import static io.attest402.contracts.testing.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Transactions;
import io.attest402.contracts.generated.SettlementLog;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tuples.generated.Tuple5;

/**
 * SettlementLog anchors on a real chain: per sender, strictly increasing seq, event, latest and
 * headAt views.
 */
@ExtendWith(ChainExtension.class)
class SettlementLogTest {
  private Chain chain;
  private String snapshot;
  private String address;
  private Credentials alice;
  private Credentials bob;

  @BeforeEach
  void setUp(Chain chain) {
    this.chain = chain;
    snapshot = chain.snapshot();
    address = chain.deployment().contracts().settlementLog();
    alice = chain.account(7);
    bob = chain.account(8);
  }

  @AfterEach
  void tearDown() {
    chain.revert(snapshot);
  }

  private SettlementLog log(Credentials who) {
    return SettlementLog.load(address, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private static byte[] head(String s) {
    return Hash.sha3(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void deployedAndWrittenIntoTheDeployment() throws Exception {
    assertNotNull(address);
    assertTrue(chain.deployment().toJson().contains("\"settlementLog\" : \"" + address + "\""));
    Tuple5<Boolean, BigInteger, byte[], BigInteger, BigInteger> none =
        log(alice).latest(alice.getAddress()).send();
    assertFalse(none.component1());
    assertEquals(BigInteger.ZERO, log(alice).anchorCount(alice.getAddress()).send());
  }

  @Test
  void anchorsArePerSenderWithEventAndViews() throws Exception {
    TransactionReceipt r =
        Transactions.requireSuccess(
            log(alice).anchor(BigInteger.valueOf(0), head("a0")).send(), "anchor");
    List<SettlementLog.AnchoredEventResponse> events = SettlementLog.getAnchoredEvents(r);
    assertEquals(1, events.size());
    assertEquals(alice.getAddress(), events.get(0).facilitator);
    assertEquals(BigInteger.ZERO, events.get(0).seq);
    assertArrayEquals(head("a0"), events.get(0).head);
    assertEquals(BigInteger.ONE, events.get(0).count);

    Transactions.requireSuccess(
        log(alice).anchor(BigInteger.valueOf(20), head("a20")).send(), "anchor");
    // bob's anchors are his own: seq 5 is fine for him although alice is at 20
    Transactions.requireSuccess(
        log(bob).anchor(BigInteger.valueOf(5), head("b5")).send(), "anchor");

    var a = log(alice).latest(alice.getAddress()).send();
    assertTrue(a.component1());
    assertEquals(BigInteger.valueOf(20), a.component2());
    assertArrayEquals(head("a20"), a.component3());
    assertTrue(a.component4().signum() > 0);
    assertTrue(a.component5().signum() > 0);
    assertArrayEquals(head("a0"), log(alice).headAt(alice.getAddress(), BigInteger.ZERO).send());
    assertArrayEquals(
        new byte[32], log(alice).headAt(alice.getAddress(), BigInteger.valueOf(7)).send());
    assertEquals(BigInteger.TWO, log(alice).anchorCount(alice.getAddress()).send());
    var b = log(bob).latest(bob.getAddress()).send();
    assertEquals(BigInteger.valueOf(5), b.component2());
    assertArrayEquals(head("b5"), b.component3());
  }

  @Test
  void seqMustIncreaseStrictly() throws Exception {
    Transactions.requireSuccess(
        log(alice).anchor(BigInteger.valueOf(21), head("x")).send(), "anchor");
    // a restored copy re-anchoring the same seq with another head, or an older seq, is refused
    assertReverts(
        chain,
        alice.getAddress(),
        address,
        log(alice).anchor(BigInteger.valueOf(21), head("y")),
        "seq not increasing");
    assertReverts(
        chain,
        alice.getAddress(),
        address,
        log(alice).anchor(BigInteger.valueOf(3), head("z")),
        "seq not increasing");
    assertReverts(
        chain,
        alice.getAddress(),
        address,
        log(alice).anchor(BigInteger.valueOf(22), new byte[32]),
        "empty head");
    assertArrayEquals(head("x"), log(alice).latest(alice.getAddress()).send().component3());
  }
}
