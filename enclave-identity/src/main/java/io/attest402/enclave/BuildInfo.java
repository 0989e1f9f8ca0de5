package io.attest402.enclave;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * Facts fixed when this build was made, read from {@code build-info.properties}, which the build
 * writes (the git revision of the source, from {@code git describe} at build time; nothing runs git
 * at runtime).
 */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  /**
   * The source revision this build was made from ({@code <commit>[-dirty]}), or {@code unknown}.
   */
  public static String sourceRevision() {
    String v = PROPS.getProperty("sourceRevision", "").strip();
    return v.matches("[0-9a-f]{7,40}(-dirty)?") ? v : "unknown";
  }

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build-info.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // unknown revision
    }
    return p;
  }
}
