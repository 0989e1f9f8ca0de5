package io.attest402.verifier.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parsed TCB info (v2 or v3; SGX or TDX). */
public record TcbInfo(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    byte[] fmspc,
    byte[] pceId,
    int tcbEvaluationDataNumber,
    TdxModule tdxModule,
    Map<String, TdxModule> tdxModuleIdentities,
    List<TcbLevel> levels) {

  /** tdxModule or one entry of tdxModuleIdentities. */
  public record TdxModule(
      String id,
      byte[] mrSigner,
      byte[] attributes,
      byte[] attributesMask,
      List<TcbLevel> levels) {}

  static final ObjectMapper MAPPER = new ObjectMapper();

  public static TcbInfo parse(String json) {
    try {
      JsonNode n = MAPPER.readTree(json);
      int version = Json.intField(n, "version");
      String id = n.has("id") ? Json.text(n, "id") : "SGX";
      // QVL supports TCB type 0 only (the component order the TCB levels are written in).
      if (!n.has("tcbType") || Json.intField(n, "tcbType") != 0) {
        throw new IllegalArgumentException(
            "tcbType must be 0 (the only TCB type QVL evaluates), got "
                + (n.has("tcbType") ? n.get("tcbType").toString() : "none"));
      }
      List<TcbLevel> levels = new ArrayList<>();
      for (JsonNode l : Json.array(n, "tcbLevels")) {
        levels.add(platformLevel(l, version));
      }
      TdxModule module = null;
      if (n.hasNonNull("tdxModule")) {
        module = module(n.get("tdxModule"), false);
      }
      Map<String, TdxModule> identities = new LinkedHashMap<>();
      if (n.hasNonNull("tdxModuleIdentities")) {
        for (JsonNode m : Json.array(n, "tdxModuleIdentities")) {
          TdxModule tm = module(m, true);
          identities.put(tm.id(), tm);
        }
      }
      return new TcbInfo(
          id,
          version,
          Json.instant(n, "issueDate"),
          Json.instant(n, "nextUpdate"),
          Json.hex(n, "fmspc", 6),
          Json.hex(n, "pceId", 2),
          Json.intField(n, "tcbEvaluationDataNumber"),
          module,
          identities,
          levels);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("TCB info is not JSON: " + e.getMessage(), e);
    }
  }

  private static TdxModule module(JsonNode m, boolean withLevels) {
    List<TcbLevel> levels = new ArrayList<>();
    if (withLevels) {
      for (JsonNode l : Json.array(m, "tcbLevels")) {
        levels.add(Json.isvLevel(l));
      }
    }
    return new TdxModule(
        m.hasNonNull("id") ? Json.text(m, "id") : "",
        Json.hex(m, "mrsigner", 48),
        Json.hex(m, "attributes", 8),
        Json.hex(m, "attributesMask", 8),
        levels);
  }

  private static TcbLevel platformLevel(JsonNode l, int version) {
    JsonNode tcb = Json.obj(l, "tcb");
    int[] sgx = new int[16];
    int[] tdx = null;
    if (version >= 3) {
      JsonNode comps = Json.array(tcb, "sgxtcbcomponents");
      if (comps.size() != 16) {
        throw new IllegalArgumentException("sgxtcbcomponents must have 16 entries");
      }
      for (int i = 0; i < 16; i++) {
        sgx[i] = Json.intField(comps.get(i), "svn");
      }
      if (tcb.has("tdxtcbcomponents")) {
        JsonNode t = Json.array(tcb, "tdxtcbcomponents");
        if (t.size() != 16) {
          throw new IllegalArgumentException("tdxtcbcomponents must have 16 entries");
        }
        tdx = new int[16];
        for (int i = 0; i < 16; i++) {
          tdx[i] = Json.intField(t.get(i), "svn");
        }
      }
    } else {
      for (int i = 0; i < 16; i++) {
        sgx[i] = Json.intField(tcb, String.format("sgxtcbcomp%02dsvn", i + 1));
      }
    }
    return new TcbLevel(
        sgx,
        Json.intField(tcb, "pcesvn"),
        tdx,
        -1,
        l.hasNonNull("tcbDate") ? Json.text(l, "tcbDate") : "",
        Json.text(l, "tcbStatus"),
        Json.advisories(l));
  }
}
