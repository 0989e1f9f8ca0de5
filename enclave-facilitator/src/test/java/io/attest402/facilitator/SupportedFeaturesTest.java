package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.contracts.ProjectPaths;
import io.attest402.contracts.chain.Anvil;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.facilitator.settle.SignedReceiptIssuer;
import io.attest402.x402.types.SupportedResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /supported} tells the truth: the kinds per version and network (a v1 kind under the
 * legacy name of a network that has one), the extensions implemented, the settlement account as
 * signer; the official {@code @x402/core} client and resource server accept it and see every kind;
 * the README's "What the facilitator speaks" says the same.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SupportedFeaturesTest {
  Chain chain;
  FacilitatorServer server;
  String url;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    chain = Chain.start(Anvil.Options.defaults().chainId(V1FacilitatorTest.BASE_SEPOLIA));
    server =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            SignedReceiptIssuer::of);
    url = TestKit.url(server);
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
    if (chain != null) {
      chain.close();
    }
  }

  @Test
  void kindsExtensionsAndSignersAreWhatIsServed() {
    TestKit.Answer a = TestKit.get(url + "/supported");
    assertEquals(200, a.status(), a.text());
    SupportedResponse s = SupportedResponse.fromJson(a.json());
    assertEquals(
        List.of(
            new SupportedResponse.Kind(2, "exact", "eip155:84532", null),
            new SupportedResponse.Kind(
                2,
                "upto",
                "eip155:84532",
                io.attest402.x402.types.Wire.newObject()
                    .put("facilitatorAddress", server.facilitator().address())),
            new SupportedResponse.Kind(1, "exact", "base-sepolia", null)),
        s.kinds());
    assertEquals(
        List.of(
            ReceiptIssuer.EXTENSION_KEY,
            "payment-identifier",
            "eip2612GasSponsoring",
            "erc20ApprovalGasSponsoring",
            "bazaar"),
        s.extensions());
    assertEquals(Map.of("eip155:*", List.of(server.facilitator().address())), s.signers());
  }

  @Test
  void aFacilitatorWithoutReceiptsDoesNotClaimTheReceiptExtension(@TempDir Path dir)
      throws Exception {
    FacilitatorServer plain =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(chain),
            k -> ReceiptIssuer.NONE);
    try {
      JsonNode s = TestKit.get(TestKit.url(plain) + "/supported").json();
      assertFalse(
          s.path("extensions").toString().contains(ReceiptIssuer.EXTENSION_KEY), s.toString());
    } finally {
      plain.stop();
    }
  }

  @Test
  void theOfficialResourceServerAcceptsItAndSeesEveryKind() {
    try (NodeScript s =
        NodeScript.start(
            "official-supported.mjs",
            List.of(),
            Map.of("FACILITATOR_URL", url),
            TestKit.SCRIPT_TIMEOUT)) {
      JsonNode out = s.ready();
      assertTrue(out.path("error").isMissingNode(), out.toString());
      JsonNode kinds = out.path("kinds");
      assertEquals(3, kinds.size(), out.toString());
      for (JsonNode k : kinds) {
        assertTrue(k.path("serverSees").asBoolean(), out.toString());
        assertEquals(
            ReceiptIssuer.EXTENSION_KEY, k.path("extensions").path(0).asText(), out.toString());
      }
      assertEquals(
          server.facilitator().address(),
          out.path("supported").path("signers").path("eip155:*").path(0).asText(),
          out.toString());
    }
  }

  @Test
  void theReadmeSaysWhatSupportedSays() throws Exception {
    String readme = Files.readString(ProjectPaths.root().resolve("README.md"));
    int start = readme.indexOf("## What the facilitator speaks");
    assertTrue(start >= 0, "README has no 'What the facilitator speaks' section");
    String section = readme.substring(start, readme.indexOf("\n## ", start + 3));
    SupportedResponse s = SupportedResponse.fromJson(TestKit.get(url + "/supported").json());

    assertEquals(
        new TreeSet<>(s.kinds().stream().map(SupportedResponse.Kind::scheme).toList()),
        new TreeSet<>(listed(section, "schemes")));
    assertEquals(
        new TreeSet<>(s.kinds().stream().map(k -> Integer.toString(k.x402Version())).toList()),
        new TreeSet<>(listed(section, "versions")));
    assertEquals(new TreeSet<>(s.extensions()), new TreeSet<>(listed(section, "extensions")));
    assertTrue(listed(section, "signers").containsAll(s.signers().keySet()), section);
  }

  /**
   * The backticked words of a README bullet {@code - name: ...}, in its first clause of each item
   * (what parentheses explain is not listed).
   */
  private static List<String> listed(String section, String name) {
    Matcher line = Pattern.compile("(?m)^- " + name + ": (.*(?:\\n  .*)*)").matcher(section);
    assertTrue(line.find(), "no '- " + name + ":' line in " + section);
    String text = line.group(1).replaceAll("\\([^)]*\\)", "");
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("`([^`]+)`").matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
