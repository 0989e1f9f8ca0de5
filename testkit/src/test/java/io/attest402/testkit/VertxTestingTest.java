package io.attest402.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VertxTestingTest {
  @Test
  void closeAllSkipsNullsClosesTheRestInOrderAndKeepsGoingPastAFailure() throws Exception {
    List<String> closed = new ArrayList<>();
    Vertx vertx = Vertx.vertx();
    HttpServer server = VertxTesting.listen(vertx, r -> r.response().end());
    int port = server.actualPort();
    IOException first = new IOException("first");
    IllegalStateException second = new IllegalStateException("second");
    Exception thrown =
        assertThrows(
            IOException.class,
            () ->
                VertxTesting.closeAll(
                    null,
                    (AutoCloseable)
                        () -> {
                          closed.add("a");
                          throw first;
                        },
                    server,
                    null,
                    (AutoCloseable)
                        () -> {
                          closed.add("b");
                          throw second;
                        },
                    vertx,
                    (AutoCloseable) () -> closed.add("c")));
    assertSame(first, thrown);
    assertEquals(List.of(second), List.of(thrown.getSuppressed()));
    assertEquals(List.of("a", "b", "c"), closed);
    assertFalse(listening(port), "the server was closed");
    // a closed Vert.x refuses new work
    assertThrows(Exception.class, () -> VertxTesting.await(vertx.createHttpServer().listen(0)));
  }

  @Test
  void closeAllRefusesAPartItCannotCloseBeforeClosingAnything() {
    List<String> closed = new ArrayList<>();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> VertxTesting.closeAll((AutoCloseable) () -> closed.add("a"), "not a part"));
    assertTrue(e.getMessage().contains("java.lang.String"), e.getMessage());
    assertEquals(List.of(), closed);
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
