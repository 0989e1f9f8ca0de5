package io.attest402.x402.interop;

import static io.attest402.x402.interop.Permit2DifferentialTest.approve;
import static io.attest402.x402.interop.Permit2DifferentialTest.mint;
import static io.attest402.x402.interop.Permit2DifferentialTest.sign;
import static io.attest402.x402.interop.Permit2DifferentialTest.with;
import static io.attest402.x402.interop.Permit2DifferentialTest.wrap;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.x402.evm.Addresses;
import io.attest402.x402.evm.Permit2;
import io.attest402.x402.evm.Permit2Payload;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.evm.UptoEvmVerifier;
import io.attest402.x402.evm.Web3jChainAccess;
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

/**
 * The {@code upto} differential corpus: upto payments (Permit2, facilitator-bound witness), valid
 * and bent one field at a time, verified by the official facilitator logic ({@code
 * interop/official-facilitator.mjs} with {@code @x402/evm} 2.27.0's {@code UptoEvmScheme}) and by
 * our {@link UptoEvmVerifier} for the same facilitator address; both must give the expected reason,
 * the same one, for the same payer. Also: the official facilitator settles our upto payload for
 * less than its maximum and reports the amount.
 */
@ExtendWith(ChainExtension.class)
class UptoDifferentialTest {
  static final BigInteger MAXIMUM = BigInteger.valueOf(4_000);
  final AtomicLong nonces = new AtomicLong(5_000);

