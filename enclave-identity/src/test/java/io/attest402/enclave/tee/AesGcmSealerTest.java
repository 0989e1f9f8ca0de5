package io.attest402.enclave.tee;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AesGcmSealerTest {
  static final SecureRandom RNG = new SecureRandom();
  static final byte[] ROOT = Emulated.fill(16, 0x40);
  static final byte[] SECRET =
      "thirty-two bytes of private key!".getBytes(StandardCharsets.US_ASCII);

  @Test
  void roundTripWithFreshNonces() throws Exception {
    AesGcmSealer s = new AesGcmSealer(ROOT, "d", RNG);
    byte[] a = s.seal("enclave-key", SECRET);
    byte[] b = s.seal("enclave-key", SECRET);
    assertEquals(AesGcmSealer.HEADER_BYTES + SECRET.length + 16, a.length);
    assertFalse(
        Arrays.equals(Arrays.copyOfRange(a, 5, 17), Arrays.copyOfRange(b, 5, 17)), "fresh nonce");
    assertArrayEquals(SECRET, s.unseal("enclave-key", a));
    assertArrayEquals(
        SECRET,
        new AesGcmSealer(ROOT.clone(), "d", RNG).unseal("enclave-key", b),
        "same sealing key after a restart opens it");
    assertFalse(new String(a, StandardCharsets.ISO_8859_1).contains("thirty-two"));
  }

  @Test
  void otherSealingKeyPurposeOrDomainCannotOpen() throws Exception {
    byte[] blob = new AesGcmSealer(ROOT, "d", RNG).seal("enclave-key", SECRET);
    byte[] otherRoot = ROOT.clone();
    otherRoot[0] ^= 1;
    TeeException e =
        assertThrows(
            TeeException.class,
            () -> new AesGcmSealer(otherRoot, "d", RNG).unseal("enclave-key", blob));
    assertTrue(e.getMessage().contains("another enclave identity"), e.getMessage());
    assertThrows(
        TeeException.class, () -> new AesGcmSealer(ROOT, "d", RNG).unseal("journal", blob));
    assertThrows(
        TeeException.class, () -> new AesGcmSealer(ROOT, "e", RNG).unseal("enclave-key", blob));
  }

  @Test
  void everyTamperedByteAndTruncationIsRejected() throws Exception {
    AesGcmSealer s = new AesGcmSealer(ROOT, "d", RNG);
    byte[] blob = s.seal("enclave-key", SECRET);
    for (int i = 0; i < blob.length; i++) {
      byte[] t = blob.clone();
      t[i] ^= 0x01;
      assertThrows(TeeException.class, () -> s.unseal("enclave-key", t), "flip at " + i);
    }
    assertThrows(
        TeeException.class, () -> s.unseal("enclave-key", Arrays.copyOf(blob, blob.length - 1)));
    assertThrows(TeeException.class, () -> s.unseal("enclave-key", Arrays.copyOf(blob, 20)));
    byte[] extended = Arrays.copyOf(blob, blob.length + 1);
    assertThrows(TeeException.class, () -> s.unseal("enclave-key", extended));
  }

  @Test
  void rejectsWeakRootsAndOddPurposes() {
    assertThrows(IllegalArgumentException.class, () -> new AesGcmSealer(new byte[8], "d", RNG));
    AesGcmSealer s = new AesGcmSealer(ROOT, "d", RNG);
    assertThrows(IllegalArgumentException.class, () -> s.seal("Enclave Key", SECRET));
    assertThrows(IllegalArgumentException.class, () -> s.seal("", SECRET));
  }
}
