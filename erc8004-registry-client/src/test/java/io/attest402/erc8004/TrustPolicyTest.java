package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.erc8004.reputation.ReputationService;
import io.attest402.erc8004.trust.TrustCheck;
import io.attest402.erc8004.trust.TrustDecision;
import io.attest402.erc8004.trust.TrustPolicy;
import io.attest402.erc8004.trust.TrustQuery;
import io.attest402.erc8004.trust.TrustRequirements;
import io.attest402.verifier.VerificationPolicy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(ChainExtension.class)
class TrustPolicyTest {

  static Map<String, TrustCheck.Status> statuses(TrustDecision d) {
    return d.checks().stream().collect(Collectors.toMap(TrustCheck::name, TrustCheck::status));
  }

  @Test
  void decidesWithEveryReason(Chain chain, @TempDir Path dir) throws Exception {
    try (SimulatedFacilitator fac = new SimulatedFacilitator(dir.resolve("fac")).register(chain)) {
      VerificationPolicy sim = fac.simulationPolicy();
      // the facilitator is validated by the validator the payer trusts
      TeeValidatorTest.request(
          fac.self(chain), fac.agentId, chain.account(3).getAddress(), null, "t0");
      assertEquals(
          100,
          TeeValidatorTest.validator(chain, dir.resolve("v"), sim).runOnce().get(0).response());

      // the provider, paid once by a customer who posted payment-backed feedback
      Erc8004Client provider = IdentityRegistryClientTest.client(chain, chain.account(1));
      BigInteger pid = provider.identity().register().agentId();
      String payTo = chain.account(1).getAddress();
      provider
          .identity()
          .setAgentURI(
              pid,
              RegistrationFile.of(
                      "Summarizer",
                      "",
                      null,
                      List.of(
                          RegistrationFile.Service.of("x402", "https://summ.example"),
                          RegistrationFile.Service.of(
                              "agentWallet",
                              "eip155:84532:0x00000000000000000000000000000000000000aa")),
                      true,
                      List.of("reputation"))
                  .withRegistration(pid, provider.addresses().agentRegistry())
                  .toDataUri());
      String tx =
          Payments.settle(
              chain, chain.account(2), payTo, BigInteger.valueOf(10_000), chain.account(5));
      Erc8004Client customer = IdentityRegistryClientTest.client(chain, chain.account(2));
      PaymentBackedReputationTest.post(
          customer,
          pid,
          PaymentBackedReputationTest.file(
              customer,
              pid,
              chain.account(2).getAddress(),
              88,
              new FeedbackFile.ProofOfPayment(chain.account(2).getAddress(), payTo, "31337", tx)));

      RegistryIndexer idx =
          new RegistryIndexer(
              provider.rpc(),
              provider.addresses(),
              dir.resolve("idx"),
              RegistryIndexer.Options.defaults(),
              TeeValidatorTest.DEV);
      ReputationService rep =
          new ReputationService(
              provider,
              TeeValidatorTest.DEV,
              PaymentBackedReputationTest.verifier(chain, provider),
              idx::syncedFeedbackEvents);
      java.util.function.Function<String, List<BigInteger>> byWallet = idx::syncedAgentsByWallet;
      TrustRequirements good =
          TrustRequirements.builder()
              .attestationPolicy(sim)
              .minPaymentBackedCount(1)
              .minPaymentBackedScore(new BigDecimal("50"))
              .trustValidator(chain.account(3).getAddress())
              .maxValidationAge(Duration.ofHours(1))
              .build();
      TrustPolicy policy =
          new TrustPolicy(provider, TeeValidatorTest.DEV, rep, byWallet, good, Clock.systemUTC());
      String network = provider.addresses().network();

      TrustDecision ok =
          policy.evaluate(new TrustQuery(pid, payTo, network, fac.url(), fac.agentId));
      assertTrue(ok.trusted(), ok.summary() + " " + ok.checks());
      assertTrue(
          ok.checks().stream().allMatch(c -> c.status() == TrustCheck.Status.PASS),
          ok.checks()::toString);
      assertEquals(8, ok.checks().size());
      assertTrue(ok.toJson().contains("\"trusted\":true"));

      // provider found from payTo alone
      TrustDecision lookedUp =
          policy.evaluate(
              new TrustQuery(
                  null, payTo.toUpperCase().replace("0X", "0x"), network, fac.url(), fac.agentId));
      assertTrue(lookedUp.trusted(), lookedUp.summary());
      assertEquals(pid, lookedUp.providerAgentId());

      // payTo is not the agent's wallet
      TrustDecision wrongPayTo =
          policy.evaluate(
              new TrustQuery(pid, chain.account(4).getAddress(), network, fac.url(), fac.agentId));
      assertFalse(wrongPayTo.trusted());
      assertEquals(TrustCheck.Status.FAIL, statuses(wrongPayTo).get("provider.payTo"));
      assertEquals(1, wrongPayTo.failures().size(), wrongPayTo.summary());
      // another network: only the CAIP-10 wallet the file lists there
      assertTrue(
          policy
              .evaluate(
                  new TrustQuery(
                      pid,
                      "0x00000000000000000000000000000000000000aA",
                      "eip155:84532",
                      fac.url(),
                      fac.agentId))
              .trusted());
      assertFalse(
          policy
              .evaluate(new TrustQuery(pid, payTo, "eip155:84532", fac.url(), fac.agentId))
              .trusted());
      // unknown payTo and no agentId
      TrustDecision stranger =
          policy.evaluate(
              new TrustQuery(null, chain.account(7).getAddress(), network, fac.url(), fac.agentId));
      assertEquals(TrustCheck.Status.FAIL, statuses(stranger).get("provider.identity"));

      // the payer does not accept simulated TEEs
      TrustPolicy strict =
          new TrustPolicy(
              provider,
              TeeValidatorTest.DEV,
              rep,
              byWallet,
              TrustRequirements.builder()
                  .attestationPolicy(
                      VerificationPolicy.builder()
                          .mrEnclave(io.attest402.enclave.tee.SimulatedBackend.SIM_MRENCLAVE)
                          .build())
                  .minPaymentBackedCount(1)
                  .trustValidator(chain.account(3).getAddress())
                  .build(),
              Clock.systemUTC());
      TrustDecision noSim =
          strict.evaluate(new TrustQuery(pid, payTo, network, fac.url(), fac.agentId));
      assertFalse(noSim.trusted());
      assertEquals(TrustCheck.Status.FAIL, statuses(noSim).get("facilitator.attestation"));
      assertTrue(noSim.summary().toLowerCase().contains("simulat"), noSim.summary());

      // a payer whose policy pins no measurement is refused before it checks anything
      IllegalArgumentException unpinned =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () ->
                  new TrustPolicy(
                      provider,
                      TeeValidatorTest.DEV,
                      rep,
                      byWallet,
                      TrustRequirements.defaults(),
                      Clock.systemUTC()));
      assertTrue(unpinned.getMessage().contains("--allow-any-measurement"), unpinned.getMessage());

      // a pin on another MRENCLAVE: the attestation fails even with the simulation root trusted
      TrustPolicy otherCode =
          new TrustPolicy(
              provider,
              TeeValidatorTest.DEV,
              rep,
              byWallet,
              TrustRequirements.builder()
                  .attestationPolicy(sim.toBuilder().mrEnclave(new byte[32]).build())
                  .build(),
              Clock.systemUTC());
      TrustDecision swapped =
          otherCode.evaluate(new TrustQuery(pid, payTo, network, fac.url(), fac.agentId));
      assertEquals(
          TrustCheck.Status.FAIL,
          statuses(swapped).get("facilitator.attestation"),
          swapped.summary());

      // collateral fetched by the payer from the PCS verifies as the served copy does
      TrustPolicy ownCollateral =
          new TrustPolicy(
              provider,
              TeeValidatorTest.DEV,
              rep,
              byWallet,
              TrustRequirements.builder().attestationPolicy(sim).pccs(fac.pcs.url()).build(),
              Clock.systemUTC());
      TrustDecision fetched =
          ownCollateral.evaluate(new TrustQuery(pid, payTo, network, fac.url(), fac.agentId));
      assertEquals(
          TrustCheck.Status.PASS,
          statuses(fetched).get("facilitator.attestation"),
          fetched.summary());

      // more reputation than there is, and a validator nobody asked
      TrustPolicy demanding =
          new TrustPolicy(
              provider,
              TeeValidatorTest.DEV,
              rep,
              byWallet,
              TrustRequirements.builder()
                  .attestationPolicy(sim)
                  .minPaymentBackedCount(5)
                  .trustValidator(chain.account(8).getAddress())
                  .build(),
              Clock.systemUTC());
      TrustDecision d =
          demanding.evaluate(new TrustQuery(pid, payTo, network, fac.url(), fac.agentId));
      assertEquals(TrustCheck.Status.FAIL, statuses(d).get("provider.reputation"));
      assertEquals(TrustCheck.Status.FAIL, statuses(d).get("facilitator.validation"));
      assertEquals(TrustCheck.Status.PASS, statuses(d).get("facilitator.attestation"));

      // a facilitator URL that is not the registered facilitator's: its attested key is not that
      // agent's wallet
      try (SimulatedFacilitator rogue = new SimulatedFacilitator(dir.resolve("rogue"))) {
        TrustPolicy both =
            new TrustPolicy(
                provider,
                TeeValidatorTest.DEV,
                rep,
                byWallet,
                TrustRequirements.builder()
                    .attestationPolicy(
                        sim.toBuilder().trustSimulationRoot(rogue.simulationRoot()).build())
                    .minPaymentBackedCount(1)
                    .trustValidator(chain.account(3).getAddress())
                    .build(),
                Clock.systemUTC());
        TrustDecision r =
            both.evaluate(new TrustQuery(pid, payTo, network, rogue.url(), fac.agentId));
        assertFalse(r.trusted());
        assertEquals(
            TrustCheck.Status.FAIL, statuses(r).get("facilitator.identity"), r.checks().toString());
        assertEquals(
            TrustCheck.Status.FAIL, statuses(r).get("facilitator.signer"), r.checks().toString());
      }
    }
  }
}
