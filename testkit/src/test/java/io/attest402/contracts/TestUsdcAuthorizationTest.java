package io.attest402.contracts;

import static io.attest402.contracts.testing.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Transactions;
import io.attest402.contracts.generated.TestSmartWallet;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.contracts.testing.Eip712Signing;
import io.attest402.contracts.testing.Eip712Signing.Authorization;
import io.attest402.contracts.testing.Eip712Signing.Domain;
import io.attest402.contracts.testing.Eip712Signing.Signature;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** EIP-3009 and EIP-2612 on TestUSDC against a real chain: what x402 settlement relies on. */
@ExtendWith(ChainExtension.class)
class TestUsdcAuthorizationTest {
  private static final BigInteger AMOUNT = BigInteger.valueOf(1_250_000); // 1.25 USDC

  private Chain chain;
  private String snapshot;
  private String token;
  private Domain domain;
  private Credentials facilitator;
  private Credentials payer;
  private Credentials payee;
  private Credentials stranger;

  @BeforeEach
  void setUp(Chain chain) {
    this.chain = chain;
    snapshot = chain.snapshot();
    token = chain.deployment().contracts().usdc();
    domain = Domain.usdc(chain.chainId(), token);
    facilitator = chain.account(0);
    payer = chain.account(1);
    payee = chain.account(5);
    stranger = chain.account(6);
  }

  @AfterEach
  void tearDown() {
    chain.revert(snapshot);
  }

  private TestUSDC usdc(Credentials who) {
    return TestUSDC.load(token, chain.web3j(), chain.txManager(who), chain.gas());
  }

  private Authorization authorization(
      String from, String to, long validAfterOffset, long validBeforeOffset) {
    long now = chain.latestTimestamp();
    return new Authorization(
        from,
        to,
        AMOUNT,
        BigInteger.valueOf(Math.max(0, now + validAfterOffset)),
        BigInteger.valueOf(now + validBeforeOffset),
        Eip712Signing.randomNonce());
  }

  private Authorization validAuthorization() {
    return new Authorization(
        payer.getAddress(),
        payee.getAddress(),
        AMOUNT,
        BigInteger.ZERO,
        BigInteger.valueOf(chain.latestTimestamp() + 600),
        Eip712Signing.randomNonce());
  }

  private static org.web3j.protocol.core.RemoteFunctionCall<TransactionReceipt> transfer(
      TestUSDC usdc, Authorization a, Signature s) {
    return usdc.transferWithAuthorization(
        a.from(),
        a.to(),
        a.value(),
        a.validAfter(),
        a.validBefore(),
        a.nonce(),
        s.vAsBigInteger(),
        s.r(),
        s.s());
  }

  @Test
  void domainSeparatorMatchesTheContract() throws Exception {
    assertArrayEquals(
        usdc(facilitator).DOMAIN_SEPARATOR().send(), Eip712Signing.domainSeparator(domain));
  }

