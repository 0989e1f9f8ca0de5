package io.attest402.enclave.tee;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
  @Test
  void writesOwnerOnlyReplacesAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("sub").resolve("sealed-key.bin");
    Secrets.writeAtomically(f, new byte[] {1, 2, 3});
    Secrets.writeAtomically(f, new byte[] {4, 5});
    assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(f));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    try (var s = Files.list(f.getParent())) {
      assertEquals(1, s.count(), "only the file itself");
    }
    Secrets.syncDirectory(
        f.getParent()); // a directory can be synced here (POSIX): the write path relies on it
  }
}
