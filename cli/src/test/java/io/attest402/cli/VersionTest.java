package io.attest402.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class VersionTest {
  @Test
  void versionIsTheOneMavenBuilt() {
    CommandLine cl = Attest402.newCommandLine();
    StringWriter out = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    assertEquals(0, cl.execute("--version"));
    assertEquals("attest402 " + System.getProperty("attest402.version"), out.toString().strip());
  }
}
