package io.attest402.pcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.enclave.EnclaveIdentity;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.enclave.tee.TeeBackends;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.CollateralFetcher;
import io.attest402.verifier.QuoteVerifier;
import io.attest402.verifier.Verdict;
import io.attest402.verifier.VerificationPolicy;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loopback PCS over real HTTP: Intel's routes and headers, and a facilitator identity that
 * fetches from it.
 */
class SimulatedPcsTest {
  @TempDir Path tmp;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesIntelPcsV4RoutesWithUrlEncodedIssuerChainHeaders() throws Exception {
    SimulationCa ca = SimulationCa.generate(Clock.systemUTC().instant());
    try (SimulatedPcs pcs = SimulatedPcs.start(ca, Clock.systemUTC())) {
      HttpResponse<String> tcb = get(pcs.url() + "/sgx/certification/v4/tcb?fmspc=A7F402000000");
      assertEquals(200, tcb.statusCode(), tcb.body());
      assertTrue(tcb.body().startsWith("{\"tcbInfo\":{\"id\":\"SGX\""), tcb.body());
      String chain = tcb.headers().firstValue("TCB-Info-Issuer-Chain").orElseThrow();
      assertTrue(chain.startsWith("-----BEGIN%20CERTIFICATE-----%0A"), chain);
      assertTrue(
          URLDecoder.decode(chain, StandardCharsets.UTF_8).contains("-----END CERTIFICATE-----"));
      HttpResponse<String> tdxTcb = get(pcs.url() + "/tdx/certification/v4/tcb?fmspc=a7f402000000");
      assertTrue(tdxTcb.body().startsWith("{\"tcbInfo\":{\"id\":\"TDX\""), tdxTcb.body());
      HttpResponse<String> qe = get(pcs.url() + "/tdx/certification/v4/qe/identity");
      assertTrue(qe.body().contains("\"id\":\"TD_QE\""), qe.body());
      assertTrue(qe.headers().firstValue("SGX-Enclave-Identity-Issuer-Chain").isPresent());
      HttpResponse<String> crl =
          get(pcs.url() + "/sgx/certification/v4/pckcrl?ca=platform&encoding=der");
      assertEquals(200, crl.statusCode());
      assertTrue(crl.headers().firstValue("SGX-PCK-CRL-Issuer-Chain").isPresent());
      assertEquals(200, get(pcs.url() + "/sgx/certification/v4/rootcacrl").statusCode());
      assertEquals(
          404, get(pcs.url() + "/sgx/certification/v4/tcb?fmspc=00606A000000").statusCode());
      assertEquals(
          404,
          get(pcs.url() + "/sgx/certification/v4/pckcrl?ca=processor&encoding=der").statusCode());
      assertEquals(404, get(pcs.url() + "/sgx/certification/v3/tcb").statusCode());

      // What the verifier's PCS client fetches verifies a simulated quote under the pinned
      // simulation root.
      DcapSimulator sim = new DcapSimulator(ca);
      byte[] quote =
          sim.sgxQuote(
              io.attest402.verifier.SgxReportBody.builder()
                  .attributeFlags(
                      io.attest402.verifier.SgxReportBody.FLAG_INIT
                          | io.attest402.verifier.SgxReportBody.FLAG_MODE64BIT)
                  .xfrm(3)
                  .mrEnclave(new byte[32])
                  .reportData(new byte[64])
                  .build());
      Collateral fetched =
          CollateralFetcher.builder()
              .baseUrl(pcs.url())
              .trustAnchor(ca.root())
              .build()
              .fetch(quote);
      Verdict v =
          new QuoteVerifier()
              .verify(
                  quote,
                  fetched,
                  Clock.systemUTC().instant(),
                  VerificationPolicy.builder()
                      .trustSimulationRoot(ca.rootFingerprintSha256())
                      .allowAnyMeasurement(true)
                      .build());
      assertTrue(v.ok(), v.toString());
    }
  }

  @Test
  void theFacilitatorIdentityFetchesItsCollateralFromThePcsAndRefusesBadOrStaleCollateral()
      throws Exception {
    Path data = tmp.resolve("facilitator");
    TeeBackends.Options o =
        TeeBackends.Options.defaults(data)
            .withGramineRoot(tmp.resolve("none"))
            .withTsmReportRoot(tmp.resolve("none2"));
    SimulationCa ca = SimulatedBackend.loadOrCreateCa(data, Clock.systemUTC());
    try (SimulatedPcs pcs = SimulatedPcs.start(ca, Clock.systemUTC())) {
      EnclaveIdentity id = EnclaveIdentity.startVerified("simulated", o, pcs.url());
      assertTrue(
          pcs.served("/sgx/certification/v4/tcb") >= 1
              && pcs.served("/sgx/certification/v4/qe/identity") >= 1
              && pcs.served("/sgx/certification/v4/pckcrl") >= 1
              && pcs.served("/sgx/certification/v4/rootcacrl") >= 1,
          "every piece came from the PCS");
      assertTrue(id.startupDocument().collateral() != null, "and is served with the attestation");
      assertTrue(
          id.collateralNextUpdate().isAfter(Clock.systemUTC().instant().plus(Duration.ofDays(20))));
    }

    // A PCS whose TCB info signature is broken: the facilitator refuses to start, naming the PCS
    // and the problem.
    DcapSimulator sim = new DcapSimulator(ca);
    SimulatedPcs.Source good = SimulatedPcs.fromCa(ca, Clock.systemUTC());
    SimulatedPcs.Source forged =
        tee -> {
          Collateral c = good.collateral(tee);
          byte[] sig = c.tcbInfoSignature();
          sig[5] ^= 1;
          return c.toBuilder().tcbInfoSignature(sig).build();
        };
    try (SimulatedPcs pcs = SimulatedPcs.start("127.0.0.1", 0, forged)) {
      EnclaveIdentity.CollateralUnavailableException e =
          assertThrows(
              EnclaveIdentity.CollateralUnavailableException.class,
              () -> EnclaveIdentity.startVerified("simulated", o, pcs.url()));
      assertTrue(e.getMessage().contains(pcs.url().toString()), e.getMessage());
      assertTrue(e.getMessage().toLowerCase().contains("signature"), e.getMessage());
    }

    // A PCS that serves collateral already past its nextUpdate.
    SimulatedPcs.Source stale =
        tee -> sim.collateral(tee, Clock.systemUTC().instant().minus(Duration.ofDays(40)));
    try (SimulatedPcs pcs = SimulatedPcs.start("127.0.0.1", 0, stale)) {
      EnclaveIdentity.CollateralUnavailableException e =
          assertThrows(
              EnclaveIdentity.CollateralUnavailableException.class,
              () -> EnclaveIdentity.startVerified("simulated", o, pcs.url()));
      assertTrue(e.getMessage().contains("stale"), e.getMessage());
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
