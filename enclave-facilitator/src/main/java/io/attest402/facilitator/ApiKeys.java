package io.attest402.facilitator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Optional API keys for {@code /verify} and {@code /settle}, for operators who serve known resource
 * servers only. The facilitator keeps SHA-256 hashes, never the keys: a key file has one {@code
 * <sha256 hex> <scope>[,<scope>]} line per key (scopes {@code verify}, {@code settle}; {@code #}
 * starts a comment), e.g. from {@code printf %s "$KEY" | sha256sum}. No keys: the routes are open
 * (the x402 default).
 */
public final class ApiKeys {
  /** What a key may call. */
  public enum Scope {
    VERIFY,
    SETTLE
  }

  private static final ApiKeys NONE = new ApiKeys(Map.of());
  private final Map<String, Set<Scope>> byHash;

  private ApiKeys(Map<String, Set<Scope>> byHash) {
    this.byHash = Map.copyOf(byHash);
  }

  public static ApiKeys none() {
    return NONE;
  }

  /** Parses key-file lines; throws with the line number on a malformed one. */
  public static ApiKeys parse(List<String> lines) {
    Map<String, Set<Scope>> m = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String l = (hash >= 0 ? line.substring(0, hash) : line).trim();
      if (l.isEmpty()) {
        continue;
      }
      String[] parts = l.split("\\s+");
      if (parts.length != 2 || !parts[0].matches("(?i)[0-9a-f]{64}")) {
        throw new IllegalArgumentException(
            "API key file line "
                + (i + 1)
                + ": expected '<sha256 hex of the key> "
                + "verify|settle|verify,settle'");
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (String s : parts[1].split(",")) {
        try {
          scopes.add(Scope.valueOf(s.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "API key file line " + (i + 1) + ": unknown scope '" + s + "' (verify, settle)");
        }
      }
      m.put(parts[0].toLowerCase(Locale.ROOT), Set.copyOf(scopes));
    }
    return new ApiKeys(m);
  }

  public static ApiKeys read(Path file) {
    try {
      return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read API key file " + file + ": " + e.getMessage(), e);
    }
  }

  public boolean enabled() {
    return !byHash.isEmpty();
  }

  /**
   * Whether {@code key} (as sent; null when none) may call {@code scope}: always when no keys are
   * configured.
   */
  public boolean allows(String key, Scope scope) {
    if (!enabled()) {
      return true;
    }
    if (key == null || key.isEmpty() || key.length() > 512) {
      return false;
    }
    Set<Scope> s = byHash.get(sha256(key));
    return s != null && s.contains(scope);
  }

  public static String sha256(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
