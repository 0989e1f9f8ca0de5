package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.tee.Emulated;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.enclave.tee.TeeException;
import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.VerificationPolicy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several signers in one enclave: all sealed, all bound by the quote in order, all checked. */
class SignersBindingTest {
  static final Instant AT = Emulated.NOW.plusSeconds(60);
  static final Clock CLOCK = Clock.fixed(Emulated.NOW, ZoneOffset.UTC);
  static final SecureRandom RNG = new SecureRandom();
  static EnclaveIdentity four;
  static VerificationPolicy sim;

  @TempDir static Path data;

  @BeforeAll
  static void open() throws Exception {
    Path d = data.resolve("four");
    four =
        Emulated.withCollateral(
            EnclaveIdentity.open(
                SimulatedBackend.open(d, TeeType.SGX, CLOCK, RNG), d, 4, RNG, CLOCK),
            Emulated.NOW);
    sim =
        VerificationPolicy.builder()
            .allowAnyMeasurement(true)
            .trustSimulationRoot(((SimulatedBackend) four.backend()).simulationRootFingerprint())
            .build();
  }

  @Test
  void reportDataBindsTheOrderedKeysAsDocumented() throws Exception {
    List<EnclaveKey> keys = four.signers();
    assertEquals(4, keys.size());
    assertEquals(four.address(), keys.get(0).address());
    assertEquals(4, keys.stream().map(EnclaveKey::address).distinct().count());
    // the documented encoding, recomputed here by hand
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    d.update("attest402-facilitator-signers-v1".getBytes(StandardCharsets.US_ASCII));
    d.update(ByteBuffer.allocate(4).putInt(4).array());
    keys.forEach(k -> d.update(k.publicKey()));
    byte[] expected = Arrays.copyOf(d.digest(), 64);
    assertArrayEquals(expected, Quote.parse(four.startupQuote()).reportData());
    assertTrue(four.selfCheck().ok(), four.selfCheck().summary());
    // one signer keeps the single-key binding byte for byte
    assertArrayEquals(
        KeyBinding.keyHash(keys.get(0).publicKey()),
        KeyBinding.signersHash(List.of(keys.get(0).publicKey())));
  }

  @Test
  void documentListsEverySignerAndPasses() {
    AttestationDocument doc = AttestationDocument.fromJson(four.startupDocument().toJson());
    assertEquals(4, doc.signers().size());
    assertEquals(KeyBinding.SIGNERS_DESCRIPTION, doc.binding());
    AttestationChecker.Result r = AttestationChecker.check(doc, null, AT, sim, null);
    assertTrue(r.ok(), r.summary());
    assertEquals(four.signers().stream().map(EnclaveKey::address).toList(), r.signers());
    byte[] nonce = new byte[32];
    nonce[5] = 9;
    assertTrue(AttestationChecker.check(four.document(nonce), null, AT, sim, nonce).ok());
    AttestationChecker.Result fresh = null;
    try {
      fresh = AttestationChecker.check(four.freshQuoteDocument(nonce), null, AT, sim, nonce);
    } catch (TeeException e) {
      throw new AssertionError(e);
    }
    assertTrue(fresh.ok(), fresh.summary());
  }

  @Test
  void aDocumentWhoseSignerListDiffersFromTheQuoteIsRefused() throws Exception {
    AttestationDocument doc = four.startupDocument();
    AttestationDocument other =
        EnclaveIdentity.open(
                quietBackend(data.resolve("other")), data.resolve("other"), 2, RNG, CLOCK)
            .startupDocument();
    JsonNode stranger = AttestationDocument.MAPPER.valueToTree(other.signers().get(1));
    assertRefused(
        doc,
        s -> {
          JsonNode a = s.get(1);
          s.set(1, s.get(2));
          s.set(2, a);
        },
        "does not bind");
    assertRefused(doc, s -> s.remove(3), "does not bind");
    assertRefused(doc, s -> s.add(stranger), "does not bind");
    assertRefused(doc, s -> s.set(2, stranger), "does not bind");
    assertRefused(doc, s -> s.set(1, s.get(2)), "listed twice");
    assertRefused(
        doc,
        s -> {
          JsonNode a = s.get(0);
          s.set(0, s.get(1));
          s.set(1, a);
        },
        "identity key");
    assertRefused(
        doc, s -> ((ObjectNode) s.get(1)).put("address", four.address()), "does not derive");
    assertRefused(doc, s -> s.removeAll(), "0 signers");
    // dropping the list altogether reads as the single identity key, which the quote does not bind
    ObjectNode n = AttestationDocument.MAPPER.valueToTree(doc);
    n.remove("signers");
    AttestationChecker.Result r =
        AttestationChecker.check(AttestationDocument.fromJson(n.toString()), null, AT, sim, null);
    assertFalse(r.ok());
    assertTrue(r.summary().contains("does not bind the served public key"), r.summary());
  }

  private static io.attest402.enclave.tee.TeeBackend quietBackend(Path dir) {
    try {
      return SimulatedBackend.open(dir, TeeType.SGX, CLOCK, RNG);
    } catch (TeeException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertRefused(
      AttestationDocument doc, Consumer<ArrayNode> edit, String reason) {
    ObjectNode n = AttestationDocument.MAPPER.valueToTree(doc);
    edit.accept((ArrayNode) n.get("signers"));
    AttestationChecker.Result r =
        AttestationChecker.check(AttestationDocument.fromJson(n.toString()), null, AT, sim, null);
    assertFalse(r.ok(), "accepted an edited signer list: " + n.get("signers"));
    assertTrue(r.summary().contains(reason), r.summary());
  }

  @Test
  void restartKeepsTheKeysAndAnotherCountIsRefused() throws Exception {
    Path d = data.resolve("restart");
    SimulatedBackend b = SimulatedBackend.open(d, TeeType.SGX, CLOCK, RNG);
    EnclaveIdentity first = EnclaveIdentity.open(b, d, 3, RNG, CLOCK);
    assertTrue(Files.exists(d.resolve(EnclaveIdentity.SEALED_SIGNERS_FILE)));
    EnclaveIdentity again = EnclaveIdentity.open(b, d, 3, RNG, CLOCK);
    assertFalse(again.newKey());
    assertEquals(
        first.signers().stream().map(EnclaveKey::address).toList(),
        again.signers().stream().map(EnclaveKey::address).toList());
    for (int n : new int[] {1, 2, 4}) {
      TeeException e =
          assertThrows(TeeException.class, () -> EnclaveIdentity.open(b, d, n, RNG, CLOCK));
      assertTrue(
          e.getMessage().contains("holds 3 sealed signer key(s) and --signers is " + n),
          e.getMessage());
      assertTrue(e.getMessage().contains("--signers 3"), e.getMessage());
    }
    // a one-signer directory refuses more signers too, and keeps its key
    Path one = data.resolve("one");
    SimulatedBackend b1 = SimulatedBackend.open(one, TeeType.SGX, CLOCK, RNG);
    String address = EnclaveIdentity.open(b1, one, RNG, CLOCK).address();
    TeeException e =
        assertThrows(TeeException.class, () -> EnclaveIdentity.open(b1, one, 2, RNG, CLOCK));
    assertTrue(e.getMessage().contains("holds 1 sealed signer key(s)"), e.getMessage());
    assertEquals(address, EnclaveIdentity.open(b1, one, 1, RNG, CLOCK).address());
    assertNotEquals(address, first.address());
    assertEquals(HexFormat.of().formatHex(first.publicKey()), again.startupDocument().publicKey());
  }
}
