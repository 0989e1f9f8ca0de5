package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.TransactionEncoder;

/**
 * The enclave key's signatures with the recovery id taken from the nonce point are byte for byte
 * web3j's (which searches the id by recovering the key): same r, s and v over many keys and
 * digests, both parities of v and both s-lowering cases among them, and the same signed
 * transactions, legacy (EIP-155) and EIP-1559.
 */
class RecoverableSigningTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void digestSignaturesAreWeb3jsByteForByte() throws Exception {
    int[] vs = new int[2];
    for (int i = 0; i < 300; i++) {
      ECKeyPair key = Keys.createEcKeyPair(RANDOM);
      byte[] digest = new byte[32];
      RANDOM.nextBytes(digest);
      Sign.SignatureData ours = RecoverableSigning.signDigest(digest, key);
      Sign.SignatureData web3j = Sign.signMessage(digest, key, false);
      assertArrayEquals(web3j.getR(), ours.getR(), "r");
      assertArrayEquals(web3j.getS(), ours.getS(), "s");
      assertArrayEquals(web3j.getV(), ours.getV(), "v");
      assertEquals(key.getPublicKey(), Sign.signedMessageHashToKey(digest, ours));
      vs[ours.getV()[0] - 27]++;
    }
    // both recovery ids occurred (each has probability 1/2 per signature)
    assertEquals(300, vs[0] + vs[1]);
    org.junit.jupiter.api.Assertions.assertTrue(vs[0] > 0 && vs[1] > 0);
  }

  @Test
  void signedTransactionsAreWeb3jsByteForByte() throws Exception {
    for (int i = 0; i < 40; i++) {
      ECKeyPair key = Keys.createEcKeyPair(RANDOM);
      long chainId = 1 + RANDOM.nextInt(100_000);
      BigInteger nonce = BigInteger.valueOf(RANDOM.nextInt(1000));
      String to = "0x" + Keys.getAddress(Keys.createEcKeyPair(RANDOM));
      String data = "0x" + org.web3j.utils.Numeric.toHexStringNoPrefix(randomBytes(68));
      RawTransaction eip1559 =
          RawTransaction.createTransaction(
              chainId,
              nonce,
              BigInteger.valueOf(90_000),
              to,
              BigInteger.ZERO,
              data,
              BigInteger.valueOf(1_000_000_000L),
              BigInteger.valueOf(30_000_000_000L));
      RawTransaction legacy =
          RawTransaction.createTransaction(
              nonce,
              BigInteger.valueOf(7_000_000_000L),
              BigInteger.valueOf(21_000),
              to,
              BigInteger.ONE,
              data);
      Credentials c = Credentials.create(key);
      assertArrayEquals(
          TransactionEncoder.signMessage(eip1559, chainId, c),
          RecoverableSigning.signTransaction(eip1559, chainId, key));
      assertArrayEquals(
          TransactionEncoder.signMessage(legacy, chainId, c),
          RecoverableSigning.signTransaction(legacy, chainId, key));
    }
  }

  @Test
  void theEnclaveKeySignsThroughIt() {
    InMemoryEnclaveKey key = InMemoryEnclaveKey.generate(RANDOM);
    byte[] digest = randomBytes(32);
    byte[] rsv = key.signDigestRsv(digest);
    Sign.SignatureData sd =
        new Sign.SignatureData(
            rsv[64],
            java.util.Arrays.copyOfRange(rsv, 0, 32),
            java.util.Arrays.copyOfRange(rsv, 32, 64));
    String recovered;
    try {
      recovered = "0x" + Keys.getAddress(Sign.signedMessageHashToKey(digest, sd));
    } catch (java.security.SignatureException e) {
      throw new AssertionError(e);
    }
    assertEquals(key.address().toLowerCase(java.util.Locale.ROOT), recovered);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
