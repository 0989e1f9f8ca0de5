package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.verifier.QuoteVerificationException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestVectorsTest {
  static Stream<Vectors.Vector> vectors() {
    return Vectors.all().stream();
  }

  static List<String> expectedAdvisories(JsonNode expect) {
    List<String> out = new ArrayList<>();
    expect.get("advisories").forEach(a -> out.add(a.asText()));
    out.sort(null);
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void everyVectorGivesItsExpectedVerdict(Vectors.Vector v) {
    JsonNode e = v.expect();
    if (!v.hasVerdict()) {
      // oasis_tdx_v4_trailing70_nocrl: parse with reported consumed length, verify with the oasis
      // collateral
      Verdict d =
          new QuoteVerifier()
              .verify(
                  v.quote(),
                  Vectors.byId("oasis_tdx_v4_nocrl").collateral(),
                  v.at(),
                  Vectors.reportingPolicy(v));
      assertTrue(d.ok(), () -> d.toString());
      assertEquals(
          e.get("derived_verdict_with_oasis_tdx_v4_collateral").asText(), d.status().get().text());
      assertEquals(4936, d.quote().get().length());
      assertEquals(70, d.quote().get().trailingBytes());
      Verdict strict =
          new QuoteVerifier()
              .verify(
                  v.quote(),
                  Vectors.byId("oasis_tdx_v4_nocrl").collateral(),
                  v.at(),
                  Vectors.reportingPolicy(v).toBuilder().rejectTrailingBytes(true).build());
      assertEquals(Kind.MALFORMED_QUOTE, strict.failure().get().kind());
      return;
    }
    Verdict d =
        new QuoteVerifier().verify(v.quote(), v.collateral(), v.at(), Vectors.reportingPolicy(v));
    if (v.expectOk()) {
      assertTrue(d.ok(), () -> v.id() + ": " + d);
      assertEquals(e.get("status").asText(), d.status().get().text());
      assertEquals(expectedAdvisories(e), d.advisories());
    } else {
      assertFalse(d.ok(), () -> v.id() + ": " + d);
      assertFalse(d.verified());
      assertEquals(Kind.TCB_NOT_SUPPORTED, d.failure().get().kind(), d::toString);
      String msg = d.failure().get().getMessage();
      assertTrue(
          msg.contains("TCB level not supported") && msg.contains("STATUS_TCB_NOT_SUPPORTED"), msg);
      if (e.get("error").asText().contains("comp #")) {
        String detail = e.get("error").asText().replaceFirst(".* - ", "");
        assertTrue(msg.endsWith(detail), msg + " should end with " + detail);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void defaultPolicyNeedsAPinAndAcceptsOnlyUpToDate(Vectors.Vector v) throws Exception {
    if (!v.hasVerdict()) {
      return;
    }
    Verdict unpinned =
        new QuoteVerifier()
            .verify(v.quote(), v.collateral(), v.at(), VerificationPolicy.defaults());
    assertFalse(unpinned.ok(), unpinned::toString);
    if (v.expectOk()) {
      String why = unpinned.failure().get().getMessage();
      assertTrue(why.contains("policy pins no measurement") || why.contains("no root CA CRL"), why);
    }
    // The defaults with the quote's own measurement pinned (and the explicit CRL opt-out of _nocrl
    // vectors).
    Quote parsed = Quote.parse(v.quote());
    VerificationPolicy.Builder pinned =
        VerificationPolicy.defaults().toBuilder().requireCrls(!v.id().endsWith("_nocrl"));
    if (parsed.body() instanceof SgxReportBody b) {
      pinned.mrEnclave(b.mrEnclave());
    } else {
      pinned.mrTd(parsed.tdBody().mrTd());
    }
    Verdict d = new QuoteVerifier().verify(v.quote(), v.collateral(), v.at(), pinned.build());
    if (d.ok()) {
      assertTrue(d.measurementPinned());
    }
    boolean upToDate = v.expectOk() && v.expect().get("status").asText().equals("UpToDate");
    assertEquals(upToDate, d.ok(), d::toString);
    if (v.expectOk() && !upToDate) {
      assertTrue(d.verified());
      assertEquals(Kind.POLICY_VIOLATION, d.failure().get().kind());
      assertEquals(v.expect().get("status").asText(), d.status().get().text());
    }
  }

  @Test
  void negativeSignatureFlipFailsOnTheQuoteSignature() {
    Vectors.Vector base = Vectors.byId("dcapqvl_sgx_v3");
    byte[] q = Vectors.read(Vectors.dir().resolve("negative/neg_sgx_sig_flip.bin"));
    Verdict d =
        new QuoteVerifier().verify(q, base.collateral(), base.at(), Vectors.reportingPolicy());
    assertEquals(Kind.INVALID_QUOTE_SIGNATURE, d.failure().get().kind(), d::toString);
  }

  @Test
  void negativeTamperedTcbInfoFailsOnItsSignature() throws Exception {
    Vectors.Vector base = Vectors.byId("dcapqvl_sgx_v3");
    Collateral c =
        Collateral.fromJson(
            Vectors.read(Vectors.dir().resolve("negative/neg_coll_tcbinfo_tampered.json")));
    Verdict d = new QuoteVerifier().verify(base.quote(), c, base.at(), Vectors.reportingPolicy());
    assertEquals(Kind.INVALID_TCB_INFO_SIGNATURE, d.failure().get().kind(), d::toString);
  }
}
