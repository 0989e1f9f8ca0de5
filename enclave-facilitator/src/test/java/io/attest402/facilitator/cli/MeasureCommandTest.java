package io.attest402.facilitator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.verifier.TeeType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MeasureCommandTest {
  @TempDir Path tmp;
  Path artifact;
  Path deployment;
  StringWriter err;

  @BeforeEach
  void artifact() throws Exception {
    artifact = tmp.resolve("enclave");
    Files.createDirectories(artifact.resolve("lib"));
    Files.write(artifact.resolve("attest402-facilitator.jar"), new byte[] {1});
    Files.write(artifact.resolve("lib/x.jar"), new byte[] {2});
    deployment =
        Files.writeString(tmp.resolve("deployment.json"), "{\"network\":\"eip155:31337\"}");
  }

  JsonNode measure(int exit, String... args) throws Exception {
    Path out = tmp.resolve("policy.json");
    Files.deleteIfExists(out);
    err = new StringWriter();
    CommandLine cl =
        new CommandLine(new MeasureCommand())
            .setOut(new PrintWriter(new StringWriter()))
            .setErr(new PrintWriter(err));
    String[] all = new String[args.length + 4];
    all[0] = "--out";
    all[1] = out.toString();
    all[2] = "--artifact";
    all[3] = artifact.toString();
    System.arraycopy(args, 0, all, 4, args.length);
    assertEquals(exit, cl.execute(all), err.toString());
    return exit == 0 ? new ObjectMapper().readTree(Files.readString(out)) : null;
  }

  @Test
  void pinsTheMeasurementTheFacilitatorComputesForTheSameLaunch() throws Exception {
    Path data = tmp.resolve("data");
    JsonNode p =
        measure(
            0,
            "--jvm-option",
            "-Xmx512m",
            "--",
            "--deployment",
            deployment.toString(),
            "--data-dir",
            data.toString(),
            "--port",
            "4020");
    String expected =
        MeasuredLaunch.measure(
                io.attest402.enclave.tee.CodeMeasurement.directory(artifact),
                java.util.List.of("-Xmx512m"),
                "--tee",
                "simulated",
                "--deployment",
                deployment.toString(),
                "--data-dir",
                data.toString())
            .mrEnclaveHex();
    assertEquals(
        expected,
        p.path("mrEnclave").asText(),
        "same options in another order, port 4020 = default");
    assertTrue(p.path("simulationRoots").isMissingNode(), "no simulation CA yet");

    SimulatedBackend b =
        SimulatedBackend.open(data, TeeType.SGX, Clock.systemUTC(), new SecureRandom());
    JsonNode pinned =
        measure(
            0,
            "--jvm-option",
            "-Xmx512m",
            "--",
            "--deployment",
            deployment.toString(),
            "--data-dir",
            data.toString());
    assertEquals(
        SimulatedBackend.simulationRootFingerprint(data).orElseThrow(),
        pinned.path("simulationRoots").get(0).asText());
    assertTrue(b.simulated());

    assertNotEquals(
        expected,
        measure(0, "--", "--deployment", deployment.toString(), "--data-dir", data.toString())
            .path("mrEnclave")
            .asText(),
        "JVM options are measured");
    assertNotEquals(
        expected,
        measure(
                0,
                "--jvm-option",
                "-Xmx512m",
                "--",
                "--deployment",
                deployment.toString(),
                "--data-dir",
                data.toString(),
                "--public-url",
                "https://f.example")
            .path("mrEnclave")
            .asText());
    Files.writeString(deployment, "{\"network\":\"eip155:1\"}");
    assertNotEquals(
        expected,
        measure(
                0,
                "--jvm-option",
                "-Xmx512m",
                "--",
                "--deployment",
                deployment.toString(),
                "--data-dir",
                data.toString())
            .path("mrEnclave")
            .asText(),
        "the deployment file's content is measured");
  }

  @Test
  void gramineAndOtherTeesAreRefusedWithWhatToDo() throws Exception {
    measure(2, "--tee", "gramine", "--", "--deployment", deployment.toString());
    assertTrue(err.toString().contains("make -C deploy/gramine policy"), err.toString());
    measure(2, "--", "--tee", "tdx", "--deployment", deployment.toString());
    assertTrue(err.toString().contains("--tee tdx"), err.toString());
    measure(2, "--", "--no-such-option");
    assertTrue(err.toString().contains("facilitator arguments"), err.toString());
  }
}
