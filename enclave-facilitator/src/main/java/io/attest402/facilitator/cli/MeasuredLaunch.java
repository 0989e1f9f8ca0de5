package io.attest402.facilitator.cli;

import io.attest402.enclave.tee.CodeMeasurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The measured configuration of a facilitator launch, mirroring what the Gramine manifest measures:
 * the JVM's options (its argv before {@code -jar}: heap, stack, processors, system properties,
 * agents), every facilitator option with its effective value (its argv after the jar: {@code
 * --tee}, {@code --deployment}, {@code --data-dir}, {@code --port}, {@code --host}, {@code
 * --public-url}, validators, timeouts; defaults included, so the order and spelling on the command
 * line do not matter), and the SHA-256 of the deployment and networks files (trusted files under
 * Gramine). The facilitator command measures itself this way at start; {@code bin/attest402
 * measure} computes the same from the same arguments before it starts.
 */
public final class MeasuredLaunch {
  private MeasuredLaunch() {}

  /**
   * The configuration entries for facilitator options parsed into {@code spec} and the given JVM
   * options.
   */
  public static List<String> configuration(List<String> jvmOptions, CommandSpec spec) {
    return configuration(jvmOptions, spec, null);
  }

  /**
   * As {@link #configuration(List, CommandSpec)} for a facilitator started in {@code
   * workingDirectory} (null: this JVM's): relative file options are read from there, as the
   * facilitator reads them.
   */
  static List<String> configuration(
      List<String> jvmOptions, CommandSpec spec, Path workingDirectory) {
    List<String> out = new ArrayList<>();
    for (String o : jvmOptions) {
      out.add("jvm " + o);
    }
    for (OptionSpec o : spec.options()) {
      if (o.usageHelp() || o.versionHelp()) {
        continue;
      }
      out.add("option " + o.longestName() + "=" + text(o.getValue()));
    }
    for (String name : List.of("--deployment", "--networks")) {
      Object v = spec.findOption(name).getValue();
      if (v instanceof Path given) {
        Path p = workingDirectory == null ? given : workingDirectory.resolve(given);
        out.add(
            "file "
                + name
                + " "
                + (Files.isRegularFile(p) ? CodeMeasurement.sha256Hex(p) : "missing"));
      }
    }
    return out;
  }

  /** The measurement of running {@code code} with these JVM options and facilitator arguments. */
  public static CodeMeasurement measure(
      List<CodeMeasurement.FileDigest> code, List<String> jvmOptions, String... facilitatorArgs) {
    CommandLine cl = new CommandLine(new FacilitatorCommand());
    cl.parseArgs(facilitatorArgs);
    return CodeMeasurement.of(code, configuration(jvmOptions, cl.getCommandSpec()));
  }

  /**
   * As {@link #measure(List, List, String...)} for a facilitator started in {@code
   * workingDirectory} with relative paths among its arguments: two facilitators started with the
   * same relative arguments in two directories run the same measured configuration (replicas of one
   * pinned build), each with its own data and sealed key.
   */
  public static CodeMeasurement measure(
      List<CodeMeasurement.FileDigest> code,
      List<String> jvmOptions,
      Path workingDirectory,
      String... facilitatorArgs) {
    CommandLine cl = new CommandLine(new FacilitatorCommand());
    cl.parseArgs(facilitatorArgs);
    return CodeMeasurement.of(
        code, configuration(jvmOptions, cl.getCommandSpec(), workingDirectory));
  }

  private static String text(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Collection<?> c) {
      return String.join(",", c.stream().map(String::valueOf).toList());
    }
    return String.valueOf(v);
  }
}
