package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.erc8004.validator.TeeValidator;
import io.attest402.erc8004.validator.ValidationOutcome;
import io.attest402.erc8004.validator.ValidationRequestDocument;
import io.attest402.verifier.VerificationPolicy;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

@ExtendWith(ChainExtension.class)
class TeeValidatorTest {
  static final UriResolver DEV =
      UriResolver.builder().allowHttpLoopback(true).maxBytes(1 << 20).build();

  static TeeValidator validator(Chain chain, Path dir, VerificationPolicy policy) {
    Erc8004Client v = IdentityRegistryClientTest.client(chain, chain.account(3));
    RegistryIndexer idx =
        new RegistryIndexer(v.rpc(), v.addresses(), dir, RegistryIndexer.Options.defaults(), DEV);
    return new TeeValidator(v, idx, DEV, policy, Clock.systemUTC());
  }

  static String request(
      Erc8004Client requester,
      BigInteger agentId,
      String validator,
      String attestationUrl,
      String createdAt) {
    ValidationRequestDocument doc =
        new ValidationRequestDocument(
            requester.addresses().agentRegistry(), agentId, attestationUrl, createdAt);
    return requester
        .validation()
        .validationRequest(validator, agentId, doc.toDataUri(), doc.requestHash())
        .requestHash();
  }

  @Test
  void answersForASimulatedTeeOnlyWhenItsPolicyAllowsSimulation(Chain chain, @TempDir Path dir)
      throws Exception {
    try (SimulatedFacilitator fac = new SimulatedFacilitator(dir.resolve("fac")).register(chain)) {
      Erc8004Client self = fac.self(chain);
      String validatorAddress = chain.account(3).getAddress();
      String h1 = request(self, fac.agentId, validatorAddress, null, "2026-01-15T12:00:00Z");

      TeeValidator lenient = validator(chain, dir.resolve("v1"), fac.simulationPolicy());
      List<ValidationOutcome> done = lenient.runOnce();
      assertEquals(1, done.size());
      ValidationOutcome ok = done.get(0);
      assertEquals(100, ok.response(), ok.reasons().toString());
      assertTrue(ok.simulated());
      assertEquals(fac.url() + "/attestation", ok.attestationUrl());
      assertEquals(fac.identity.address(), ok.signerAddress());
      ValidationStatus s = self.validation().getValidationStatus(Numeric.hexStringToByteArray(h1));
      assertEquals(100, s.response());
      assertEquals("tee-attestation", s.tag());
      assertEquals(Numeric.toHexString(Hash.sha3(ok.reportJson().getBytes())), s.responseHash());
      JsonNode report = Json.parse(ok.reportJson());
      assertEquals("pass", report.get("result").asText());
      // the report states which measurement was accepted, and that it was pinned
      assertEquals(
          org.web3j.utils.Numeric.toHexStringNoPrefix(
              io.attest402.enclave.tee.SimulatedBackend.SIM_MRENCLAVE),
          report.path("measurement").path("mrEnclave").asText(),
          report.toString());
      assertTrue(report.path("measurementPinned").asBoolean(), report.toString());
      assertTrue(report.get("simulated").asBoolean());
      assertTrue(lenient.runOnce().isEmpty(), "answered twice");
      assertEquals(1, fac.http.hits.get("/attestation"));

      String h2 =
          request(
              self,
              fac.agentId,
              validatorAddress,
              fac.url() + "/attestation",
              "2026-01-15T12:05:00Z");
      // a policy without a measurement pin is refused outright
      IllegalArgumentException unpinned =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class,
              () -> validator(chain, dir.resolve("v0"), VerificationPolicy.defaults()));
      assertTrue(unpinned.getMessage().contains("pins no measurement"), unpinned.getMessage());
      TeeValidator strict =
          validator(
              chain,
              dir.resolve("v2"),
              VerificationPolicy.builder()
                  .mrEnclave(io.attest402.enclave.tee.SimulatedBackend.SIM_MRENCLAVE)
                  .build());
      List<ValidationOutcome> refused = strict.runOnce();
      assertEquals(1, refused.size());
      assertEquals(h2, refused.get(0).requestHash());
      assertEquals(0, refused.get(0).response());
      assertTrue(
          refused.get(0).reasons().stream().anyMatch(r -> r.toLowerCase().contains("simulat")),
          refused.get(0).reasons().toString());
      assertEquals(
          0, self.validation().getValidationStatus(Numeric.hexStringToByteArray(h2)).response());
      assertEquals(
          "tee-attestation",
          self.validation().getValidationStatus(Numeric.hexStringToByteArray(h2)).tag());
      assertEquals(
          new ValidationSummary(2, 50),
          self.validation().getSummary(fac.agentId, List.of(validatorAddress), "tee-attestation"));
    }
  }

  @Test
  void refusesAnAgentPointingAtSomeoneElsesEnclave(Chain chain, @TempDir Path dir)
      throws Exception {
    try (SimulatedFacilitator fac = new SimulatedFacilitator(dir.resolve("fac"))) {
      Erc8004Client impostor = IdentityRegistryClientTest.client(chain, chain.account(1));
      BigInteger id = impostor.identity().register().agentId();
      impostor
          .identity()
          .setAgentURI(
              id,
              RegistrationFile.of(
                      "copycat",
                      "",
                      null,
                      List.of(
                          RegistrationFile.Service.of(
                              RegistrationFile.Service.ATTESTATION, fac.url() + "/attestation")),
                      true,
                      List.of())
                  .withRegistration(id, impostor.addresses().agentRegistry())
                  .toDataUri());
      request(impostor, id, chain.account(3).getAddress(), null, "2026-01-15T12:00:00Z");
      TeeValidator v = validator(chain, dir.resolve("v"), fac.simulationPolicy());
      ValidationOutcome o = v.runOnce().get(0);
      assertEquals(0, o.response());
      assertTrue(
          o.reasons().stream().anyMatch(r -> r.contains("is not the agent's agentWallet")),
          o.reasons().toString());

      // no attestation URL anywhere: refused with a reason, not skipped
      BigInteger bare = impostor.identity().register("data:application/json;base64,e30=").agentId();
      impostor
          .validation()
          .validationRequest(
              chain.account(3).getAddress(), bare, "data:,nothing", Hash.sha3(new byte[] {42}));
      ValidationOutcome none = v.runOnce().get(0);
      assertFalse(none.passed());
      assertTrue(
          none.reasons().stream().anyMatch(r -> r.contains("no attestation URL")),
          none.reasons().toString());
    }
  }
}
