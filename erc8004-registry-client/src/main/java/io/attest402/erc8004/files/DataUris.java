package io.attest402.erc8004.files;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** RFC 2397 {@code data:} URIs, as ERC-8004 uses them for fully on-chain files. */
public final class DataUris {
  private DataUris() {}

  public static final String JSON_PREFIX = "data:application/json;base64,";

  /** {@code data:application/json;base64,<payload>}. */
  public static String json(byte[] utf8Json) {
    return JSON_PREFIX + Base64.getEncoder().encodeToString(utf8Json);
  }

  /**
   * The payload of a data: URI (base64 or percent-encoded), rejecting anything whose decoded size
   * exceeds {@code maxBytes}.
   */
  public static byte[] decode(String uri, int maxBytes) {
    if (uri == null || !uri.regionMatches(true, 0, "data:", 0, 5)) {
      throw new IllegalArgumentException("not a data: URI");
    }
    int comma = uri.indexOf(',');
    if (comma < 0) {
      throw new IllegalArgumentException("data: URI without ','");
    }
    String meta = uri.substring(5, comma);
    String payload = uri.substring(comma + 1);
    boolean base64 = false;
    for (String part : meta.split(";")) {
      if (part.trim().equalsIgnoreCase("base64")) {
        base64 = true;
      }
    }
    if (base64) {
      // Size check before decoding: 4 base64 characters carry 3 bytes.
      if ((long) payload.length() / 4 * 3 > (long) maxBytes + 3) {
        throw new IllegalArgumentException("data: URI payload larger than " + maxBytes + " bytes");
      }
      byte[] out;
      try {
        out = Base64.getMimeDecoder().decode(payload.replace('-', '+').replace('_', '/'));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "data: URI base64 payload is malformed: " + e.getMessage(), e);
      }
      if (out.length > maxBytes) {
        throw new IllegalArgumentException("data: URI payload larger than " + maxBytes + " bytes");
      }
      return out;
    }
    if (payload.length() > maxBytes * 3L) {
      throw new IllegalArgumentException("data: URI payload larger than " + maxBytes + " bytes");
    }
    byte[] out =
        URLDecoder.decode(payload.replace("+", "%2B"), StandardCharsets.UTF_8)
            .getBytes(StandardCharsets.UTF_8);
    if (out.length > maxBytes) {
      throw new IllegalArgumentException("data: URI payload larger than " + maxBytes + " bytes");
    }
    return out;
  }
}