  @Test
  void transferWithAuthorizationMovesFundsAndEmitsAuthorizationUsed() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    BigInteger payerBefore = usdc.balanceOf(payer.getAddress()).send();
    BigInteger payeeBefore = usdc.balanceOf(payee.getAddress()).send();
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);

    TransactionReceipt r =
        Transactions.requireSuccess(transfer(usdc, a, sig).send(), "transferWithAuthorization");

    assertEquals(payerBefore.subtract(AMOUNT), usdc.balanceOf(payer.getAddress()).send());
    assertEquals(payeeBefore.add(AMOUNT), usdc.balanceOf(payee.getAddress()).send());
    List<TestUSDC.AuthorizationUsedEventResponse> used = TestUSDC.getAuthorizationUsedEvents(r);
    assertEquals(1, used.size());
    assertEquals(payer.getAddress(), used.get(0).authorizer);
    assertArrayEquals(a.nonce(), used.get(0).nonce);
    List<TestUSDC.TransferEventResponse> transfers = TestUSDC.getTransferEvents(r);
    assertEquals(1, transfers.size());
    assertEquals(AMOUNT, transfers.get(0).value);
    assertTrue(usdc.authorizationState(payer.getAddress(), a.nonce()).send());
  }

  @Test
  void replayOfTheSameNonceIsRejected() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    Transactions.requireSuccess(transfer(usdc, a, sig).send(), "first use");
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc, a, sig),
        "FiatTokenV2: authorization is used or canceled");
  }

  @Test
  void expiredAuthorizationIsRejected() {
    Authorization a = authorization(payer.getAddress(), payee.getAddress(), -3600, -1);
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc(facilitator), a, sig),
        "FiatTokenV2: authorization is expired");
  }

  @Test
  void notYetValidAuthorizationIsRejected() {
    Authorization a = authorization(payer.getAddress(), payee.getAddress(), 3600, 7200);
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc(facilitator), a, sig),
        "FiatTokenV2: authorization is not yet valid");
  }

  @Test
  void signatureByAnotherKeyIsRejected() {
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, stranger);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc(facilitator), a, sig),
        "FiatTokenV2: invalid signature");
  }

  @Test
  void alteredAmountInvalidatesTheSignature() {
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    Authorization more =
        new Authorization(
            a.from(),
            a.to(),
            a.value().add(BigInteger.ONE),
            a.validAfter(),
            a.validBefore(),
            a.nonce());
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc(facilitator), more, sig),
        "FiatTokenV2: invalid signature");
  }

  @Test
  void receiveWithAuthorizationOnlyByThePayee() throws Exception {
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.receiveWithAuthorization(a).sign(domain, payer);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc(facilitator)
            .receiveWithAuthorization(
                a.from(),
                a.to(),
                a.value(),
                a.validAfter(),
                a.validBefore(),
                a.nonce(),
                sig.vAsBigInteger(),
                sig.r(),
                sig.s()),
        "FiatTokenV2: caller must be the payee");

    TestUSDC asPayee = usdc(payee);
    BigInteger before = asPayee.balanceOf(payee.getAddress()).send();
    TransactionReceipt r =
        Transactions.requireSuccess(
            asPayee
                .receiveWithAuthorization(
                    a.from(),
                    a.to(),
                    a.value(),
                    a.validAfter(),
                    a.validBefore(),
                    a.nonce(),
                    sig.vAsBigInteger(),
                    sig.r(),
                    sig.s())
                .send(),
            "receive");
    assertEquals(before.add(AMOUNT), asPayee.balanceOf(payee.getAddress()).send());
    assertEquals(1, TestUSDC.getAuthorizationUsedEvents(r).size());
  }

  @Test
  void transferSignatureDoesNotAuthorizeReceive() {
    Authorization a = validAuthorization();
    Signature transferSig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    assertReverts(
        chain,
        payee.getAddress(),
        token,
        usdc(payee)
            .receiveWithAuthorization(
                a.from(),
                a.to(),
                a.value(),
                a.validAfter(),
                a.validBefore(),
                a.nonce(),
                transferSig.vAsBigInteger(),
                transferSig.r(),
                transferSig.s()),
        "FiatTokenV2: invalid signature");
  }

  @Test
  void cancelledNonceCannotBeUsed() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    Authorization a = validAuthorization();
    Signature transferSig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    Signature cancelSig =
        Eip712Signing.cancelAuthorization(payer.getAddress(), a.nonce()).sign(domain, payer);

    TransactionReceipt r =
        Transactions.requireSuccess(
            usdc.cancelAuthorization(
                    payer.getAddress(),
                    a.nonce(),
                    cancelSig.vAsBigInteger(),
                    cancelSig.r(),
                    cancelSig.s())
                .send(),
            "cancelAuthorization");
    List<TestUSDC.AuthorizationCanceledEventResponse> canceled =
        TestUSDC.getAuthorizationCanceledEvents(r);
    assertEquals(1, canceled.size());
    assertArrayEquals(a.nonce(), canceled.get(0).nonce);
    assertTrue(usdc.authorizationState(payer.getAddress(), a.nonce()).send());

    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        transfer(usdc, a, transferSig),
        "FiatTokenV2: authorization is used or canceled");
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc.cancelAuthorization(
            payer.getAddress(), a.nonce(), cancelSig.vAsBigInteger(), cancelSig.r(), cancelSig.s()),
        "FiatTokenV2: authorization is used or canceled");
  }

  @Test
  void cancelSignedByAnotherKeyIsRejected() {
    byte[] nonce = Eip712Signing.randomNonce();
    Signature sig =
        Eip712Signing.cancelAuthorization(payer.getAddress(), nonce).sign(domain, stranger);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc(facilitator)
            .cancelAuthorization(payer.getAddress(), nonce, sig.vAsBigInteger(), sig.r(), sig.s()),
        "FiatTokenV2: invalid signature");
  }

  @Test
  void bytesSignatureOverloadWithAnErc1271WalletPayer() throws Exception {
    Credentials walletOwner = chain.account(7);
    TestSmartWallet wallet =
        TestSmartWallet.deploy(
                chain.web3j(), chain.txManager(walletOwner), chain.gas(), walletOwner.getAddress())
            .send();
    TestUSDC usdc = usdc(facilitator); // the deployer, who may mint
    Transactions.requireSuccess(
        usdc.mint(wallet.getContractAddress(), AMOUNT.multiply(BigInteger.TWO)).send(), "mint");
    Authorization a =
        new Authorization(
            wallet.getContractAddress(),
            payee.getAddress(),
            AMOUNT,
            BigInteger.ZERO,
            BigInteger.valueOf(chain.latestTimestamp() + 600),
            Eip712Signing.randomNonce());

    Signature wrongOwner = Eip712Signing.transferWithAuthorization(a).sign(domain, stranger);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc.transferWithAuthorization(
            a.from(),
            a.to(),
            a.value(),
            a.validAfter(),
            a.validBefore(),
            a.nonce(),
            wrongOwner.bytes()),
        "FiatTokenV2: invalid signature");

    Signature bySigner = Eip712Signing.transferWithAuthorization(a).sign(domain, walletOwner);
    BigInteger before = usdc.balanceOf(payee.getAddress()).send();
    TransactionReceipt r =
        Transactions.requireSuccess(
            usdc.transferWithAuthorization(
                    a.from(),
                    a.to(),
                    a.value(),
                    a.validAfter(),
                    a.validBefore(),
                    a.nonce(),
                    bySigner.bytes())
                .send(),
            "ERC-1271 transferWithAuthorization");
    assertEquals(before.add(AMOUNT), usdc.balanceOf(payee.getAddress()).send());
    assertEquals(AMOUNT, usdc.balanceOf(wallet.getContractAddress()).send());
    assertEquals(
        wallet.getContractAddress(), TestUSDC.getAuthorizationUsedEvents(r).get(0).authorizer);
  }

  @Test
  void bytesSignatureOverloadWithAnEoaPayer() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    Authorization a = validAuthorization();
    Signature sig = Eip712Signing.transferWithAuthorization(a).sign(domain, payer);
    Transactions.requireSuccess(
        usdc.transferWithAuthorization(
                a.from(),
                a.to(),
                a.value(),
                a.validAfter(),
                a.validBefore(),
                a.nonce(),
                sig.bytes())
            .send(),
        "bytes overload");
    assertTrue(usdc.authorizationState(payer.getAddress(), a.nonce()).send());
  }

  @Test
  void permitSetsTheAllowanceAndConsumesTheNonce() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    BigInteger nonce = usdc.nonces(payer.getAddress()).send();
    BigInteger deadline = BigInteger.valueOf(chain.latestTimestamp() + 3600);
    Signature sig =
        Eip712Signing.permit(payer.getAddress(), payee.getAddress(), AMOUNT, nonce, deadline)
            .sign(domain, payer);

    TransactionReceipt r =
        Transactions.requireSuccess(
            usdc.permit(
                    payer.getAddress(),
                    payee.getAddress(),
                    AMOUNT,
                    deadline,
                    sig.vAsBigInteger(),
                    sig.r(),
                    sig.s())
                .send(),
            "permit");

    assertEquals(AMOUNT, usdc.allowance(payer.getAddress(), payee.getAddress()).send());
    assertEquals(nonce.add(BigInteger.ONE), usdc.nonces(payer.getAddress()).send());
    assertEquals(1, TestUSDC.getApprovalEvents(r).size());
    // The same signature now names a spent nonce, so it no longer verifies.
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc.permit(
            payer.getAddress(),
            payee.getAddress(),
            AMOUNT,
            deadline,
            sig.vAsBigInteger(),
            sig.r(),
            sig.s()),
        "EIP2612: invalid signature");
  }

  @Test
  void expiredPermitIsRejected() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    BigInteger nonce = usdc.nonces(payer.getAddress()).send();
    BigInteger deadline = BigInteger.valueOf(chain.latestTimestamp() - 1);
    Signature sig =
        Eip712Signing.permit(payer.getAddress(), payee.getAddress(), AMOUNT, nonce, deadline)
            .sign(domain, payer);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc.permit(
            payer.getAddress(),
            payee.getAddress(),
            AMOUNT,
            deadline,
            sig.vAsBigInteger(),
            sig.r(),
            sig.s()),
        "FiatTokenV2: permit is expired");
  }

  @Test
  void permitWithABadSignatureIsRejected() throws Exception {
    TestUSDC usdc = usdc(facilitator);
    BigInteger nonce = usdc.nonces(payer.getAddress()).send();
    BigInteger deadline = BigInteger.valueOf(chain.latestTimestamp() + 3600);
    Signature sig =
        Eip712Signing.permit(payer.getAddress(), payee.getAddress(), AMOUNT, nonce, deadline)
            .sign(domain, stranger);
    assertReverts(
        chain,
        facilitator.getAddress(),
        token,
        usdc.permit(
            payer.getAddress(),
            payee.getAddress(),
            AMOUNT,
            deadline,
            sig.vAsBigInteger(),
            sig.r(),
            sig.s()),
        "EIP2612: invalid signature");
    assertFalse(usdc.allowance(payer.getAddress(), payee.getAddress()).send().signum() > 0);
  }
}
