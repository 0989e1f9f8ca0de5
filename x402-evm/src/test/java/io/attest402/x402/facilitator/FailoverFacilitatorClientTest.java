package io.attest402.x402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.SettleResponse;
import io.attest402.x402.types.SupportedResponse;
import io.attest402.x402.types.VerifyResponse;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of the routing rules with scripted facilitators (the chain cases are in {@link
 * FailoverChainTest}).
 */
class FailoverFacilitatorClientTest {
  static final PaymentRequirements REQ =
      new PaymentRequirements(
          "exact",
          "eip155:31337",
          BigInteger.ONE,
          "0x0000000000000000000000000000000000000001",
          "0x0000000000000000000000000000000000000002",
          60,
          null,
          Map.of());

  /** Answers verify with a fixed response and counts calls. */
  static final class Scripted implements FacilitatorClient {
    final VerifyResponse answer;
    final AtomicInteger verifies = new AtomicInteger();

    Scripted(VerifyResponse answer) {
      this.answer = answer;
    }

    @Override
    public CompletableFuture<VerifyResponse> verify(PaymentPayload p, PaymentRequirements r) {
      verifies.incrementAndGet();
      return CompletableFuture.completedFuture(answer);
    }

    @Override
    public CompletableFuture<SettleResponse> settle(PaymentPayload p, PaymentRequirements r) {
      return CompletableFuture.completedFuture(SettleResponse.success("0xaa", r.network(), null));
    }

    @Override
    public CompletableFuture<SupportedResponse> supported() {
      return CompletableFuture.failedFuture(new UnsupportedOperationException());
    }
  }

  static PaymentPayload payment(ObjectNode extensions) {
    return new PaymentPayload(
        new ResourceInfo("http://r/x", "", ""), REQ, Wire.newObject(), extensions);
  }

  static FailoverFacilitatorClient pool(Scripted a, Scripted b) {
    FailoverFacilitatorClient.HealthCheck up =
        () -> CompletableFuture.completedFuture(FailoverFacilitatorClient.Health.up());
    FailoverFacilitatorClient f =
        FailoverFacilitatorClient.builder().add("http://a", a, up).add("http://b", b, up).build();
    f.checkAll().join();
    return f;
  }

  @Test
  void aFacilitatorSideRefusalMovesOnAndAPayerFaultDoesNot() {
    Scripted a = new Scripted(VerifyResponse.invalid("unexpected_verify_error", null));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    try (FailoverFacilitatorClient f = pool(a, b)) {
      assertTrue(f.verify(payment(null), REQ).join().isValid());
      assertEquals(1, b.verifies.get());
    }
    Scripted fault = new Scripted(VerifyResponse.invalid("invalid_exact_evm_signature", null));
    Scripted other = new Scripted(VerifyResponse.valid("0xpayer"));
    try (FailoverFacilitatorClient f = pool(fault, other)) {
      assertEquals(
          "invalid_exact_evm_signature", f.verify(payment(null), REQ).join().invalidReason());
      assertEquals(0, other.verifies.get(), "a payer fault is the answer");
    }
  }

  @Test
  void aPayerDemandingAFacilitatorGetsOnlyThatOne() {
    Scripted a = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    ObjectNode ext = Wire.newObject();
    ext.putObject(FailoverFacilitatorClient.DEMAND_EXTENSION)
        .putObject("info")
        .putArray("urls")
        .add("http://b/");
    try (FailoverFacilitatorClient f = pool(a, b)) {
      assertTrue(f.verify(payment(ext), REQ).join().isValid());
      assertEquals(0, a.verifies.get(), "the first one is not the payer's choice");
      assertEquals(1, b.verifies.get());
    }
  }

