package io.attest402.x402.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.generated.TestUSDC;
import io.attest402.x402.evm.Addresses;
import io.attest402.x402.evm.ExactEvmVerifier;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.evm.Web3jChainAccess;
import io.attest402.x402.extensions.Eip2612GasSponsoring;
import io.attest402.x402.facilitator.HttpFacilitatorClient;
import io.attest402.x402.testing.FacilitatorUnderTest;
import io.attest402.x402.testing.Facilitators;
import io.attest402.x402.testing.Interop;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Sign;

/**
 * The Permit2 differential corpus: {@code exact} payments with {@code assetTransferMethod:
 * "permit2"}, valid and bent one field at a time, verified by the official facilitator logic
 * ({@code interop/official-facilitator.mjs}, {@code @x402/evm} 2.27.0) and by our {@link
 * ExactEvmVerifier}; both must give the expected reason, the same one, for the same payer.
 */
@ExtendWith(ChainExtension.class)
class Permit2DifferentialTest {
  static final BigInteger PRICE = BigInteger.valueOf(3_000);
  static final BigInteger MAX = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);
  final AtomicLong nonces = new AtomicLong(1_000);

  record Case(String name, PaymentPayload payload, PaymentRequirements req, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  @Test
  void officialAndOursAgreeOnEveryPermit2Reason(Chain chain) throws Exception {
    Interop.installMulticall3(chain);
    String network = chain.deployment().network();
    String usdc = chain.deployment().contracts().usdc();
    String pusd = chain.deployment().contracts().permitToken();
    String payTo = Addresses.checksum(chain.deployment().account("provider").address());
    Credentials agent = chain.account(DevAccounts.AGENT);
    approve(chain, usdc, agent);
    Credentials unapproved = chain.account(7); // ETH, no tokens, no allowance
    mint(chain, usdc, unapproved.getAddress());
    Credentials poor = chain.account(8); // approved, no tokens
    approve(chain, usdc, poor);
    ObjectNode extra = Wire.newObject();
    extra.put("name", "USD Coin");
    extra.put("version", "2");
    extra.put("assetTransferMethod", "permit2");
    PaymentRequirements req =
        new PaymentRequirements("exact", network, PRICE, usdc, payTo, 60, extra);
    long now = System.currentTimeMillis() / 1000;
    Permit2Payload.Authorization base =
        new Permit2Payload.Authorization(
            agent.getAddress(),
            Addresses.checksum(usdc),
            PRICE,
            Permit2.EXACT_PROXY,
            BigInteger.ONE,
            BigInteger.valueOf(now + 60),
            payTo,
            BigInteger.ZERO,
            null);

    FacilitatorUnderTest.Running official = Facilitators.OFFICIAL.start(chain, 9);
    try {
      HttpFacilitatorClient fac =
          HttpFacilitatorClient.builder(URI.create(official.url()))
              .timeout(Duration.ofSeconds(60))
              .build();
      ExactEvmVerifier ours =
          new ExactEvmVerifier(new Web3jChainAccess(chain.web3j()), Clock.systemUTC());

      // a payment the official facilitator settles first: its nonce is then used
      PaymentPayload used = wrap(req, sign(chain, agent, fresh(base)), null);
      SettleResponse settled = fac.settle(used, req).get(60, TimeUnit.SECONDS);
      assertTrue(settled.success(), String.valueOf(settled));

      PaymentRequirements otherNetwork =
          new PaymentRequirements("exact", "eip155:1", PRICE, usdc, payTo, 60, extra);
      PaymentRequirements pusdReq =
          new PaymentRequirements("exact", network, PRICE, pusd, payTo, 60, extra);
      Permit2Payload valid = sign(chain, agent, fresh(base));
      Permit2Payload tamperedNonce =
          new Permit2Payload(valid.signature(), with(valid.authorization(), "nonce", "77777"));
      List<Case> cases = new ArrayList<>();
      cases.add(new Case("valid", wrap(req, valid, null), req, null));
      cases.add(
          new Case(
              "upto proxy as spender",
              wrap(req, sign(chain, agent, with(fresh(base), "spender", Permit2.UPTO_PROXY)), null),
              req,
              "invalid_permit2_spender"));
      cases.add(
          new Case(
              "other recipient",
              wrap(req, sign(chain, agent, with(fresh(base), "to", agent.getAddress())), null),
              req,
              "invalid_permit2_recipient_mismatch"));
      cases.add(
          new Case(
              "deadline passed",
              wrap(req, sign(chain, agent, with(fresh(base), "deadline", "" + (now + 3))), null),
              req,
              "permit2_deadline_expired"));
      cases.add(
          new Case(
              "not yet valid",
              wrap(
                  req, sign(chain, agent, with(fresh(base), "validAfter", "" + (now + 600))), null),
              req,
              "permit2_not_yet_valid"));
      cases.add(
          new Case(
              "overpaid",
              wrap(req, sign(chain, agent, with(fresh(base), "amount", "3001")), null),
              req,
              "permit2_amount_mismatch"));
      cases.add(
          new Case(
              "other token",
              wrap(req, sign(chain, agent, with(fresh(base), "token", pusd)), null),
              req,
              "permit2_token_mismatch"));
      cases.add(
          new Case(
              "wrong signer",
              wrap(req, sign(chain, chain.account(5), fresh(base)), null),
              req,
              "invalid_permit2_signature"));
      cases.add(
          new Case(
              "nonce changed after signing",
              wrap(req, tamperedNonce, null),
              req,
              "invalid_permit2_signature"));
      cases.add(
          new Case(
              "network mismatch",
              new PaymentPayload(
                  new ResourceInfo("http://resource", null, null),
                  otherNetwork,
                  valid.toJson(),
                  null),
              req,
              "invalid_exact_evm_network_mismatch"));
      cases.add(
          new Case(
              "no Permit2 allowance",
              wrap(
                  req,
                  sign(chain, unapproved, with(fresh(base), "from", unapproved.getAddress())),
                  null),
              req,
              "permit2_allowance_required"));
      cases.add(
          new Case(
              "insufficient balance",
              wrap(req, sign(chain, poor, with(fresh(base), "from", poor.getAddress())), null),
              req,
              "permit2_insufficient_balance"));
      cases.add(new Case("used nonce", used, req, "permit2_simulation_failed"));
      // eip2612GasSponsoring permits, checked field by field before the simulation
      Permit2Payload pusdPayment =
          sign(chain, agent, with(fresh(base), "token", Addresses.checksum(pusd)));
      cases.add(
          new Case(
              "2612 permit for another spender",
              wrap(pusdReq, pusdPayment, permit(agent.getAddress(), pusd, payTo, now + 60)),
              pusdReq,
              "eip2612_spender_not_permit2"));
      cases.add(
          new Case(
              "2612 permit of another owner",
              wrap(pusdReq, pusdPayment, permit(payTo, pusd, Permit2.ADDRESS, now + 60)),
              pusdReq,
              "eip2612_from_mismatch"));
      cases.add(
          new Case(
              "2612 permit for another token",
              wrap(
                  pusdReq,
                  pusdPayment,
                  permit(agent.getAddress(), usdc, Permit2.ADDRESS, now + 60)),
              pusdReq,
              "eip2612_asset_mismatch"));
      cases.add(
          new Case(
              "2612 permit expiring",
              wrap(
                  pusdReq, pusdPayment, permit(agent.getAddress(), pusd, Permit2.ADDRESS, now + 2)),
              pusdReq,
              "eip2612_deadline_expired"));

      for (Case c : cases) {
        VerifyResponse theirs = fac.verify(c.payload(), c.req()).get(60, TimeUnit.SECONDS);
        VerifyResponse mine = ours.verify(c.payload(), c.req());
        assertEquals(c.expected() == null, theirs.isValid(), c + ": official said " + theirs);
        assertEquals(c.expected(), theirs.invalidReason(), c + ": official said " + theirs);
        assertEquals(theirs.isValid(), mine.isValid(), c + ": ours said " + mine);
        assertEquals(theirs.invalidReason(), mine.invalidReason(), c + ": ours said " + mine);
        assertNotNull(theirs.payer(), c.name());
        assertTrue(theirs.payer().equalsIgnoreCase(mine.payer()), c + ": " + mine.payer());
      }
    } finally {
      official.close();
    }
  }

  private Permit2Payload.Authorization fresh(Permit2Payload.Authorization a) {
    return with(a, "nonce", Long.toString(nonces.incrementAndGet()));
  }

  static Permit2Payload.Authorization with(Permit2Payload.Authorization a, String f, String v) {
    return new Permit2Payload.Authorization(
        f.equals("from") ? v : a.from(),
        f.equals("token") ? v : a.token(),
        f.equals("amount") ? new BigInteger(v) : a.amount(),
        f.equals("spender") ? v : a.spender(),
        f.equals("nonce") ? new BigInteger(v) : a.nonce(),
        f.equals("deadline") ? new BigInteger(v) : a.deadline(),
        f.equals("to") ? v : a.to(),
        f.equals("validAfter") ? new BigInteger(v) : a.validAfter(),
        a.facilitator());
  }

  static Permit2Payload sign(Chain chain, Credentials who, Permit2Payload.Authorization a) {
    Sign.SignatureData s =
        Sign.signMessage(Permit2.digest(chain.chainId(), a), who.getEcKeyPair(), false);
    byte[] sig = new byte[65];
    System.arraycopy(s.getR(), 0, sig, 0, 32);
    System.arraycopy(s.getS(), 0, sig, 32, 32);
    sig[64] = s.getV()[0];
    return new Permit2Payload(org.web3j.utils.Numeric.toHexString(sig), a);
  }

  /** A well-formed permit info (its signature is not checked before the simulation). */
  static ObjectNode permit(String from, String asset, String spender, long deadline) {
    ObjectNode info = Wire.newObject();
    info.put("from", from);
    info.put("asset", asset);
    info.put("spender", spender);
    info.put("amount", PRICE.toString());
    info.put("nonce", "0");
    info.put("deadline", Long.toString(deadline));
    info.put("signature", "0x" + "11".repeat(65));
    info.put("version", "1");
    ObjectNode ext = Wire.newObject();
    ext.putObject(Eip2612GasSponsoring.KEY).set("info", info);
    return ext;
  }

  static PaymentPayload wrap(PaymentRequirements req, Permit2Payload p, ObjectNode extensions) {
    return new PaymentPayload(
        new ResourceInfo("http://resource", null, null), req, p.toJson(), extensions);
  }

  static void approve(Chain chain, String token, Credentials who) throws Exception {
    assertTrue(
        TestUSDC.load(token, chain.web3j(), chain.txManager(who), chain.gas())
            .approve(Permit2.ADDRESS, MAX)
            .send()
            .isStatusOK());
  }

  static void mint(Chain chain, String token, String to) throws Exception {
    assertTrue(
        TestUSDC.load(token, chain.web3j(), chain.txManager(chain.account(0)), chain.gas())
            .mint(to, BigInteger.valueOf(1_000_000))
            .send()
            .isStatusOK());
  }
}
