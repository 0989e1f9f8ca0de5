package io.attest402.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import io.attest402.verifier.Collateral;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * When collateral stops being usable: the earliest nextUpdate of its TCB info, QE identity and
 * CRLs.
 */
public final class CollateralValidity {
  private CollateralValidity() {}

  /** A named piece and its nextUpdate. */
  public record Piece(String name, Instant nextUpdate) {}

  /** Each piece's nextUpdate (pieces that cannot be read are reported with {@link Instant#MIN}). */
  public static List<Piece> pieces(Collateral c) {
    List<Piece> out = new ArrayList<>();
    out.add(new Piece("tcbInfo", jsonNextUpdate(c.tcbInfo())));
    out.add(new Piece("qeIdentity", jsonNextUpdate(c.qeIdentity())));
    if (c.pckCrl().length > 0) {
      out.add(new Piece("pckCrl", crlNextUpdate(c.pckCrl())));
    }
    if (c.rootCaCrl().length > 0) {
      out.add(new Piece("rootCaCrl", crlNextUpdate(c.rootCaCrl())));
    }
    return out;
  }

  /** The earliest nextUpdate of all pieces. */
  public static Instant nextUpdate(Collateral c) {
    return pieces(c).stream().map(Piece::nextUpdate).min(Instant::compareTo).orElse(Instant.MIN);
  }

  /** The pieces already past their nextUpdate at {@code now}, as "name (nextUpdate T)" text. */
  public static List<String> stale(Collateral c, Instant now) {
    return pieces(c).stream()
        .filter(p -> now.isAfter(p.nextUpdate()))
        .map(
            p ->
                p.name()
                    + (p.nextUpdate().equals(Instant.MIN)
                        ? " (unreadable)"
                        : " (nextUpdate " + p.nextUpdate() + ")"))
        .toList();
  }

  private static Instant jsonNextUpdate(String json) {
    try {
      JsonNode n = AttestationDocument.MAPPER.readTree(json);
      return Instant.parse(n.path("nextUpdate").asText());
    } catch (Exception e) {
      return Instant.MIN;
    }
  }

  private static Instant crlNextUpdate(byte[] der) {
    try {
      X509CRL crl =
          (X509CRL)
              CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
      return crl.getNextUpdate() == null ? Instant.MIN : crl.getNextUpdate().toInstant();
    } catch (Exception e) {
      return Instant.MIN;
    }
  }
}
