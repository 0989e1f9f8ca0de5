package io.attest402.x402.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequired;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Function;

/**
 * The x402 HTTP headers: standard base64 (RFC 4648 alphabet {@code +/}, with {@code =} padding) of
 * the UTF-8 bytes of the JSON, exactly as the official SDK's {@code
 * safeBase64Encode(JSON.stringify(x))}. Decoding is strict and every failure is a {@link
 * HeaderFormatException} naming the header, the stage and the problem; headers longer than {@link
 * #maxHeaderLength()} characters are refused before any work is done.
 */
public final class HeaderCodec {
  public static final String PAYMENT_REQUIRED = "PAYMENT-REQUIRED";
  public static final String PAYMENT_SIGNATURE = "PAYMENT-SIGNATURE";
  public static final String PAYMENT_RESPONSE = "PAYMENT-RESPONSE";

  /** v1 request header (read for compatibility). */
  public static final String X_PAYMENT = "X-PAYMENT";

  /** v1 response header (read for compatibility). */
  public static final String X_PAYMENT_RESPONSE = "X-PAYMENT-RESPONSE";

  /**
   * 32 KiB of base64 (24 KiB of JSON): far above any exact payment, including ERC-6492 wrapped
   * signatures.
   */
  public static final int DEFAULT_MAX_HEADER_LENGTH = 32 * 1024;

  public static final HeaderCodec DEFAULT = new HeaderCodec(DEFAULT_MAX_HEADER_LENGTH);

  private final int maxHeaderLength;

  public HeaderCodec(int maxHeaderLength) {
    if (maxHeaderLength <= 0) {
      throw new IllegalArgumentException("maxHeaderLength must be positive");
    }
    this.maxHeaderLength = maxHeaderLength;
  }

  public int maxHeaderLength() {
    return maxHeaderLength;
  }

  // ---------------------------------------------------------------- encoding

  public String encodePaymentRequired(PaymentRequired pr) {
    return encodeJson(pr.toJson());
  }

  public String encodePaymentSignature(PaymentPayload payload) {
    return encodeJson(payload.toJson());
  }

  /**
   * Encodes a settlement for buyers: {@code extensionResponses} is dropped, as the official server
   * does.
   */
  public String encodePaymentResponse(SettleResponse response) {
    return encodeJson(response.forBuyer().toJson());
  }

  /** base64(UTF-8(JSON.stringify(json))). */
  public static String encodeJson(JsonNode json) {
    return Base64.getEncoder()
        .encodeToString(JsStringify.stringify(json).getBytes(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- decoding

  public PaymentRequired decodePaymentRequired(String header) {
    return decode(PAYMENT_REQUIRED, header, PaymentRequired::fromJson);
  }

  /** Decodes {@code PAYMENT-SIGNATURE} (or v1 {@code X-PAYMENT}: same encoding). */
  public PaymentPayload decodePaymentSignature(String header) {
    return decode(PAYMENT_SIGNATURE, header, PaymentPayload::fromJson);
  }

  public PaymentPayload decodePaymentSignature(String headerName, String header) {
    return decode(headerName, header, PaymentPayload::fromJson);
  }

  public SettleResponse decodePaymentResponse(String header) {
    return decode(PAYMENT_RESPONSE, header, SettleResponse::fromJson);
  }

  public SettleResponse decodePaymentResponse(String headerName, String header) {
    return decode(headerName, header, SettleResponse::fromJson);
  }

  /** Decodes base64 JSON to a tree (strictly), for callers with their own types. */
  public JsonNode decodeJson(String headerName, String header) {
    return parseJson(headerName, utf8(headerName, base64(headerName, header)));
  }

  private <T> T decode(String name, String header, Function<JsonNode, T> reader) {
    JsonNode json = decodeJson(name, header);
    try {
      return reader.apply(json);
    } catch (X402FormatException e) {
      throw new HeaderFormatException(
          name, HeaderFormatException.Problem.INVALID_CONTENT, e.path(), e.problem(), e);
    }
  }

  private byte[] base64(String name, String header) {
    if (header == null || header.isEmpty()) {
      throw new HeaderFormatException(
          name, HeaderFormatException.Problem.EMPTY, "", "is empty", null);
    }
    if (header.length() > maxHeaderLength) {
      throw new HeaderFormatException(
          name,
          HeaderFormatException.Problem.TOO_LARGE,
          "",
          "is " + header.length() + " characters long, over the limit of " + maxHeaderLength,
          null);
    }
    int len = header.length();
    int pad = 0;
    for (int i = 0; i < len; i++) {
      char c = header.charAt(i);
      boolean alphabet =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '+'
              || c == '/';
      if (c == '=') {
        if (i < len - 2) {
          throw notBase64(name, "has '=' padding at position " + i + " before the end");
        }
        pad++;
      } else if (!alphabet) {
        String shown = c < 0x20 || c > 0x7e ? String.format("U+%04X", (int) c) : "'" + c + "'";
        String hint =
            c == '-' || c == '_' ? " (base64url is not accepted: x402 uses standard base64)" : "";
        throw notBase64(
            name, "has " + shown + " at position " + i + ", which is not standard base64" + hint);
      } else if (pad > 0) {
        throw notBase64(name, "has data after '=' padding at position " + i);
      }
    }
    if (len % 4 != 0) {
      throw notBase64(
          name, "has length " + len + ", not a multiple of 4 (standard base64 is padded with '=')");
    }
    try {
      return Base64.getDecoder().decode(header);
    } catch (IllegalArgumentException e) {
      throw new HeaderFormatException(
          name,
          HeaderFormatException.Problem.NOT_BASE64,
          "",
          "is not valid base64: " + e.getMessage(),
          e);
    }
  }

  private static HeaderFormatException notBase64(String name, String what) {
    return new HeaderFormatException(
        name, HeaderFormatException.Problem.NOT_BASE64, "", what, null);
  }

  private static String utf8(String name, byte[] bytes) {
    CharsetDecoder dec =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      CharBuffer out = dec.decode(in);
      return out.toString();
    } catch (CharacterCodingException e) {
      throw new HeaderFormatException(
          name,
          HeaderFormatException.Problem.NOT_UTF8,
          "",
          "does not decode to UTF-8 text (bad byte sequence at offset " + in.position() + ")",
          e);
    }
  }

  private static JsonNode parseJson(String name, String text) {
    JsonNode json;
    try {
      json = Wire.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null ? "" : " at character " + e.getLocation().getCharOffset();
      throw new HeaderFormatException(
          name,
          HeaderFormatException.Problem.NOT_JSON,
          "",
          "is not valid JSON" + where + ": " + e.getOriginalMessage(),
          e);
    }
    if (json == null || json.isMissingNode()) {
      throw new HeaderFormatException(
          name, HeaderFormatException.Problem.NOT_JSON, "", "holds no JSON", null);
    }
    if (!(json instanceof ObjectNode)) {
      throw new HeaderFormatException(
          name,
          HeaderFormatException.Problem.INVALID_CONTENT,
          "",
          "must hold a JSON object, not " + Wire.describe(json),
          null);
    }
    return json;
  }
}
