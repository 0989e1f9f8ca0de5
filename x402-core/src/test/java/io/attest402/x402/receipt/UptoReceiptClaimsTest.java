package io.attest402.x402.receipt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JWSObject;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/**
 * An {@code upto} receipt states the signed maximum ({@code maxAmount}) beside the charged {@code
 * amount}; every other receipt keeps exactly the claims (and bytes) it had, so verifiers that
 * predate {@code maxAmount} still read them.
 */
class UptoReceiptClaimsTest {
  static final String PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  static final String PAY_TO = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
  static final String TX = "0x" + "ab".repeat(32);
  static final String NONCE = "0x" + "5e".repeat(32);

  static SettlementFacts settled(long amount) {
    return SettlementFacts.settled(
        ReceiptChainTest.NETWORK,
        TX,
        PAYER,
        PAY_TO,
        ReceiptChainTest.USDC,
        BigInteger.valueOf(amount),
        NONCE,
        100,
        1_767_225_600L);
  }

  private static String payload(SignedReceipt r) throws Exception {
    return JWSObject.parse(r.jws()).getPayload().toString();
  }

  private final ReceiptSigner signer =
      new ReceiptSigner(ReceiptChainTest.ADDRESS, ReceiptChainTest.signerFor(ReceiptChainTest.KEY));

  @Test
  void anExactReceiptHasTheClaimsItAlwaysHad() throws Exception {
    SignedReceipt r = signer.sign(settled(1_234), 0, Receipt.ZERO_HASH);
    assertEquals(
        "{\"v\":1,\"seq\":0,\"prev\":\""
            + Receipt.ZERO_HASH
            + "\",\"signer\":\""
            + ReceiptChainTest.ADDRESS
            + "\",\"network\":\"eip155:31337\",\"txHash\":\""
            + TX
            + "\",\"payer\":\""
            + PAYER
            + "\",\"payTo\":\""
            + PAY_TO
            + "\",\"asset\":\""
            + ReceiptChainTest.USDC
            + "\",\"amount\":\"1234\",\"nonce\":\""
            + NONCE
            + "\",\"block\":100,\"time\":1767225600,\"status\":\"settled\"}",
        payload(r));
    Receipt read = ReceiptVerifier.verify(r.jws(), ReceiptChainTest.ADDRESS);
    assertNull(read.maxAmount());
  }

  @Test
  void anUptoReceiptStatesTheMaximumBesideTheCharge() throws Exception {
    SignedReceipt r =
        signer.sign(settled(1_234).withMaxAmount(BigInteger.valueOf(5_000)), 3, "ab".repeat(32));
    String json = payload(r);
    assertEquals(
        true, json.contains("\"amount\":\"1234\",\"maxAmount\":\"5000\",\"nonce\":\""), json);
    Receipt read = ReceiptVerifier.verify(r.jws(), ReceiptChainTest.ADDRESS);
    assertEquals(BigInteger.valueOf(1_234), read.amount());
    assertEquals(BigInteger.valueOf(5_000), read.maxAmount());
    assertEquals(BigInteger.valueOf(5_000), read.facts().maxAmount());
    // the chain of receipts verifies across exact and upto receipts alike
    assertEquals(r.hash(), ReceiptVerifier.hash(r.jws()));
  }

  @Test
  void aMaximumBelowTheChargeIsNoReceipt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> settled(1_234).withMaxAmount(BigInteger.valueOf(1_233)));
    assertEquals("maxAmount 1233 is below the charged amount 1234", e.getMessage());
  }
}
