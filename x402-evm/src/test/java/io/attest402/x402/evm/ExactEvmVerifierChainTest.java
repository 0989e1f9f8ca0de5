package io.attest402.x402.evm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestSmartWallet;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.types.ErrorReasons;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.VerifyResponse;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * The verifier against a real anvil with our TestUSDC (USDC v2.2 clone) and Multicall3 installed.
 */
@ExtendWith(ChainExtension.class)
class ExactEvmVerifierChainTest {
  static final BigInteger PRICE = BigInteger.valueOf(25_000);

  Chain chain;
  Clock clock;
  ExactEvmVerifier verifier;
  PaymentRequirements req;
  String payTo;

  @BeforeAll
  static void multicall(Chain chain) {
    Interop.installMulticall3(chain);
  }

  void setUp(Chain c) {
    chain = c;
    clock = Clock.fixed(Instant.ofEpochSecond(c.latestTimestamp()), ZoneOffset.UTC);
    verifier = new ExactEvmVerifier(new Web3jChainAccess(c.web3j()), clock);
    payTo = c.deployment().account("provider").address();
    req =
        PaymentRequirements.exactEvm(
            c.deployment().network(),
            PRICE,
            c.deployment().contracts().usdc(),
            payTo,
            60,
            c.deployment().usdc().name(),
            c.deployment().usdc().version());
  }

  PaymentPayload pay(Credentials who, PaymentRequirements r) {
    ExactEvmPayload p = new Eip3009Signer(who, clock).sign(r);
    return new PaymentPayload(new ResourceInfo("http://r", null, null), r, p.toJson(), null);
  }

  TestUSDC usdc(Credentials who) {
    return TestUSDC.load(
        chain.deployment().contracts().usdc(), chain.web3j(), chain.txManager(who), chain.gas());
  }

  /** Settles the way a facilitator does: our calldata, sent by a gas-paying account. */
  TransactionReceipt settle(PaymentPayload p) throws Exception {
    ExactEvmPayload ep = ExactEvmPayload.fromJson(p.payload());
    String data = Eip3009Calls.settlementCalldata(ep.authorization(), ep.signatureBytes());
    var tx = chain.txManager(chain.account(DevAccounts.DEPLOYER));
    var sent =
        tx.sendTransaction(
            chain.gas().getGasPrice(),
            BigInteger.valueOf(300_000),
            chain.deployment().contracts().usdc(),
            data,
            BigInteger.ZERO);
    assertTrue(sent.getError() == null, () -> sent.getError().getMessage());
    return new org.web3j.tx.response.PollingTransactionReceiptProcessor(chain.web3j(), 50, 200)
        .waitForTransactionReceipt(sent.getTransactionHash());
  }

  @Test
  void eoaPaymentVerifiesAndItsSettlementMovesExactlyThePrice(Chain c) throws Exception {
    setUp(c);
    Credentials agent = c.account(DevAccounts.AGENT);
    PaymentPayload p = pay(agent, req);
    VerifyResponse r = verifier.verify(p, req);
    assertTrue(r.isValid(), String.valueOf(r));
    BigInteger before = usdc(agent).balanceOf(payTo).send();
    TransactionReceipt receipt = settle(p);
    assertTrue(receipt.isStatusOK());
    assertEquals(before.add(PRICE), usdc(agent).balanceOf(payTo).send());
    ExactEvmPayload ep = ExactEvmPayload.fromJson(p.payload());
    assertTrue(
        TransferLogs.hasMatchingTransfer(
            receipt.getLogs(), req.asset(), ep.authorization().from(), payTo, PRICE));
    // replay: the simulation reverts, the diagnostic finds the nonce used
    VerifyResponse again = verifier.verify(p, req);
    assertEquals(ErrorReasons.NONCE_ALREADY_USED, again.invalidReason());
    assertTrue(
        again.invalidMessage().contains("authorization is used or canceled"),
        again.invalidMessage());
    assertEquals(ErrorReasons.NONCE_ALREADY_USED, RevertReasons.map(again.invalidMessage()));
  }

  @Test
  void insufficientBalanceIsDiagnosed(Chain c) {
    setUp(c);
    Credentials poor = c.account(7);
    VerifyResponse r = verifier.verify(pay(poor, req), req);
    assertEquals(ErrorReasons.INSUFFICIENT_BALANCE, r.invalidReason());
    assertEquals(poor.getAddress().toLowerCase(), r.payer().toLowerCase());
  }

