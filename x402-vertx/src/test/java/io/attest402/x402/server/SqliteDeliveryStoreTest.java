package io.attest402.x402.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delivery store's rules and bounds (unit test of one class, on a real SQLite file). */
class SqliteDeliveryStoreTest {
  static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  static final PaymentRequirements REQ =
      PaymentRequirements.exactEvm(
          "eip155:31337",
          BigInteger.TEN,
          "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          60,
          "USD Coin",
          "2");

  @TempDir Path dir;

  static PaymentPayload payment(String nonce, long validBefore, String signature) {
    ObjectNode p = Wire.newObject();
    p.putObject("authorization")
        .put("from", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")
        .put("to", REQ.payTo())
        .put("value", "10")
        .put("validAfter", "0")
        .put("validBefore", Long.toString(validBefore))
        .put("nonce", nonce);
    p.put("signature", signature);
    return new PaymentPayload(new ResourceInfo("http://r", null, null), REQ, p, null);
  }

  static PaymentKey key(String nonce, String id) {
    return PaymentKey.of(
        payment(nonce, NOW.getEpochSecond() + 60, "0x01"), id, NOW, Duration.ofHours(1));
  }

  static DeliveryStore.StoredResponse response(String body) {
    return new DeliveryStore.StoredResponse(
        200, Map.of("Content-Type", "text/plain"), body.getBytes());
  }

  @Test
  void theAuthorizationIsTheKeyWhateverElseChanges() {
    PaymentKey a = key("0xAA", null);
    // another signature encoding of the same authorization is still the same authorization
    PaymentKey b =
        PaymentKey.of(
            payment("0xaa", NOW.getEpochSecond() + 60, "0x02"), null, NOW, Duration.ofHours(1));
    assertEquals(a.authorization(), b.authorization());
    assertNotEquals(a.payloadHash(), b.payloadHash());
    try (SqliteDeliveryStore s = SqliteDeliveryStore.inMemory()) {
      assertInstanceOf(DeliveryStore.Claim.Claimed.class, s.claim(a, NOW));
      assertInstanceOf(DeliveryStore.Claim.AuthorizationUsed.class, s.claim(b, NOW));
    }
  }

  @Test
  void idsAnswerWithTheStoredResponseOrConflict() {
    try (SqliteDeliveryStore s = SqliteDeliveryStore.open(dir.resolve("d.db"))) {
      PaymentKey k = key("0x01", "pay_0123456789abcdef");
      assertInstanceOf(DeliveryStore.Claim.Claimed.class, s.claim(k, NOW));
      assertInstanceOf(DeliveryStore.Claim.InProgress.class, s.claim(k, NOW));
      s.complete(k, response("summary A"));
      DeliveryStore.Claim.Stored stored =
          assertInstanceOf(DeliveryStore.Claim.Stored.class, s.claim(k, NOW));
      assertArrayEquals("summary A".getBytes(), stored.response().body());
      assertEquals(Map.of("Content-Type", "text/plain"), stored.response().headers());
      // the same id with another authorization, before or after the first is done
      assertInstanceOf(
          DeliveryStore.Claim.IdConflict.class, s.claim(key("0x02", "pay_0123456789abcdef"), NOW));
      // released claims free both the authorization and the id
      PaymentKey r = key("0x03", "pay_released_0000000");
      s.claim(r, NOW);
      s.release(r);
      assertInstanceOf(DeliveryStore.Claim.Claimed.class, s.claim(r, NOW));
      // a completed claim is never released
      s.release(k);
      assertInstanceOf(DeliveryStore.Claim.Stored.class, s.claim(k, NOW));
    }
  }

  @Test
  void boundedInEntriesAndBodyBytesAndPurgedOnlyAfterExpiry() {
    try (SqliteDeliveryStore s = SqliteDeliveryStore.inMemory(2, 4)) {
      PaymentKey big = key("0x01", "pay_big_000000000000");
      s.claim(big, NOW);
      s.complete(big, response("more than four bytes"));
      assertInstanceOf(DeliveryStore.Claim.NotKept.class, s.claim(big, NOW));
      s.claim(key("0x02", null), NOW);
      assertEquals(2, s.size());
      assertInstanceOf(DeliveryStore.Claim.Full.class, s.claim(key("0x03", null), NOW));
      // one hour of retention plus nothing longer (the authorization expires after a minute): then
      // purged
      Instant later = NOW.plus(Duration.ofHours(1)).plusSeconds(1);
      assertInstanceOf(DeliveryStore.Claim.Claimed.class, s.claim(key("0x03", null), later));
      assertEquals(1, s.size());
    }
  }

  @Test
  void anAuthorizationValidLongerIsKeptLonger() {
    PaymentKey k =
        PaymentKey.of(
            payment("0x01", NOW.getEpochSecond() + 86_400, "0x01"), null, NOW, Duration.ofHours(1));
    assertEquals(NOW.plusSeconds(86_400).plus(PaymentKey.EXPIRY_MARGIN), k.expiresAt());
    PaymentKey forever =
        PaymentKey.of(payment("0x01", Long.MAX_VALUE, "0x01"), null, NOW, Duration.ofHours(1));
    assertEquals(
        Instant.ofEpochSecond(1L << 40).plus(PaymentKey.EXPIRY_MARGIN), forever.expiresAt());
  }
}
