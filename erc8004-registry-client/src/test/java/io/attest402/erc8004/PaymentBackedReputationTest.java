package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.ReputationRegistryClient.NewFeedback;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.reputation.FeedbackReport;
import io.attest402.erc8004.reputation.PaymentBackedSummary;
import io.attest402.erc8004.reputation.PaymentProofVerifier;
import io.attest402.erc8004.reputation.ProofCheck;
import io.attest402.erc8004.reputation.ReputationService;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.utils.Numeric;

@ExtendWith(ChainExtension.class)
class PaymentBackedReputationTest {
  static final BigInteger PRICE = BigInteger.valueOf(10_000); // 0.01 USDC

  static PaymentProofVerifier verifier(Chain chain, Erc8004Client c) {
    return new PaymentProofVerifier(c.rpc(), chain.deployment().contracts().usdc());
  }

  static FeedbackFile file(
      Erc8004Client c,
      BigInteger agentId,
      String reviewer,
      long value,
      FeedbackFile.ProofOfPayment proof) {
    return new FeedbackFile(
        c.addresses().agentRegistry(),
        agentId,
        c.addresses().network() + ":" + reviewer,
        "2026-01-15T12:00:00Z",
        BigInteger.valueOf(value),
        0,
        "starred",
        "x402",
        null,
        proof,
        null);
  }

  static FeedbackEvent post(Erc8004Client reviewer, BigInteger agentId, FeedbackFile f) {
    return reviewer
        .reputation()
        .giveFeedback(
            new NewFeedback(
                agentId,
                f.value(),
                f.valueDecimals(),
                f.tag1(),
                f.tag2(),
                "",
                f.toDataUri(),
                Numeric.hexStringToByteArray(f.hashHex())));
  }

  static FeedbackFile.ProofOfPayment proof(String from, String to, String tx) {
    return new FeedbackFile.ProofOfPayment(from, to, "31337", tx);
  }

  @Test
  void proofsAreCheckedAgainstTheTransferLogNotTheSender(Chain chain) throws Exception {
    Erc8004Client c = IdentityRegistryClientTest.client(chain, chain.account(1));
    String payee = chain.account(1).getAddress();
    String payer = chain.account(2).getAddress();
    PaymentProofVerifier v = verifier(chain, c);

    String settled = Payments.settle(chain, chain.account(2), payee, PRICE, chain.account(5));
    ProofCheck ok = v.check(proof(payer, payee, settled), payer, payee);
    assertTrue(ok.valid(), ok.reason());
    assertEquals(PRICE, ok.amount());
    String txSender =
        chain
            .web3j()
            .ethGetTransactionByHash(settled)
            .send()
            .getTransaction()
            .orElseThrow()
            .getFrom();
    assertEquals(
        chain.account(5).getAddress(), txSender, "the facilitator sent it, the payer only signed");

    String plain = Payments.transfer(chain, chain.account(2), payee, PRICE);
    assertTrue(v.check(proof(payer, payee, plain), payer, payee).valid());

    String other = chain.account(3).getAddress();
    ProofCheck wrongPayer = v.check(proof(other, payee, settled), null, null);
    assertFalse(wrongPayer.valid());
    assertTrue(wrongPayer.reason().contains("no transfer"), wrongPayer.reason());
    assertFalse(
        v.check(proof(payer, payee, settled), other, payee).valid(), "reviewer is not the payer");

    ProofCheck wrongPayee = v.check(proof(payer, other, settled), null, null);
    assertFalse(wrongPayee.valid());
    assertFalse(
        v.check(proof(payer, payee, settled), payer, other).valid(),
        "payee is not the agent wallet");

    ProofCheck missing = v.check(proof(payer, payee, "0x" + "ab".repeat(32)), payer, payee);
    assertFalse(missing.valid());
    assertTrue(missing.reason().contains("not found"), missing.reason());
    assertFalse(
        v.check(new FeedbackFile.ProofOfPayment(payer, payee, "1", settled), payer, payee).valid(),
        "another chain");
    assertTrue(
        v.check(
                new FeedbackFile.ProofOfPayment(payer, payee, "eip155:31337", settled),
                payer,
                payee)
            .valid());
    assertFalse(v.check(proof(payer, payee, "0x1234"), payer, payee).valid());
    // a transfer of another token does not count
    PaymentProofVerifier otherAsset =
        new PaymentProofVerifier(c.rpc(), chain.deployment().contracts().identityRegistry());
    assertFalse(otherAsset.check(proof(payer, payee, settled), payer, payee).valid());
  }

