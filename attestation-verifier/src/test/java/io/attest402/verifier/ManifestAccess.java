package io.attest402.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/** Test-side access to the vectors for tests in other packages. */
public final class ManifestAccess {
  public record V(String id, Path dir, long now, JsonNode expect) {
    public Path collateral() {
      return dir.resolve("collateral.json");
    }
  }

  private ManifestAccess() {}

  public static List<V> vectors() {
    return Vectors.all().stream().map(v -> new V(v.id(), v.dir(), v.now(), v.expect())).toList();
  }

  public static V byId(String id) {
    return vectors().stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow();
  }

  public static Path dir() {
    return Vectors.dir();
  }

  public static Path repoRoot() {
    return Vectors.repoRoot();
  }
}
