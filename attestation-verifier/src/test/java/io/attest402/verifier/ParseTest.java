package io.attest402.verifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.verifier.QuoteVerificationException.Kind;
import io.attest402.verifier.internal.Hex;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ParseTest {
  static byte[] parseOnly(String name) {
    return Vectors.read(Vectors.dir().resolve("parse_only").resolve(name));
  }

  static byte[] hexFile(String name) {
    return Hex.decode(new String(parseOnly(name), StandardCharsets.US_ASCII).strip());
  }

  @Test
  void sgxV3FieldsAtTheirOffsets() throws Exception {
    Quote q = Quote.parse(Vectors.byId("oasis_sgx_v3_nocrl").quote());
    assertEquals(3, q.version());
    assertEquals(TeeType.SGX, q.teeType());
    SgxReportBody b = q.sgxBody();
    assertTrue(Hex.encode(b.mrEnclave()).startsWith("68823bc6"));
    assertTrue(Hex.encode(b.mrSigner()).startsWith("9affcfae"));
    assertEquals(5, q.certificationDataType());
    assertEquals(1052, q.certificationDataOffset());
    assertEquals(0, q.trailingBytes());
    assertEquals(432, q.signedRegion().length);
    assertEquals(32, q.qeAuthData().length);
  }

  @Test
  void tdxV4AndV5Bodies() throws Exception {
    Quote v4 = Quote.parse(Vectors.byId("dcapqvl_tdx_v4").quote());
    assertEquals(Quote.BODY_TD10, v4.bodyType());
    assertEquals(4936, v4.length());
    assertEquals(70, v4.trailingBytes());
    assertEquals(632, v4.signedRegion().length);
    assertEquals(1258, v4.certificationDataOffset());
    Quote v5 = Quote.parse(Vectors.byId("dcapqvl_tdx_v5_no_tcb_level").quote());
    assertEquals(5, v5.version());
    assertEquals(Quote.BODY_TD15, v5.bodyType());
    assertEquals(702, v5.signedRegion().length);
    assertTrue(v5.tdBody().isV15());
    assertEquals(48, v5.tdBody().mrServiceTd().length);
    Quote cos = Quote.parse(parseOnly("cos-113-tdx-quote.dat"));
    assertEquals(3065, cos.trailingBytes());
    assertEquals(TeeType.TDX, Quote.parse(parseOnly("tdx_quote_5.dat")).teeType());
  }

  @Test
  void hexFilesParse() throws Exception {
    Quote a = Quote.parse(hexFile("tdx-quote.hex"));
    Quote b = Quote.parse(hexFile("quote-from-tappd.hex"));
    assertEquals(TeeType.TDX, a.teeType());
    assertEquals(TeeType.TDX, b.teeType());
    assertArrayEquals(
        a.encoded(),
        io.attest402.verifier.cli.QuoteVerifyCommandAccess.decode(parseOnly("tdx-quote.hex")));
  }

  @Test
  void certificationType3IsUnsupportedWithOffsetAndField() {
    QuoteVerificationException e =
        assertThrows(
            QuoteVerificationException.class,
            () -> Quote.parse(parseOnly("quote_v3_ecdsa_p256_eppid.bin")));
    assertEquals(Kind.UNSUPPORTED_QUOTE, e.kind());
    assertEquals("certification_data_type", e.field());
    assertEquals(1046, e.offset().getAsInt());
    assertTrue(e.getMessage().contains("unsupported certification data type 3"), e.getMessage());
  }

  @Test
  void truncationNamesTheField() {
    byte[] q = Vectors.byId("dcapqvl_sgx_v3").quote();
    QuoteVerificationException e =
        assertThrows(
            QuoteVerificationException.class, () -> Quote.parse(java.util.Arrays.copyOf(q, 40)));
    assertEquals(Kind.MALFORMED_QUOTE, e.kind());
    assertEquals("header", e.field());
    assertEquals(0, e.offset().getAsInt());
    e =
        assertThrows(
            QuoteVerificationException.class, () -> Quote.parse(java.util.Arrays.copyOf(q, 1000)));
    assertEquals("signature_data_len", e.field());
    assertEquals(432, e.offset().getAsInt());
  }

  @Test
  void nonZeroTrailingBytesAreRejected() {
    byte[] q = Vectors.byId("dcapqvl_tdx_v4").quote();
    q[5000] = 1;
    QuoteVerificationException e =
        assertThrows(QuoteVerificationException.class, () -> Quote.parse(q));
    assertEquals("trailing_padding", e.field());
    assertEquals(5000, e.offset().getAsInt());
  }
}
