package io.attest402.facilitator.key;

import io.attest402.enclave.EnclaveKey;
import io.attest402.enclave.InMemoryEnclaveKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

/**
 * The facilitator key as a plain file in the data directory ({@code facilitator-key.hex}, mode 0600), for running
 * without a TEE. Anyone who can read the file can spend the account's gas and forge receipts: a TEE backend that seals
 * the key replaces this by providing the {@link EnclaveKey} instead (the facilitator takes nothing else).
 */
public final class DataDirKeyStore {
  public static final String FILE = "facilitator-key.hex";

  private DataDirKeyStore() {}

  /** Loads the key from {@code dataDir}, generating and writing a new one on first use. */
  public static EnclaveKey loadOrCreate(Path dataDir, SecureRandom random) {
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        byte[] k = newScalar(random);
        try {
          writePrivate(file, Numeric.toHexString(k) + "\n");
        } catch (FileAlreadyExistsException raced) {
          // another process created it first: use theirs
        } finally {
          Arrays.fill(k, (byte) 0);
        }
      }
      String hex = Files.readString(file, StandardCharsets.US_ASCII).trim();
      byte[] k = Numeric.hexStringToByteArray(hex);
      try {
        return InMemoryEnclaveKey.fromPrivateKey(k);
      } finally {
        Arrays.fill(k, (byte) 0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load or create the facilitator key in " + dataDir + ": "
          + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("corrupt facilitator key file " + file + ": " + e.getMessage(), e);
    }
  }

  private static byte[] newScalar(SecureRandom random) {
    BigInteger n = Sign.CURVE_PARAMS.getN();
    byte[] k = new byte[32];
    while (true) {
      random.nextBytes(k);
      BigInteger v = new BigInteger(1, k);
      if (v.signum() > 0 && v.compareTo(n) < 0) {
        return k;
      }
    }
  }

  private static void writePrivate(Path file, String content) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file);
    }
    Files.writeString(file, content, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.SYNC);
  }
}
