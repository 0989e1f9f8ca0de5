package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.junit.jupiter.api.Test;

class KeyBindingTest {
  @Test
  void reportDataIsDomainHashOfTheKeyThenTheNonce() {
    InMemoryEnclaveKey k = InMemoryEnclaveKey.generate(new SecureRandom());
    byte[] pub = k.publicKey();
    SHA256Digest d = new SHA256Digest();
    byte[] domain = "attest402-facilitator-v1".getBytes(StandardCharsets.US_ASCII);
    d.update(domain, 0, domain.length);
    d.update(pub, 0, pub.length);
    byte[] h = new byte[32];
    d.doFinal(h, 0);
    byte[] nonce = new byte[32];
    Arrays.fill(nonce, (byte) 0xab);
    byte[] rd = KeyBinding.reportData(pub, nonce);
    assertArrayEquals(h, Arrays.copyOf(rd, 32));
    assertArrayEquals(nonce, Arrays.copyOfRange(rd, 32, 64));
    assertArrayEquals(new byte[32], Arrays.copyOfRange(KeyBinding.reportData(pub, null), 32, 64));
    assertEquals(k.address(), KeyBinding.address(pub));
  }

  @Test
  void fixedVector() {
    // secp256k1 generator point G as the "public key": pins the exact byte layout of the binding
    byte[] g =
        HexFormat.of()
            .parseHex(
                "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                    + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8");
    SHA256Digest d = new SHA256Digest();
    byte[] in = new byte[24 + 65];
    System.arraycopy("attest402-facilitator-v1".getBytes(StandardCharsets.US_ASCII), 0, in, 0, 24);
    System.arraycopy(g, 0, in, 24, 65);
    d.update(in, 0, in.length);
    byte[] h = new byte[32];
    d.doFinal(h, 0);
    assertArrayEquals(h, KeyBinding.keyHash(g));
    assertEquals(
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", KeyBinding.address(g)); // address of key 1
  }

  @Test
  void nonceParsing() {
    String hex = "00".repeat(31) + "ff";
    assertEquals(0xff, KeyBinding.parseNonce(hex)[31] & 0xff);
    assertArrayEquals(KeyBinding.parseNonce(hex), KeyBinding.parseNonce("0x" + hex.toUpperCase()));
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.parseNonce("abcd"));
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.parseNonce("zz".repeat(32)));
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.parseNonce(null));
    assertThrows(IllegalArgumentException.class, () -> KeyBinding.reportData(new byte[64], null));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            KeyBinding.reportData(
                InMemoryEnclaveKey.generate(new SecureRandom()).publicKey(), new byte[31]));
  }
}
