package io.attest402.verifier.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.verifier.ManifestAccess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class QuoteCommandTest {
  @TempDir Path tmp;

  record Result(int exit, String out, String err) {
    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(out);
    }
  }

  static Result run(Clock clock, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl =
        new CommandLine(
            new QuoteCommand(),
            new CommandLine.IFactory() {
              @Override
              public <K> K create(Class<K> cls) throws Exception {
                if (cls == QuoteVerifyCommand.class) {
                  return cls.cast(new QuoteVerifyCommand(clock));
                }
                return CommandLine.defaultFactory().create(cls);
              }
            });
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  static Result run(String... args) {
    return run(Clock.systemUTC(), args);
  }

  Path policyAcceptingAll(boolean requireCrls) throws Exception {
    Path p = tmp.resolve("policy-" + requireCrls + ".json");
    Files.writeString(
        p,
        "{\"acceptedStatuses\":[\"UpToDate\",\"SWHardeningNeeded\",\"ConfigurationNeeded\","
            + "\"ConfigurationAndSWHardeningNeeded\",\"OutOfDate\",\"OutOfDateConfigurationNeeded\"],"
            + "\"allowAnyMeasurement\":true,\"requireCrls\":"
            + requireCrls
            + "}");
    return p;
  }

  @Test
  void everyManifestVectorThroughTheCli() throws Exception {
    for (ManifestAccess.V v : ManifestAccess.vectors()) {
      // vectors whose source ships no CRLs opt out of requireCrls explicitly
      Path policy = policyAcceptingAll(!v.id().endsWith("_nocrl"));
      String collateral = v.collateral().toString();
      if (!v.expect().has("ok")) {
        collateral =
            v.dir().resolveSibling("oasis_tdx_v4_nocrl").resolve("collateral.json").toString();
      }
      Result r =
          run(
              "verify",
              "--quote",
              v.dir().resolve("quote.bin").toString(),
              "--collateral",
              collateral,
              "--at",
              Long.toString(v.now()),
              "--policy",
              policy.toString(),
              "--json");
      JsonNode j = r.json();
      boolean ok = v.expect().path("ok").asBoolean(true);
      assertEquals(ok ? 0 : 1, r.exit(), v.id() + ": " + r.out() + r.err());
      assertEquals(ok, j.get("ok").asBoolean(), v.id());
      assertTrue(j.get("teeType").isTextual());
      assertTrue(j.get("measurements").size() > 5);
      assertEquals(128, j.get("reportData").asText().length());
      if (v.expect().has("status")) {
        assertEquals(v.expect().get("status").asText(), j.get("status").asText(), v.id());
        List<String> exp = new ArrayList<>();
        v.expect().get("advisories").forEach(a -> exp.add(a.asText()));
        exp.sort(null);
        List<String> got = new ArrayList<>();
        j.get("advisories").forEach(a -> got.add(a.asText()));
        assertEquals(exp, got, v.id());
        assertTrue(j.get("error").isNull());
      } else if (!ok) {
        assertTrue(j.get("error").asText().contains("TCB level not supported"), j.toString());
        assertEquals("TCB_NOT_SUPPORTED", j.get("errorKind").asText());
      } else {
        assertEquals("UpToDate", j.get("status").asText());
      }
    }
  }

  @Test
  void defaultPolicyRejectsNonUpToDateWithExit1AndHumanOutput() {
    ManifestAccess.V v = ManifestAccess.byId("dcapqvl_sgx_v3");
    Result r =
        run(
            "verify",
            "--quote",
            v.dir().resolve("quote.bin").toString(),
            "--collateral",
            v.collateral().toString(),
            "--at",
            Long.toString(v.now()),
            "--allow-any-measurement");
    assertEquals(1, r.exit());
    assertTrue(r.out().contains("REJECTED"), r.out());
    assertTrue(r.out().contains("ConfigurationAndSWHardeningNeeded"), r.out());
    assertTrue(r.err().contains("verifying"), r.err());
    ManifestAccess.V up = ManifestAccess.byId("dcapqvl_tdx_v4");
    Result ok =
        run(
            "verify",
            "--quote",
            up.dir().resolve("quote.bin").toString(),
            "--collateral",
            up.collateral().toString(),
            "--at",
            Long.toString(up.now()),
            "--allow-any-measurement");
    assertEquals(0, ok.exit(), ok.out());
    assertTrue(ok.out().contains("verdict:    OK"), ok.out());
    assertTrue(ok.out().contains("anchor:     intel"), ok.out());
    assertTrue(ok.out().contains("MEASUREMENT NOT PINNED"), ok.out());
    Result unpinned =
        run(
            "verify",
            "--quote",
            up.dir().resolve("quote.bin").toString(),
            "--collateral",
            up.collateral().toString(),
            "--at",
            Long.toString(up.now()));
    assertEquals(1, unpinned.exit(), unpinned.out());
    assertTrue(unpinned.out().contains("policy pins no measurement"), unpinned.out());
  }

  @Test
  void withoutAtTheInjectedClockDecides() {
    ManifestAccess.V v = ManifestAccess.byId("dcapqvl_tdx_v4");
    Clock inWindow = Clock.fixed(Instant.ofEpochSecond(v.now()), ZoneOffset.UTC);
    Clock later = Clock.fixed(Instant.ofEpochSecond(v.now() + 86400 * 400L), ZoneOffset.UTC);
    String[] args = {
      "verify",
      "--quote",
      v.dir().resolve("quote.bin").toString(),
      "--collateral",
      v.collateral().toString(),
      "--allow-any-measurement",
      "--json"
    };
    assertEquals(0, run(inWindow, args).exit());
    assertEquals(1, run(later, args).exit());
  }

  @Test
  void hexZeroXHexAndBase64QuoteFiles() throws Exception {
    ManifestAccess.V v = ManifestAccess.byId("dcapqvl_tdx_v4");
    byte[] raw = Files.readAllBytes(v.dir().resolve("quote.bin"));
    String hex = java.util.HexFormat.of().formatHex(raw);
    Path h = tmp.resolve("q.hex");
    Files.writeString(h, hex + "\n");
    Path h0 = tmp.resolve("q0.hex");
    Files.writeString(h0, "0x" + hex);
    Path b64 = tmp.resolve("q.b64");
    Files.writeString(b64, Base64.getEncoder().encodeToString(raw) + "\n");
    for (Path p : List.of(h, h0, b64)) {
      Result r =
          run(
              "verify",
              "--quote",
              p.toString(),
              "--collateral",
              v.collateral().toString(),
              "--at",
              Long.toString(v.now()),
              "--allow-any-measurement",
              "--json");
      assertEquals(0, r.exit(), p + ": " + r.out());
    }
  }

  @Test
  void usageAndInputErrorsExit2() throws Exception {
    assertEquals(2, run("verify", "--quote", "x").exit());
    ManifestAccess.V v = ManifestAccess.byId("dcapqvl_tdx_v4");
    Result missing =
        run(
            "verify",
            "--quote",
            tmp.resolve("nope").toString(),
            "--collateral",
            v.collateral().toString(),
            "--json");
    assertEquals(2, missing.exit());
    assertEquals(false, missing.json().get("ok").asBoolean());
    Path badPolicy = tmp.resolve("bad.json");
    Files.writeString(badPolicy, "{\"acceptStatuses\":[]}");
    assertEquals(
        2,
        run(
                "verify",
                "--quote",
                v.dir().resolve("quote.bin").toString(),
                "--collateral",
                v.collateral().toString(),
                "--policy",
                badPolicy.toString())
            .exit());
    Path garbage = tmp.resolve("garbage.bin");
    Files.write(garbage, new byte[] {3, 0, 2, 0, (byte) 0xff, 1});
    Result g =
        run(
            "verify",
            "--quote",
            garbage.toString(),
            "--collateral",
            v.collateral().toString(),
            "--at",
            Long.toString(v.now()),
            "--json");
    assertEquals(1, g.exit());
    assertEquals("MALFORMED_QUOTE", g.json().get("errorKind").asText());
  }
}
