package io.attest402.verifier.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Parsed QE identity (enclaveIdentity v2). */
public record QeIdentity(String id, int version, Instant issueDate, Instant nextUpdate, int tcbEvaluationDataNumber,
        long miscSelect, long miscSelectMask, byte[] attributes, byte[] attributesMask, byte[] mrSigner,
        int isvProdId, List<TcbLevel> levels) {

    public static QeIdentity parse(String json) {
        try {
            JsonNode n = TcbInfo.MAPPER.readTree(json);
            List<TcbLevel> levels = new ArrayList<>();
            for (JsonNode l : Json.array(n, "tcbLevels")) {
                levels.add(Json.isvLevel(l));
            }
            return new QeIdentity(Json.text(n, "id"), Json.intField(n, "version"), Json.instant(n, "issueDate"),
                    Json.instant(n, "nextUpdate"), Json.intField(n, "tcbEvaluationDataNumber"),
                    Le.u32(reverse(Json.hex(n, "miscselect", 4)), 0), Le.u32(reverse(Json.hex(n, "miscselectMask", 4)), 0),
                    Json.hex(n, "attributes", 16), Json.hex(n, "attributesMask", 16), Json.hex(n, "mrsigner", 32),
                    Json.intField(n, "isvprodid"), levels);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("QE identity is not JSON: " + e.getMessage(), e);
        }
    }

    /** miscselect is written big-endian in the JSON; the report stores it as a little-endian u32. */
    private static byte[] reverse(byte[] b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            r[i] = b[b.length - 1 - i];
        }
        return r;
    }
}
