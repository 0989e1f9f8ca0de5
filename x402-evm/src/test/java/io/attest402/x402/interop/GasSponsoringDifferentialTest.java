package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.Deployer;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.contracts.generated.TestPermitToken;
import io.attest402.contracts.generated.TestPlainToken;
import io.attest402.x402.evm.Addresses;
import io.attest402.x402.evm.Eip3009Signer;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.extensions.Erc20ApprovalGasSponsoring;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.testing.Interop;
import io.attest402.x402.testing.Paying;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.tx.Transfer;
import org.web3j.utils.Convert;
import org.web3j.utils.Numeric;

/**
 * The gas-sponsoring differential corpus: Permit2 {@code exact} payments carrying an {@code
 * erc20ApprovalGasSponsoring} approval or an {@code eip2612GasSponsoring} permit, valid and bent
 * one field at a time, verified on the same anvil by the official facilitator logic ({@code
 * interop/official-facilitator.mjs} with the official {@code @x402/extensions} ERC-20 approval
 * extension registered, {@code @x402/evm} 2.27.0) and by our {@link ExactEvmVerifier}. Each case
 * names the official answer and ours: they are the same reason except where attest402 refuses what
 * the official code would broadcast and pay gas for (README "What the facilitator speaks"), and
 * each such case says so by its two expected answers.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GasSponsoringDifferentialTest {
  static final BigInteger PRICE = BigInteger.valueOf(2_500);
  static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
  static final BigInteger GWEI = BigInteger.TEN.pow(9);
  static final BigInteger GAS = BigInteger.valueOf(70_000); // what the official client signs
  static final BigInteger FEE = GWEI.multiply(BigInteger.valueOf(5));
  final AtomicLong nonces = new AtomicLong(50_000);

  /**
   * One payment, the official facilitator's expected answer and ours (null = valid). {@code
   * official != ours} marks a deliberate attest402 refusal.
   */
  record Case(String name, PaymentPayload payload, String official, String ours) {
    static Case same(String name, PaymentPayload p, String reason) {
      return new Case(name, p, reason, reason);
    }

    /** The official code answers valid; attest402 refuses with {@code reason}. */
    static Case oursOnly(String name, PaymentPayload p, String reason) {
      return new Case(name, p, null, reason);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  NodeScript official;
  HttpFacilitatorClient fac;
  ExactEvmVerifier ours;
  String network;
  String payTo;

  @BeforeAll
  void start(Chain chain) {
    Interop.installMulticall3(chain);
    network = chain.deployment().network();
    payTo = Addresses.checksum(chain.deployment().account("provider").address());
    Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
    env.put("FACILITATOR_PRIVATE_KEY", Interop.key(9));
    env.put("PORT", "0");
    env.put("ERC20_APPROVAL_GAS_SPONSORING", "true");
    official = NodeScript.start("official-facilitator.mjs", List.of(), env, Interop.START_TIMEOUT);
    fac =
        HttpFacilitatorClient.builder(URI.create(official.ready().path("url").asText()))
            .timeout(Duration.ofSeconds(60))
            .build();
    ours = new ExactEvmVerifier(new Web3jChainAccess(chain.web3j()), Clock.systemUTC());
  }

  @AfterAll
  void stop() {
    if (official != null) {
      official.close();
    }
  }

  @Test
  void officialAndOursAgreeOnEveryErc20ApprovalReasonAndOursRefusesWhatItMustNotFund(Chain chain)
      throws Exception {
    String plain = Addresses.checksum(chain.deployment().contracts().plainToken());
    String usdc = Addresses.checksum(chain.deployment().contracts().usdc());
    long id = chain.chainId();
    var t = Deployer.PLAIN_TOKEN;
    PaymentRequirements req = permit2Requirements(plain, t.name(), t.version());
    Credentials payer = payer(chain, plain, false); // tokens, no ETH, no Permit2 allowance
    Credentials other = Credentials.create(Keys.createEcKeyPair());
    Credentials approved = payer(chain, plain, true); // has approved Permit2 itself
    Credentials empty = Credentials.create(Keys.createEcKeyPair()); // no tokens at all
    String attacker = chain.account(DevAccounts.VALIDATOR).getAddress();
    BigInteger overAnyCap = GWEI.multiply(BigInteger.valueOf(100_000));

    // the approved payer's payment, settled first (plain Permit2, no extension): its nonce is used
    Permit2Payload spent = permit2(chain, approved, plain);
    SettleResponse settled = fac.settle(wrap(req, spent, null), req).get(60, TimeUnit.SECONDS);
    assertTrue(settled.success(), String.valueOf(settled));

    String good = approval(payer, id, 0, GAS, FEE, plain, BigInteger.ZERO, approve(MAX));
    // the payer's payment carrying approval tx; bent: the good approval with its info bent
    java.util.function.Function<String, PaymentPayload> paying =
        tx -> pay(chain, req, payer, plain, info(payer, plain, tx));
    java.util.function.Function<Consumer<ObjectNode>, PaymentPayload> bent =
        bend -> pay(chain, req, payer, plain, info(payer, plain, good, bend));
    // the payer's approval at nonce 0 as the official client signs it, calling data on the token
    UnaryOperator<String> approving =
        data -> approval(payer, id, 0, GAS, FEE, plain, BigInteger.ZERO, data);

    List<Case> cases = new ArrayList<>();
    cases.add(Case.same("valid", paying.apply(good), null));
    cases.add(
        Case.same(
            "approves exactly the payment", paying.apply(approving.apply(approve(PRICE))), null));
    cases.add(
        Case.same(
            "info from another address",
            bent.apply(i -> i.put("from", attacker)),
            "erc20_approval_from_mismatch"));
    cases.add(
        Case.same(
            "info for another asset",
            bent.apply(i -> i.put("asset", usdc)),
            "erc20_approval_asset_mismatch"));
    cases.add(
        Case.same(
            "info names another spender",
            bent.apply(i -> i.put("spender", attacker)),
            "erc20_approval_spender_not_permit2"));
    cases.add(
        Case.same(
            "info amount not a number",
            bent.apply(i -> i.put("amount", "12ab")),
            "invalid_erc20_approval_extension_format"));
    cases.add(
        Case.same(
            "info version not a version",
            bent.apply(i -> i.put("version", "v1")),
            "invalid_erc20_approval_extension_format"));
    cases.add(
        Case.same(
            "transaction not hex",
            bent.apply(i -> i.put("signedTransaction", "0xzz")),
            "invalid_erc20_approval_extension_format"));
    cases.add(
        Case.same(
            "transaction not RLP", paying.apply("0x02deadbeef"), "erc20_approval_tx_parse_failed"));
    cases.add(
        Case.same(
            "approval on another token",
            paying.apply(approval(payer, id, 0, GAS, FEE, usdc, BigInteger.ZERO, approve(MAX))),
            "erc20_approval_tx_wrong_target"));
    cases.add(
        Case.same(
            "transfer instead of approve",
            paying.apply(
                approving.apply(
                    FunctionEncoder.encode(
                        new Function(
                            "transfer",
                            List.of(new Address(attacker), new Uint256(PRICE)),
                            List.of())))),
            "erc20_approval_tx_wrong_selector"));
    cases.add(
        Case.same(
            "approve for another spender",
            paying.apply(approving.apply(approve(attacker, MAX))),
            "erc20_approval_tx_wrong_spender"));
    cases.add(
        Case.same(
            "approve calldata cut short",
            paying.apply(
                approving.apply(Erc20ApprovalGasSponsoring.APPROVE_SELECTOR + "00".repeat(40))),
            "erc20_approval_tx_invalid_calldata"));
    cases.add(
        Case.same(
            "approval signed by another key",
            paying.apply(approval(other, id, 0, GAS, FEE, plain, BigInteger.ZERO, approve(MAX))),
            "erc20_approval_tx_signer_mismatch"));
    cases.add(
        Case.same(
            "Permit2 signature by another key, approval fine",
            wrap(
                req,
                new Permit2Payload(
                    permit2(chain, other, plain).signature(),
                    permit2(chain, payer, plain).authorization()),
                info(payer, plain, good)),
            "invalid_permit2_signature"));
    cases.add(
        Case.same(
            "payer holds no tokens",
            pay(
                chain,
                req,
                empty,
                plain,
                info(
                    empty,
                    plain,
                    approval(empty, id, 0, GAS, FEE, plain, BigInteger.ZERO, approve(MAX)))),
            "permit2_insufficient_balance"));
    cases.add(
        Case.same(
            "info without signedTransaction is no extension",
            bent.apply(i -> i.remove("signedTransaction")),
            "permit2_allowance_required"));
    String approvedTx = approval(approved, id, 1, GAS, FEE, plain, BigInteger.ZERO, approve(MAX));
    cases.add(
        Case.same(
            "already approved payer, valid approval",
            pay(chain, req, approved, plain, info(approved, plain, approvedTx)),
            null));
    // at verify the nonce and the fee cap are not read (no chain state, no facilitator limits):
    // both answer valid; our facilitator's settle refuses them (Erc20ApprovalSponsoringTest)
    cases.add(
        Case.same(
            "approval at a nonce the payer is not at",
            paying.apply(approval(payer, id, 7, GAS, FEE, plain, BigInteger.ZERO, approve(MAX))),
            null));
    cases.add(
        Case.same(
            "approval with a fee above any cap",
            paying.apply(
                approval(payer, id, 0, GAS, overAnyCap, plain, BigInteger.ZERO, approve(MAX))),
            null));

    // attest402's refusals: what the official code would broadcast, funding its gas, although the
    // payment then cannot settle or the payer keeps the funding
    cases.add(
        Case.oursOnly(
            "approves less than the payment",
            paying.apply(approving.apply(approve(PRICE.subtract(BigInteger.ONE)))),
            "erc20_approval_tx_amount_too_low"));
    cases.add(
        Case.oursOnly(
            "approval signed for another chain",
            paying.apply(
                approval(payer, id + 1, 0, GAS, FEE, plain, BigInteger.ZERO, approve(MAX))),
            "erc20_approval_tx_wrong_chain"));
    cases.add(
        Case.oursOnly(
            "approval carrying a value",
            paying.apply(approval(payer, id, 0, GAS, FEE, plain, BigInteger.ONE, approve(MAX))),
            "erc20_approval_tx_has_value"));
    cases.add(
        Case.oursOnly(
            "approval asking for 5M gas",
            paying.apply(
                approval(
                    payer,
                    id,
                    0,
                    BigInteger.valueOf(5_000_000),
                    FEE,
                    plain,
                    BigInteger.ZERO,
                    approve(MAX))),
            "erc20_approval_tx_gas_too_high"));
    cases.add(
        Case.oursOnly(
            "legacy (pre-EIP-1559) approval",
            paying.apply(legacyApproval(payer, id, plain)),
            "erc20_approval_tx_parse_failed"));
    // the official code only checks balance and proxy when an approval is attached; a used Permit2
    // nonce would be broadcast and then fail: we simulate the settlement and see it fail
    cases.add(
        Case.oursOnly(
            "already approved payer, Permit2 nonce already used",
            wrap(req, spent, info(approved, plain, approvedTx)),
            "permit2_simulation_failed"));

    run(req, cases);
  }

  @Test
  void officialAndOursAgreeOnEveryEip2612SponsoringReason(Chain chain) throws Exception {
    String pusd = Addresses.checksum(chain.deployment().contracts().permitToken());
    var t = Deployer.PERMIT_TOKEN;
    PaymentRequirements req = permit2Requirements(pusd, t.name(), t.version());
    Eip712Domain domain = new Eip712Domain(t.name(), t.version(), chain.chainId(), pusd);
    Credentials payer = Credentials.create(Keys.createEcKeyPair());
    TestPermitToken token =
        TestPermitToken.load(
            pusd, chain.web3j(), chain.txManager(chain.account(DevAccounts.DEPLOYER)), chain.gas());
    assertTrue(token.mint(payer.getAddress(), Deployer.DEV_USDC).send().isStatusOK());
    BigInteger tokenNonce = token.nonces(payer.getAddress()).send();
    Credentials empty = Credentials.create(Keys.createEcKeyPair());
    Credentials other = Credentials.create(Keys.createEcKeyPair());
    long deadline = System.currentTimeMillis() / 1000 + 120;

    List<Case> cases = new ArrayList<>();
    cases.add(
        Case.same(
            "valid permit",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(domain, payer, PRICE, tokenNonce, deadline)),
            null));
    cases.add(
        Case.same(
            "permit for more than the payment (the proxy takes only the exact amount)",
            wrap(
                req, permit2(chain, payer, pusd), permit(domain, payer, MAX, tokenNonce, deadline)),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "permit below the payment",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(domain, payer, PRICE.subtract(BigInteger.ONE), tokenNonce, deadline)),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "permit signed by another key",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(domain, payer, PRICE, tokenNonce, deadline, other, i -> {})),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "permit at the wrong token nonce",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(domain, payer, PRICE, tokenNonce.add(BigInteger.ONE), deadline)),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "permit under another token's domain",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(
                    new Eip712Domain(t.name(), t.version(), chain.chainId() + 1, pusd),
                    payer,
                    PRICE,
                    tokenNonce,
                    deadline)),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "permit nonce not a number",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(
                    domain, payer, PRICE, tokenNonce, deadline, payer, i -> i.put("nonce", "x"))),
            "invalid_eip2612_extension_format"));
    cases.add(
        Case.same(
            "permit signature not hex",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(
                    domain,
                    payer,
                    MAX,
                    tokenNonce,
                    deadline,
                    payer,
                    i -> i.put("signature", "0x"))),
            "invalid_eip2612_extension_format"));
    cases.add(
        Case.same(
            "payer holds no tokens",
            wrap(
                req,
                permit2(chain, empty, pusd),
                permit(domain, empty, PRICE, BigInteger.ZERO, deadline)),
            "permit2_insufficient_balance"));
    cases.add(
        Case.same(
            "permit info without a nonce is no extension",
            wrap(
                req,
                permit2(chain, payer, pusd),
                permit(domain, payer, PRICE, tokenNonce, deadline, payer, i -> i.remove("nonce"))),
            "permit2_allowance_required"));
    cases.add(
        Case.same(
            "both extensions: the permit is the one checked",
            withExtension(
                wrap(
                    req,
                    permit2(chain, payer, pusd),
                    permit(
                        domain, payer, MAX, tokenNonce, deadline, payer, i -> i.put("from", pusd))),
                info(
                    payer,
                    pusd,
                    approval(
                        payer, chain.chainId(), 0, GAS, FEE, pusd, BigInteger.ZERO, approve(MAX)))),
            "eip2612_from_mismatch"));
    run(req, cases);
  }

  // ------------------------------------------------------------------------------------------

  private void run(PaymentRequirements req, List<Case> cases) throws Exception {
    for (Case c : cases) {
      VerifyResponse theirs = fac.verify(c.payload(), req).get(60, TimeUnit.SECONDS);
      VerifyResponse mine = ours.verify(c.payload(), req);
      assertEquals(c.official() == null, theirs.isValid(), c + ": official said " + theirs);
      assertEquals(c.official(), theirs.invalidReason(), c + ": official said " + theirs);
      assertEquals(c.ours() == null, mine.isValid(), c + ": ours said " + mine);
      assertEquals(c.ours(), mine.invalidReason(), c + ": ours said " + mine);
      assertNotNull(theirs.payer(), c.name());
      assertTrue(theirs.payer().equalsIgnoreCase(mine.payer()), c + ": " + mine.payer());
    }
  }

  private PaymentRequirements permit2Requirements(String asset, String name, String version) {
    ObjectNode extra = Wire.newObject();
    extra.put("name", name);
    extra.put("version", version);
    extra.put("assetTransferMethod", "permit2");
    return new PaymentRequirements("exact", network, PRICE, asset, payTo, 120, extra);
  }

  /** A Permit2 payment of {@link #PRICE} by {@code who}, with a fresh Permit2 nonce. */
  private Permit2Payload permit2(Chain chain, Credentials who, String token) {
    long now = System.currentTimeMillis() / 1000;
    return Permit2DifferentialTest.sign(
        chain,
        who,
        new Permit2Payload.Authorization(
            who.getAddress(),
            token,
            PRICE,
            Permit2.EXACT_PROXY,
            BigInteger.valueOf(nonces.incrementAndGet()),
            BigInteger.valueOf(now + 120),
            payTo,
            BigInteger.ZERO,
            null));
  }

  private PaymentPayload pay(
      Chain chain, PaymentRequirements req, Credentials who, String token, ObjectNode ext) {
    return wrap(req, permit2(chain, who, token), ext);
  }

  private static PaymentPayload wrap(PaymentRequirements req, Permit2Payload p, ObjectNode ext) {
    return new PaymentPayload(
        new ResourceInfo("http://resource", null, null), req, p.toJson(), ext);
  }

  private static PaymentPayload withExtension(PaymentPayload p, ObjectNode more) {
    ObjectNode ext = p.extensions().deepCopy();
    ext.setAll(more);
    return new PaymentPayload(p.resource(), p.accepted(), p.payload(), ext);
  }

  /** The erc20ApprovalGasSponsoring info the official client attaches. */
  private static ObjectNode info(Credentials who, String token, String signedTx) {
    return info(who, token, signedTx, i -> {});
  }

  private static ObjectNode info(
      Credentials who, String token, String signedTx, Consumer<ObjectNode> bend) {
    return Paying.erc20ApprovalExtension(who, token, MAX, signedTx, bend);
  }

  private static ObjectNode permit(
      Eip712Domain domain, Credentials who, BigInteger value, BigInteger nonce, long deadline) {
    return permit(domain, who, value, nonce, deadline, who, i -> {});
  }

  /** The eip2612GasSponsoring info, signed by {@code signer} (the payer when honest). */
  private static ObjectNode permit(
      Eip712Domain domain,
      Credentials who,
      BigInteger value,
      BigInteger nonce,
      long deadline,
      Credentials signer,
      Consumer<ObjectNode> bend) {
    String sig =
        new Eip3009Signer(signer, Clock.systemUTC())
            .signEip2612Permit(domain, value, nonce, BigInteger.valueOf(deadline));
    ObjectNode info = Wire.newObject();
    info.put("from", who.getAddress());
    info.put("asset", domain.verifyingContract());
    info.put("spender", Permit2.ADDRESS);
    info.put("amount", value.toString());
    info.put("nonce", nonce.toString());
    info.put("deadline", Long.toString(deadline));
    info.put("signature", sig);
    info.put("version", "1");
    bend.accept(info);
    ObjectNode ext = Wire.newObject();
    ext.putObject(Eip2612GasSponsoring.KEY).set("info", info);
    return ext;
  }

  private static String approve(BigInteger amount) {
    return approve(Permit2.ADDRESS, amount);
  }

  private static String approve(String spender, BigInteger amount) {
    return FunctionEncoder.encode(
        new Function("approve", List.of(new Address(spender), new Uint256(amount)), List.of()));
  }

  /** A signed EIP-1559 transaction, as the official client signs its approval. */
  private static String approval(
      Credentials signer,
      long chainId,
      long nonce,
      BigInteger gas,
      BigInteger maxFee,
      String to,
      BigInteger value,
      String data) {
    RawTransaction tx =
        RawTransaction.createTransaction(
            chainId, BigInteger.valueOf(nonce), gas, to, value, data, maxFee.min(GWEI), maxFee);
    return Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, signer));
  }

  /** The same approval as an EIP-155 legacy transaction. */
  private static String legacyApproval(Credentials signer, long chainId, String token) {
    RawTransaction tx =
        RawTransaction.createTransaction(BigInteger.ZERO, FEE, GAS, token, approve(MAX));
    return Numeric.toHexString(TransactionEncoder.signMessage(tx, chainId, signer));
  }

  /**
   * A fresh key holding {@link Deployer#DEV_USDC} TestPlainToken; {@code approvedItself}: it got
   * ETH and sent its own {@code approve(Permit2, max)} (its nonce is then 1).
   */
  private static Credentials payer(Chain chain, String token, boolean approvedItself)
      throws Exception {
    Credentials c = Credentials.create(Keys.createEcKeyPair());
    assertTrue(
        TestPlainToken.load(
                token,
                chain.web3j(),
                chain.txManager(chain.account(DevAccounts.DEPLOYER)),
                chain.gas())
            .mint(c.getAddress(), Deployer.DEV_USDC)
            .send()
            .isStatusOK());
    if (approvedItself) {
      assertTrue(
          Transfer.sendFunds(
                  chain.web3j(),
                  chain.account(DevAccounts.DEPLOYER),
                  c.getAddress(),
                  java.math.BigDecimal.ONE,
                  Convert.Unit.ETHER)
              .send()
              .isStatusOK());
      assertTrue(
          TestPlainToken.load(token, chain.web3j(), chain.txManager(c), chain.gas())
              .approve(Permit2.ADDRESS, MAX)
              .send()
              .isStatusOK());
    }
    return c;
  }
}
