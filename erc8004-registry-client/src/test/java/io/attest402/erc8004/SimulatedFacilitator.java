package io.attest402.erc8004;

import io.attest402.contracts.chain.Chain;
import io.attest402.enclave.EnclaveIdentity;
import io.attest402.enclave.KeyBinding;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.RegistrationFile.Service;
import io.attest402.pcs.SimulatedPcs;
import io.attest402.verifier.TeeType;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;

/**
 * A facilitator with a simulated TEE for tests: its enclave key, a loopback HTTP server answering
 * {@code GET /attestation[?nonce=HEX32]} with the real attestation document, and its ERC-8004
 * identity registered by the enclave key itself (owner = agentWallet = enclave address).
 */
final class SimulatedFacilitator implements AutoCloseable {
  final EnclaveIdentity identity;
  final TestHttp http = new TestHttp();

  /**
   * The loopback PCS the facilitator fetched its collateral from (clients may fetch their own there
   * too).
   */
  final SimulatedPcs pcs;

  BigInteger agentId;

  SimulatedFacilitator(Path dir) throws Exception {
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    identity =
        EnclaveIdentity.open(
            SimulatedBackend.open(dir, TeeType.SGX, clock, random), dir, random, clock);
    pcs = SimulatedPcs.forDataDir(dir, clock);
    identity.refreshCollateral(pcs.url());
    http.serve(
        "/attestation",
        query -> {
          byte[] nonce =
              query != null && query.startsWith("nonce=")
                  ? KeyBinding.parseNonce(query.substring(6))
                  : null;
          return identity.document(nonce).toJson().getBytes(StandardCharsets.UTF_8);
        });
  }

  String url() {
    return http.base();
  }

  /** SHA-256 of this facilitator's simulation root. */
  String simulationRoot() {
    return ((SimulatedBackend) identity.backend()).simulationRootFingerprint();
  }

  /** A policy that trusts this facilitator's simulation root and pins its MRENCLAVE. */
  io.attest402.verifier.VerificationPolicy simulationPolicy() {
    return io.attest402.verifier.VerificationPolicy.builder()
        .trustSimulationRoot(simulationRoot())
        .mrEnclave(SimulatedBackend.SIM_MRENCLAVE)
        .build();
  }

  /**
   * Funds the enclave address with ETH and registers the facilitator as an agent signed by its
   * enclave key.
   */
  SimulatedFacilitator register(Chain chain) throws Exception {
    Payments.fund(chain, identity.address(), BigInteger.TEN.pow(18));
    Erc8004Client self =
        new Erc8004Client(chain.web3j(), RegistryAddresses.fromDeployment(chain.deployment()))
            .withSigner(identity.key());
    agentId = self.identity().register().agentId();
    RegistrationFile f =
        RegistrationFile.of(
                "attest402 facilitator",
                "x402 facilitator in a TEE",
                null,
                List.of(Service.of(Service.X402_FACILITATOR, url())),
                true,
                List.of(RegistrationFile.TRUST_TEE_ATTESTATION))
            .withRegistration(agentId, self.addresses().agentRegistry());
    self.identity().setAgentURI(agentId, f.toDataUri());
    return this;
  }

  Erc8004Client self(Chain chain) {
    return new Erc8004Client(chain.web3j(), RegistryAddresses.fromDeployment(chain.deployment()))
        .withSigner(identity.key());
  }

  @Override
  public void close() {
    http.close();
    pcs.close();
  }
}