  @Test
  void sybilSwarmCannotMoveThePaymentBackedScore(Chain chain) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(6));
    BigInteger agentId = owner.identity().register("https://provider.example/agent.json").agentId();
    String wallet = chain.account(6).getAddress();
    ReputationService reputation =
        new ReputationService(owner, UriResolver.defaults(), verifier(chain, owner), 0);

    // two honest customers pay and rate
    List<String> honest = new ArrayList<>();
    String firstPayment = null;
    for (int i : new int[] {7, 8}) {
      Credentials customer = chain.account(i);
      Payments.mint(chain, customer.getAddress(), PRICE.multiply(BigInteger.TEN));
      String tx = Payments.settle(chain, customer, wallet, PRICE, chain.account(5));
      firstPayment = firstPayment == null ? tx : firstPayment;
      Erc8004Client rc = IdentityRegistryClientTest.client(chain, customer);
      post(
          rc,
          agentId,
          file(
              rc,
              agentId,
              customer.getAddress(),
              i == 7 ? 90 : 80,
              proof(customer.getAddress(), wallet, tx)));
      honest.add(customer.getAddress());
    }
    PaymentBackedSummary before = reputation.paymentBacked(agentId);
    assertEquals(2, before.paymentBackedCount());
    assertEquals(BigInteger.valueOf(85), before.summary().value());

    // a swarm of fresh addresses: no payment, forged or borrowed proofs, all rating 0
    for (int i = 0; i < 12; i++) {
      Credentials sybil = Credentials.create(Keys.createEcKeyPair());
      Payments.fund(chain, sybil.getAddress(), BigInteger.TEN.pow(18));
      Erc8004Client sc = IdentityRegistryClientTest.client(chain, sybil);
      FeedbackFile.ProofOfPayment forged =
          switch (i % 4) {
            case 0 -> null; // no proof at all
            case 1 ->
                proof(
                    sybil.getAddress(),
                    wallet,
                    firstPayment); // someone else's payment, own address
            case 2 ->
                proof(honest.get(0), wallet, firstPayment); // someone else's payment, their address
            default ->
                proof(
                    sybil.getAddress(),
                    wallet,
                    "0x"
                        + Numeric.toHexStringNoPrefixZeroPadded(
                            BigInteger.valueOf(i + 1), 64)); // a made-up transaction
          };
      post(sc, agentId, file(sc, agentId, sybil.getAddress(), 0, forged));
    }
    PaymentBackedSummary after = reputation.paymentBacked(agentId);
    assertEquals(14, after.totalFeedback());
    assertEquals(before.summary(), after.summary(), "the swarm moved the payment-backed score");
    assertEquals(2, after.paymentBackedCount());
    for (FeedbackReport r : after.reports()) {
      assertEquals(
          honest.stream().anyMatch(h -> h.equalsIgnoreCase(r.event().client())),
          r.paymentBacked(),
          r.event().client() + ": " + r.reason());
    }
    // what an unfiltered average would have shown: the swarm drags it to ~12
    FeedbackSummary naive =
        owner.reputation().getSummary(agentId, owner.reputation().getClients(agentId), "", "");
    assertEquals(14, naive.count());
    assertNotEquals(before.summary().value(), naive.value());
    // the caller-chosen trusted set is also immune
    assertEquals(
        BigInteger.valueOf(85), reputation.trustedSummary(agentId, honest, "", "").value());

    // one payment backs at most one feedback
    Credentials repeat = chain.account(4);
    Payments.mint(chain, repeat.getAddress(), PRICE);
    String tx = Payments.settle(chain, repeat, wallet, PRICE, chain.account(5));
    Erc8004Client rc = IdentityRegistryClientTest.client(chain, repeat);
    for (int k = 0; k < 3; k++) {
      post(
          rc,
          agentId,
          file(rc, agentId, repeat.getAddress(), 100, proof(repeat.getAddress(), wallet, tx)));
    }
    PaymentBackedSummary reused = reputation.paymentBacked(agentId);
    assertEquals(3, reused.paymentBackedCount());
    assertEquals(
        2, reused.reports().stream().filter(r -> r.reason().contains("already backs")).count());

    // revoking takes it out of the score
    IdentityRegistryClientTest.client(chain, chain.account(7))
        .reputation()
        .revokeFeedback(agentId, 1);
    PaymentBackedSummary revoked = reputation.paymentBacked(agentId);
    assertEquals(2, revoked.paymentBackedCount());
    assertEquals(BigInteger.valueOf(90), revoked.summary().value()); // (80 + 100) / 2
  }

  @Test
  void tamperedOrMisaddressedFilesAreNotPaymentBacked(Chain chain) throws Exception {
    Erc8004Client owner = IdentityRegistryClientTest.client(chain, chain.account(1));
    BigInteger agentId = owner.identity().register("https://p.example/a.json").agentId();
    BigInteger otherAgent = owner.identity().register("https://p.example/b.json").agentId();
    String wallet = chain.account(1).getAddress();
    Credentials customer = chain.account(3);
    String tx = Payments.settle(chain, customer, wallet, PRICE, chain.account(5));
    Erc8004Client rc = IdentityRegistryClientTest.client(chain, customer);
    FeedbackFile good =
        file(rc, agentId, customer.getAddress(), 70, proof(customer.getAddress(), wallet, tx));
    // hash does not match the file
    rc.reputation()
        .giveFeedback(
            new NewFeedback(
                agentId,
                BigInteger.valueOf(70),
                0,
                "starred",
                "",
                "",
                good.toDataUri(),
                new byte[] {
                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                  24, 25, 26, 27, 28, 29, 30, 31, 32
                }));
    // a file about another agent
    post(
        rc,
        agentId,
        file(rc, otherAgent, customer.getAddress(), 70, proof(customer.getAddress(), wallet, tx)));
    ReputationService reputation =
        new ReputationService(owner, UriResolver.defaults(), verifier(chain, owner), 0);
    PaymentBackedSummary s = reputation.paymentBacked(agentId);
    assertEquals(0, s.paymentBackedCount());
    assertTrue(s.reports().get(0).reason().contains("feedbackHash"), s.reports().get(0).reason());
    assertTrue(s.reports().get(1).reason().contains("about agent"), s.reports().get(1).reason());
    // the genuine one counts, and an agent without a wallet has no payment-backed feedback
    post(rc, agentId, good);
    assertEquals(1, reputation.paymentBacked(agentId).paymentBackedCount());
    owner.identity().unsetAgentWallet(agentId);
    assertEquals(0, reputation.paymentBacked(agentId).paymentBackedCount());
  }
}
