package io.attest402.x402.server;

import io.vertx.core.buffer.Buffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a paid route produced: held back until settlement succeeds, then sent with {@code
 * PAYMENT-RESPONSE}. A status of 400 or more is sent as is and nothing is settled (the payer is not
 * charged for failures).
 */
public record PaidResponse(int status, Map<String, String> headers, Buffer body) {
  public PaidResponse {
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  public static PaidResponse of(int status, String contentType, Buffer body) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", contentType);
    return new PaidResponse(status, h, body);
  }

  public static PaidResponse json(String json) {
    return of(200, "application/json", Buffer.buffer(json));
  }

  public static PaidResponse text(String text) {
    return of(200, "text/plain; charset=utf-8", Buffer.buffer(text));
  }

  /**
   * The official internal header through which a route sets what an {@code upto} payment is
   * actually charged ({@code {"amount": "<base units>"}}); the handler removes it before the
   * response goes out.
   */
  public static final String SETTLEMENT_OVERRIDES = "Settlement-Overrides";

  /**
   * This response charging {@code amount} base units of an {@code upto} payment (at most its
   * maximum; the handler refuses more and charges nothing then).
   */
  public PaidResponse charging(java.math.BigInteger amount) {
    if (amount.signum() < 0) {
      throw new IllegalArgumentException("negative charge " + amount);
    }
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.keySet().removeIf(k -> k.equalsIgnoreCase(SETTLEMENT_OVERRIDES));
    h.put(SETTLEMENT_OVERRIDES, "{\"amount\":\"" + amount + "\"}");
    return new PaidResponse(status, h, body);
  }
}
