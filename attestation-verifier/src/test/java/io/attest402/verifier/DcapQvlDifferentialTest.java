package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs @phala/dcap-qvl (interop/node_modules, via interop/dcap-qvl-verify.mjs) on the same inputs
 * as our verifier and compares verdicts. Known, legitimate departures of dcap-qvl from Intel's QVL
 * (tee.md 2.4) are named where they apply.
 */
class DcapQvlDifferentialTest {
  record Case(String id, Path quote, Path collateral, long now) {}

  @Test
  void verdictsAgreeWithDcapQvl() throws Exception {
    Path root = Vectors.repoRoot();
    Path script = root.resolve("interop/dcap-qvl-verify.mjs");
    assertTrue(
        Files.exists(root.resolve("interop/node_modules/@phala/dcap-qvl")),
        "run npm ci in interop/");
    List<Case> cases = new ArrayList<>();
    for (Vectors.Vector v : Vectors.all()) {
      Path coll =
          v.hasVerdict() ? v.collateralFile() : Vectors.byId("oasis_tdx_v4_nocrl").collateralFile();
      cases.add(new Case(v.id(), v.quoteFile(), coll, v.now()));
      if (v.window() != null) {
        cases.add(new Case(v.id() + "@start-1", v.quoteFile(), coll, v.window()[0] - 1));
        cases.add(new Case(v.id() + "@end", v.quoteFile(), coll, v.window()[1]));
        cases.add(new Case(v.id() + "@end+1", v.quoteFile(), coll, v.window()[1] + 1));
      }
    }
    Vectors.Vector base = Vectors.byId("dcapqvl_sgx_v3");
    cases.add(
        new Case(
            "neg_sgx_sig_flip",
            Vectors.dir().resolve("negative/neg_sgx_sig_flip.bin"),
            base.collateralFile(),
            base.now()));
    cases.add(
        new Case(
            "neg_coll_tcbinfo_tampered",
            base.quoteFile(),
            Vectors.dir().resolve("negative/neg_coll_tcbinfo_tampered.json"),
            base.now()));

    ObjectMapper om = new ObjectMapper();
    ArrayNode jobs = om.createArrayNode();
    for (Case c : cases) {
      ObjectNode j = jobs.addObject();
      j.put("id", c.id());
      j.put("quote", c.quote().toString());
      j.put("collateral", c.collateral().toString());
      j.put("now", c.now());
    }
    Process p =
        new ProcessBuilder("node", script.toString(), "batch")
            .directory(root.resolve("interop").toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    p.getOutputStream().write(om.writeValueAsBytes(jobs));
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    JsonNode theirs = om.readTree(new String(out, StandardCharsets.UTF_8));

    List<String> differences = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      JsonNode t = theirs.get(i);
      Verdict ours =
          new QuoteVerifier()
              .verify(
                  Files.readAllBytes(c.quote()),
                  Collateral.fromJson(Files.readAllBytes(c.collateral())),
                  Instant.ofEpochSecond(c.now()),
                  Vectors.reportingPolicy().toBuilder()
                      .requireCrls(!c.id().endsWith("_nocrl"))
                      .build());
      boolean theyOk = t.get("ok").asBoolean();
      if (ours.ok() && theyOk) {
        assertEquals(t.get("status").asText(), ours.status().get().text(), c.id());
        List<String> adv = new ArrayList<>();
        t.get("advisories").forEach(a -> adv.add(a.asText()));
        adv.sort(null);
        assertEquals(adv, ours.advisories(), c.id());
      } else if (ours.ok() != theyOk) {
        String why = explain(ours, t);
        assertTrue(
            why != null,
            () -> c.id() + ": unexplained difference, ours=" + ours + " dcap-qvl=" + t);
        differences.add(c.id() + ": " + why);
      }
    }
    differences.forEach(d -> System.err.println("[differential] legitimate difference: " + d));
  }

  /** Why a verdict legitimately differs, or null. */
  static String explain(Verdict ours, JsonNode theirs) {
    if (!ours.ok() && theirs.get("ok").asBoolean()) {
      QuoteVerificationException f = ours.failure().get();
      if (f.kind() == QuoteVerificationException.Kind.EXPIRED_OR_NOT_YET_VALID
          && f.getMessage().contains("CRL")) {
        return "dcap-qvl-js does not enforce CRL thisUpdate/nextUpdate (the Rust crate and Intel QVL do): "
            + f.getMessage();
      }
    }
    return null;
  }
}