  record Case(String name, PaymentPayload payload, PaymentRequirements req, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  @Test
  void officialAndOursAgreeOnEveryUptoReason(Chain chain) throws Exception {
    Interop.installMulticall3(chain);
    String network = chain.deployment().network();
    String usdc = chain.deployment().contracts().usdc();
    String pusd = chain.deployment().contracts().permitToken();
    String payTo = Addresses.checksum(chain.deployment().account("provider").address());
    Credentials agent = chain.account(DevAccounts.AGENT);
    approve(chain, usdc, agent);
    Credentials unapproved = chain.account(7);
    mint(chain, usdc, unapproved.getAddress());
    Credentials poor = chain.account(8);
    approve(chain, usdc, poor);
    String facilitatorAddress = Addresses.checksum(chain.account(9).getAddress());
    String stranger = Addresses.checksum(chain.account(6).getAddress());
    ObjectNode extra = Wire.newObject();
    extra.put("name", "USD Coin");
    extra.put("version", "2");
    extra.put("assetTransferMethod", "permit2");
    extra.put("facilitatorAddress", facilitatorAddress);
    PaymentRequirements req =
        new PaymentRequirements("upto", network, MAXIMUM, usdc, payTo, 60, extra);
    long now = System.currentTimeMillis() / 1000;
    Permit2Payload.Authorization base =
        new Permit2Payload.Authorization(
            agent.getAddress(),
            Addresses.checksum(usdc),
            MAXIMUM,
            Permit2.UPTO_PROXY,
            BigInteger.ONE,
            BigInteger.valueOf(now + 60),
            payTo,
            BigInteger.ZERO,
            facilitatorAddress);

    FacilitatorUnderTest.Running official = Facilitators.OFFICIAL.start(chain, 9);
    try {
      HttpFacilitatorClient fac =
          HttpFacilitatorClient.builder(URI.create(official.url()))
              .timeout(Duration.ofSeconds(60))
              .build();
      UptoEvmVerifier ours =
          new UptoEvmVerifier(
              new Web3jChainAccess(chain.web3j()),
              Clock.systemUTC(),
              Signatures.SPolicy.ALLOW_HIGH_S);
      List<String> facilitators = List.of(facilitatorAddress);

      // the official facilitator settles our upto payload for less than the maximum
      PaymentPayload used = wrap(req, sign(chain, agent, fresh(base)), null);
      SettleResponse settled =
          fac.settle(used, req.withAmount(BigInteger.valueOf(1_500))).get(60, TimeUnit.SECONDS);
      assertTrue(settled.success(), String.valueOf(settled));
      assertEquals(BigInteger.valueOf(1_500), settled.amount(), String.valueOf(settled));

      PaymentRequirements otherNetwork =
          new PaymentRequirements("upto", "eip155:1", MAXIMUM, usdc, payTo, 60, extra);
      PaymentRequirements exactAccepted =
          new PaymentRequirements("exact", network, MAXIMUM, usdc, payTo, 60, extra);
      Permit2Payload valid = sign(chain, agent, fresh(base));
      Permit2Payload tamperedNonce =
          new Permit2Payload(valid.signature(), with(valid.authorization(), "nonce", "88888"));
      Permit2Payload.Authorization v = valid.authorization();
      Permit2Payload rebound =
          new Permit2Payload(
              valid.signature(),
              new Permit2Payload.Authorization(
                  v.from(),
                  v.token(),
                  v.amount(),
                  v.spender(),
                  v.nonce(),
                  v.deadline(),
                  v.to(),
                  v.validAfter(),
                  stranger));
      Permit2Payload exactShaped =
          new Permit2Payload(
              valid.signature(),
              new Permit2Payload.Authorization(
                  v.from(),
                  v.token(),
                  v.amount(),
                  v.spender(),
                  v.nonce(),
                  v.deadline(),
                  v.to(),
                  v.validAfter(),
                  null));
      List<Case> cases = new ArrayList<>();
      cases.add(new Case("valid", wrap(req, valid, null), req, null));
      cases.add(
          new Case(
              "exact-shaped payload (no witness.facilitator)",
              wrap(req, exactShaped, null),
              req,
              "unsupported_payload_type"));
      cases.add(
          new Case(
              "accepted under exact",
              new PaymentPayload(
                  new ResourceInfo("http://resource", null, null),
                  exactAccepted,
                  valid.toJson(),
                  null),
              req,
              "invalid_upto_evm_scheme"));
      cases.add(
          new Case(
              "network mismatch",
              new PaymentPayload(
                  new ResourceInfo("http://resource", null, null),
                  otherNetwork,
                  valid.toJson(),
                  null),
              req,
              "invalid_upto_evm_network_mismatch"));
      cases.add(
          new Case(
              "exact proxy as spender",
              wrap(
                  req, sign(chain, agent, with(fresh(base), "spender", Permit2.EXACT_PROXY)), null),
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
              "bound to another facilitator",
              wrap(req, sign(chain, agent, fresh(base).withFacilitator(stranger)), null),
              req,
              "upto_facilitator_mismatch"));
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
              "maximum other than the offer's",
              wrap(req, sign(chain, agent, with(fresh(base), "amount", "4001")), null),
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
              "facilitator changed after signing (to one that is not ours)",
              wrap(req, rebound, null),
              req,
              "upto_facilitator_mismatch"));
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

      for (Case c : cases) {
        VerifyResponse theirs = fac.verify(c.payload(), c.req()).get(60, TimeUnit.SECONDS);
        VerifyResponse mine = ours.verify(c.payload(), c.req(), facilitators, true).response();
        assertEquals(c.expected() == null, theirs.isValid(), c + ": official said " + theirs);
        assertEquals(c.expected(), theirs.invalidReason(), c + ": official said " + theirs);
        assertEquals(theirs.isValid(), mine.isValid(), c + ": ours said " + mine);
        assertEquals(theirs.invalidReason(), mine.invalidReason(), c + ": ours said " + mine);
        // the official answer names no payer ("") for a payload it cannot read
        String theirPayer = theirs.payer() == null ? "" : theirs.payer();
        String myPayer = mine.payer() == null ? "" : mine.payer();
        assertTrue(theirPayer.equalsIgnoreCase(myPayer), c + ": " + myPayer + " vs " + theirPayer);
        if (!c.name().startsWith("exact-shaped")) {
          assertNotNull(theirs.payer(), c.name());
          assertTrue(!theirPayer.isEmpty(), c + ": official named no payer");
        }
      }
    } finally {
      official.close();
    }
  }

  private Permit2Payload.Authorization fresh(Permit2Payload.Authorization a) {
    return with(a, "nonce", Long.toString(nonces.incrementAndGet()));
  }
}