  @Test
  void wrongDomainNameSignsAnotherDigest(Chain c) {
    setUp(c);
    PaymentRequirements wrongName =
        PaymentRequirements.exactEvm(req.network(), PRICE, req.asset(), payTo, 60, "USDC", "2");
    VerifyResponse r = verifier.verify(pay(c.account(DevAccounts.AGENT), wrongName), wrongName);
    assertEquals(ErrorReasons.TOKEN_NAME_MISMATCH, r.invalidReason());
    assertTrue(r.invalidMessage().contains("invalid signature"), r.invalidMessage());
  }

  @Test
  void assetWithoutCodeIsRefused(Chain c) {
    setUp(c);
    PaymentRequirements eoaAsset =
        PaymentRequirements.exactEvm(
            req.network(), PRICE, c.account(9).getAddress(), payTo, 60, "USD Coin", "2");
    assertEquals(
        ErrorReasons.ASSET_NOT_DEPLOYED_CONTRACT,
        verifier.verify(pay(c.account(DevAccounts.AGENT), eoaAsset), eoaAsset).invalidReason());
  }

  @Test
  void erc1271WalletPaysThroughTheBytesOverload(Chain c) throws Exception {
    setUp(c);
    Credentials owner = c.account(DevAccounts.AGENT);
    TestSmartWallet wallet =
        TestSmartWallet.deploy(c.web3j(), c.txManager(owner), c.gas(), owner.getAddress()).send();
    usdc(c.account(DevAccounts.DEPLOYER)).mint(wallet.getContractAddress(), PRICE).send();
    // the owner signs the wallet's authorization; the wallet's isValidSignature accepts it
    Eip3009Signer ownerSigner = new Eip3009Signer(owner, clock);
    ExactEvmPayload.Authorization auth =
        new ExactEvmPayload.Authorization(
            Addresses.checksum(wallet.getContractAddress()),
            Addresses.checksum(payTo),
            PRICE,
            BigInteger.ZERO,
            BigInteger.valueOf(clock.instant().getEpochSecond() + 60),
            "0x" + "44".repeat(32));
    ExactEvmPayload signed = ownerSigner.sign(Eip712Domain.of(req), auth);
    // a 65-byte signature from a contract payer: the verifier routes by code (ERC-1271), not by
    // length
    PaymentPayload p = new PaymentPayload(null, req, signed.toJson(), null);
    VerifyResponse r = verifier.verify(p, req);
    assertTrue(r.isValid(), String.valueOf(r));
    ExactEvmPayload bad =
        ownerSigner.sign(new Eip712Domain("USD Coin", "1", c.chainId(), req.asset()), auth);
    assertEquals(
        ErrorReasons.INVALID_SIGNATURE,
        verifier.verify(new PaymentPayload(null, req, bad.toJson(), null), req).invalidReason());
    BigInteger before = usdc(owner).balanceOf(payTo).send();
    assertTrue(settle(p).isStatusOK());
    assertEquals(before.add(PRICE), usdc(owner).balanceOf(payTo).send());
  }

  @Test
  void calldataMatchesTheGeneratedWrapperForBothOverloads(Chain c) throws Exception {
    setUp(c);
    ExactEvmPayload ep = new Eip3009Signer(c.account(DevAccounts.AGENT), clock).sign(req);
    ExactEvmPayload.Authorization a = ep.authorization();
    Signatures.Rsv rsv = Signatures.parse(ep.signatureBytes()).orElseThrow();
    TestUSDC token = usdc(c.account(0));
    String viaWrapper =
        token
            .transferWithAuthorization(
                a.from(),
                a.to(),
                a.value(),
                a.validAfter(),
                a.validBefore(),
                a.nonceBytes(),
                BigInteger.valueOf(rsv.v()),
                rsv.r(),
                rsv.s())
            .encodeFunctionCall();
    assertEquals(viaWrapper, Eip3009Calls.settlementCalldata(a, ep.signatureBytes()));
    byte[] longSig = Numeric.hexStringToByteArray(ep.signature() + "00");
    String bytesViaWrapper =
        token
            .transferWithAuthorization(
                a.from(),
                a.to(),
                a.value(),
                a.validAfter(),
                a.validBefore(),
                a.nonceBytes(),
                longSig)
            .encodeFunctionCall();
    assertEquals(bytesViaWrapper, Eip3009Calls.settlementCalldata(a, longSig));
  }
}
