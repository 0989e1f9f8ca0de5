package io.attest402.verifier.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Parsed QE identity (enclaveIdentity v2). {@code miscselect} and {@code miscselectMask} are hex of
 * the four bytes in report order, read as the report's little-endian uint32 (as QVL compares them).
 */
public record QeIdentity(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    int tcbEvaluationDataNumber,
    long miscSelect,
    long miscSelectMask,
    byte[] attributes,
    byte[] attributesMask,
    byte[] mrSigner,
    int isvProdId,
    List<TcbLevel> levels) {

  public static QeIdentity parse(String json) {
    try {
      JsonNode n = TcbInfo.MAPPER.readTree(json);
      List<TcbLevel> levels = new ArrayList<>();
      for (JsonNode l : Json.array(n, "tcbLevels")) {
        levels.add(Json.isvLevel(l));
      }
      return new QeIdentity(
          Json.text(n, "id"),
          Json.intField(n, "version"),
          Json.instant(n, "issueDate"),
          Json.instant(n, "nextUpdate"),
          Json.intField(n, "tcbEvaluationDataNumber"),
          Le.u32(Json.hex(n, "miscselect", 4), 0),
          Le.u32(Json.hex(n, "miscselectMask", 4), 0),
          Json.hex(n, "attributes", 16),
          Json.hex(n, "attributesMask", 16),
          Json.hex(n, "mrsigner", 32),
          Json.intField(n, "isvprodid"),
          levels);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("QE identity is not JSON: " + e.getMessage(), e);
    }
  }
}