  @Test
  void aDemandForAnUnlistedFacilitatorIsRefusedBeforeAnyoneIsAsked() {
    Scripted a = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    ObjectNode ext = Wire.newObject();
    ext.putObject(FailoverFacilitatorClient.DEMAND_EXTENSION)
        .putObject("info")
        .putArray("urls")
        .add("http://elsewhere");
    try (FailoverFacilitatorClient f = pool(a, b)) {
      VerifyResponse v = f.verify(payment(ext), REQ).join();
      assertFalse(v.isValid());
      assertEquals(FailoverFacilitatorClient.DEMANDED_NOT_AVAILABLE, v.invalidReason());
      assertEquals(0, a.verifies.get() + b.verifies.get());
      SettleResponse s = f.settle(payment(ext), REQ, "k").join();
      assertFalse(s.success());
    }
  }

  @Test
  void unhealthyFacilitatorsComeLast() {
    Scripted a = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    try (FailoverFacilitatorClient f =
        FailoverFacilitatorClient.builder()
            .add(
                "http://a",
                a,
                () ->
                    CompletableFuture.completedFuture(
                        FailoverFacilitatorClient.Health.down("halted")))
            .add(
                "http://b",
                b,
                () -> CompletableFuture.completedFuture(FailoverFacilitatorClient.Health.up()))
            .build()) {
      f.checkAll().join();
      assertTrue(f.verify(payment(null), REQ).join().isValid());
      assertEquals(0, a.verifies.get());
      assertEquals(1, b.verifies.get());
      assertEquals(List.of(false, true), f.status().stream().map(s -> s.healthy()).toList());
    }
  }

  @Test
  void aFacilitatorWhoseIdentityDoesNotCheckOutIsDownWithTheReason() {
    Scripted a = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted c = new Scripted(VerifyResponse.valid("0xpayer"));
    List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
    FailoverFacilitatorClient.HealthCheck up =
        () -> CompletableFuture.completedFuture(FailoverFacilitatorClient.Health.up());
    try (FailoverFacilitatorClient f =
        FailoverFacilitatorClient.builder()
            .add("http://a", a, up)
            .add("http://b", b, up)
            .add(
                "http://c",
                c,
                () ->
                    CompletableFuture.completedFuture(
                        FailoverFacilitatorClient.Health.down("/health answered 503")))
            .identityCheck(
                name -> {
                  asked.add(name);
                  return CompletableFuture.completedFuture(
                      name.equals("http://a")
                          ? FailoverFacilitatorClient.Health.down("agent #3 is owned by 0xother")
                          : FailoverFacilitatorClient.Health.up());
                })
            .build()) {
      f.checkAll().join();
      assertTrue(f.verify(payment(null), REQ).join().isValid());
      assertEquals(0, a.verifies.get(), "the impostor is not asked while another is healthy");
      assertEquals(1, b.verifies.get());
      var status = f.status();
      assertFalse(status.get(0).healthy());
      assertEquals("identity: agent #3 is owned by 0xother", status.get(0).reason());
      assertTrue(status.get(1).healthy());
      assertEquals("/health answered 503", status.get(2).reason(), "its own check decides first");
      assertFalse(asked.contains("http://c"), "no identity check for a facilitator that is down");
    }
  }

  @Test
  void thePayerSideDemandIsWhatTheServerSideReads() {
    Scripted a = new Scripted(VerifyResponse.valid("0xpayer"));
    Scripted b = new Scripted(VerifyResponse.valid("0xpayer"));
    ObjectNode declared = Wire.newObject();
    declared.putObject("other").put("kept", true);
    ObjectNode ext = FailoverFacilitatorClient.withDemand(declared, List.of("http://B/"));
    assertFalse(declared.has(FailoverFacilitatorClient.DEMAND_EXTENSION), "a copy");
    assertTrue(ext.path("other").path("kept").asBoolean());
    assertEquals(java.util.Set.of("http://b"), FailoverFacilitatorClient.demanded(payment(ext)));
    try (FailoverFacilitatorClient f = pool(a, b)) {
      assertTrue(f.verify(payment(ext), REQ).join().isValid());
      assertEquals(List.of(0, 1), List.of(a.verifies.get(), b.verifies.get()));
    }
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> FailoverFacilitatorClient.withDemand(null, List.of("file:///etc/passwd")));
  }
}
