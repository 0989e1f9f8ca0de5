package io.attest402.erc8004;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.erc8004.files.Caip10;
import io.attest402.erc8004.files.DataUris;
import io.attest402.erc8004.files.DomainVerifier;
import io.attest402.erc8004.files.FeedbackFile;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.RegistrationFile.Service;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilesTest {
  static final String REGISTRY = "eip155:31337:0x5FbDB2315678afecb367f032d93F642f64180aa3";

  static RegistrationFile sample() {
    return RegistrationFile.of(
            "Summarizer",
            "Summaries for pay",
            "https://img.example/a.png",
            List.of(
                Service.of("web", "https://summ.example/"),
                Service.of("MCP", "https://mcp.summ.example/", "2025-06-18")),
            true,
            List.of("reputation", "tee-attestation"))
        .withRegistration(BigInteger.valueOf(7), REGISTRY);
  }

  @Test
  void writesStrictlyAndReadsBack() {
    RegistrationFile f = sample();
    String json = f.toJson();
    assertTrue(
        json.startsWith("{\"type\":\"" + RegistrationFile.TYPE + "\",\"name\":\"Summarizer\""),
        json);
    assertFalse(json.contains("endpoints"));
    assertFalse(json.contains("supportedTrusts"));
    RegistrationFile back = RegistrationFile.parse(json);
    assertEquals(f, back);
    assertTrue(back.problems().isEmpty(), back.problems()::toString);
    assertTrue(back.listsRegistration(REGISTRY.toLowerCase(), BigInteger.valueOf(7)));
  }

  @Test
  void readsLegacyKeysLeniently() {
    String legacy =
        """
        {"type":"https://eips.ethereum.org/EIPS/eip-8004#registration-v1","name":"Old",
         "endpoints":[{"name":"A2A","endpoint":"https://a.example/.well-known/agent-card.json","version":"0.3.0",
                       "a2aSkills":["summarize"]},
                      {"name":"agentWallet","endpoint":"eip155:8453:0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}],
         "supportedTrusts":["reputation"], "x402support":"true",
         "registrations":[{"agentId":"22","agentRegistry":"eip155:1:0x8004A169FB4a3325136EB29fA0ceB6D2e539a432"}],
         "updatedAt":1700000000}""";
    RegistrationFile f = RegistrationFile.parse(legacy);
    assertEquals(2, f.services().size());
    assertEquals(
        "summarize", f.service("a2a").orElseThrow().extra().get("a2aSkills").get(0).asText());
    assertEquals(List.of("reputation"), f.supportedTrust());
    assertEquals(Boolean.TRUE, f.x402Support());
    assertEquals(BigInteger.valueOf(22), f.registrations().get(0).agentId());
    Caip10 w = f.agentWallets().get(0);
    assertEquals("eip155:8453", w.network());
    assertTrue(w.is("eip155:8453", "0x742d35cc6634c0532925a3b844bc454e4438f44e"));
    String strict = f.toJson();
    assertTrue(strict.contains("\"services\":["), strict);
    assertTrue(strict.contains("\"supportedTrust\":[\"reputation\"]"), strict);
    assertTrue(strict.contains("\"x402Support\":true"), strict);
    assertTrue(strict.contains("\"agentId\":22"), strict);
    assertTrue(strict.contains("\"updatedAt\":1700000000"), "extension keys are kept: " + strict);
    assertFalse(
        strict.contains("supportedTrusts")
            || strict.contains("endpoints")
            || strict.contains("x402support"));
    assertThrows(IllegalArgumentException.class, () -> RegistrationFile.parse("[1,2]"));
  }

  @Test
  void resolvesEachScheme() {
    RegistrationFile f = sample();
    UriResolver strict = UriResolver.defaults();
    assertEquals(f, RegistrationFile.parse(strict.resolve(f.toDataUri())));
    String percent =
        "data:application/json,"
            + URLEncoder.encode(f.toJson(), StandardCharsets.UTF_8).replace("+", "%20");
    assertEquals(f, RegistrationFile.parse(strict.resolve(percent)));
    try (TestHttp http = new TestHttp()) {
      http.serve("/agent.json", f.toJson());
      http.serve("/ipfs/bafyfile", f.toJson());
      UriResolver dev =
          UriResolver.builder().allowHttpLoopback(true).ipfsGateway(http.url("/ipfs/")).build();
      assertEquals(f, RegistrationFile.parse(dev.resolve(http.url("/agent.json"))));
      assertEquals(f, RegistrationFile.parse(dev.resolve("ipfs://bafyfile")));
      assertEquals(f, RegistrationFile.parse(dev.resolve("ipfs://ipfs/bafyfile")));
      ResolutionException noHttp =
          assertThrows(ResolutionException.class, () -> strict.resolve(http.url("/agent.json")));
      assertTrue(noHttp.getMessage().contains("plain http"), noHttp.getMessage());
      assertThrows(ResolutionException.class, () -> dev.resolve("http://example.com/agent.json"));
      assertTrue(
          assertThrows(ResolutionException.class, () -> dev.resolve(http.url("/missing")))
              .getMessage()
              .contains("HTTP 404"));
      assertThrows(ResolutionException.class, () -> dev.resolve("ftp://x/y"));
      assertThrows(ResolutionException.class, () -> dev.resolve("ipfs://"));

      UriResolver tiny = UriResolver.builder().allowHttpLoopback(true).maxBytes(64).build();
      assertTrue(
          assertThrows(ResolutionException.class, () -> tiny.resolve(http.url("/agent.json")))
              .getMessage()
              .contains("more than 64 bytes"));
      assertThrows(ResolutionException.class, () -> tiny.resolve(f.toDataUri()));

      http.serve("/slow.json", "{}");
      http.delay("/slow.json", 2_000);
      UriResolver quick =
          UriResolver.builder().allowHttpLoopback(true).timeout(Duration.ofMillis(300)).build();
      assertTrue(
          assertThrows(ResolutionException.class, () -> quick.resolve(http.url("/slow.json")))
              .getMessage()
              .contains("timed out"));
    }
  }

  @Test
  void endpointDomainCheck() {
    try (TestHttp http = new TestHttp()) {
      UriResolver dev = UriResolver.builder().allowHttpLoopback(true).build();
      DomainVerifier v = new DomainVerifier(dev);
      String endpoint = http.url("/mcp");
      DomainVerifier.DomainCheck missing =
          v.verify(endpoint, "data:,x", REGISTRY, BigInteger.valueOf(7));
      assertFalse(missing.verified());
      http.serve(
          DomainVerifier.WELL_KNOWN_PATH,
          "{\"registrations\":[{\"agentId\":8,\"agentRegistry\":\"" + REGISTRY + "\"}]}");
      assertFalse(v.verify(endpoint, "data:,x", REGISTRY, BigInteger.valueOf(7)).verified());
      http.serve(DomainVerifier.WELL_KNOWN_PATH, sample().toJson());
      DomainVerifier.DomainCheck ok =
          v.verify(endpoint, "data:,x", REGISTRY, BigInteger.valueOf(7));
      assertTrue(ok.verified(), ok.detail());
      assertTrue(
          new DomainVerifier(UriResolver.defaults())
              .verify(
                  "https://agent.example/mcp",
                  "https://agent.example/agent.json",
                  REGISTRY,
                  BigInteger.ONE)
              .verified());
      assertFalse(
          new DomainVerifier(UriResolver.defaults())
              .verify(endpoint, "data:,x", REGISTRY, BigInteger.valueOf(7))
              .verified(),
          "no http without permission");
    }
  }

  @Test
  void feedbackFileStrictAndLenient() {
    FeedbackFile f =
        new FeedbackFile(
            REGISTRY,
            BigInteger.valueOf(7),
            "eip155:31337:0xabc",
            "2026-01-01T00:00:00Z",
            BigInteger.valueOf(95),
            0,
            "starred",
            "x402",
            null,
            new FeedbackFile.ProofOfPayment("0x01", "0x02", "31337", "0x03"),
            null);
    FeedbackFile back = FeedbackFile.parse(f.toJsonBytes());
    assertEquals(f, back);
    assertEquals("0xabc", back.clientAddressPlain().orElseThrow());
    assertEquals(
        f.hashHex(),
        org.web3j.utils.Numeric.toHexString(
            org.web3j.crypto.Hash.sha3(
                new String(f.toJsonBytes(), StandardCharsets.UTF_8)
                    .getBytes(StandardCharsets.UTF_8))));
    FeedbackFile old =
        FeedbackFile.parse(
            ("{\"agentId\":3,\"score\":80,\"proof_of_payment\":{\"fromAddress\":\"0x1\","
                    + "\"toAddress\":\"0x2\",\"chainId\":1,\"txHash\":\"0x3\"}}")
                .getBytes(StandardCharsets.UTF_8));
    assertEquals(BigInteger.valueOf(80), old.value());
    assertEquals("1", old.proofOfPayment().chainId());
    assertTrue(Json.write(old.toJsonNode()).contains("\"proofOfPayment\""));
    assertNull(
        FeedbackFile.parse("{\"value\":1}".getBytes(StandardCharsets.UTF_8)).proofOfPayment());
    assertEquals(
        "data:application/json;base64,e30=", DataUris.json("{}".getBytes(StandardCharsets.UTF_8)));
  }
}
