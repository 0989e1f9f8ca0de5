package io.attest402.verifier.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Strict PEM certificate-chain parsing: blocks separated by line breaks only, canonical base64, and
 * nothing but NUL bytes or line breaks after the last block. Strictness matters: the PCK chain in a
 * quote is not covered by any signature as text, so every byte of it must change the parsed result
 * or be rejected.
 */
public final class Pem {
  private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String END = "-----END CERTIFICATE-----";

  private Pem() {}

  /** The DER encodings of the certificates, in order. */
  public static List<byte[]> decodeChain(byte[] pem) {
    String text = new String(pem, StandardCharsets.ISO_8859_1);
    int limit = text.length();
    while (limit > 0 && text.charAt(limit - 1) == '\0') {
      limit--;
    }
    List<byte[]> out = new ArrayList<>();
    int pos = skipBreaks(text, 0, limit);
    while (pos < limit) {
      if (!text.startsWith(BEGIN, pos)) {
        throw new IllegalArgumentException("expected " + BEGIN + " at character " + pos);
      }
      pos = lineBreak(text, pos + BEGIN.length(), limit);
      StringBuilder b64 = new StringBuilder();
      while (true) {
        if (text.startsWith(END, pos)) {
          pos += END.length();
          break;
        }
        int eol = pos;
        while (eol < limit && isBase64(text.charAt(eol))) {
          eol++;
        }
        if (eol == pos) {
          throw new IllegalArgumentException("invalid character in PEM body at " + pos);
        }
        b64.append(text, pos, eol);
        pos = lineBreak(text, eol, limit);
      }
      String s = b64.toString();
      byte[] der;
      try {
        der = Base64.getDecoder().decode(s);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid base64 in PEM block", e);
      }
      if (!Base64.getEncoder().encodeToString(der).equals(s)) {
        throw new IllegalArgumentException("non-canonical base64 in PEM block");
      }
      out.add(der);
      if (pos < limit) {
        pos = lineBreak(text, pos, limit);
        pos = skipBreaks(text, pos, limit);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no certificate in PEM chain");
    }
    return out;
  }

  private static int skipBreaks(String t, int pos, int limit) {
    while (pos < limit && (t.charAt(pos) == '\n' || t.charAt(pos) == '\r')) {
      pos++;
    }
    return pos;
  }

  private static int lineBreak(String t, int pos, int limit) {
    if (pos < limit && t.charAt(pos) == '\n') {
      return pos + 1;
    }
    if (pos + 1 < limit && t.charAt(pos) == '\r' && t.charAt(pos + 1) == '\n') {
      return pos + 2;
    }
    throw new IllegalArgumentException("expected a line break at character " + pos);
  }

  private static boolean isBase64(char c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '+'
        || c == '/'
        || c == '=';
  }

  public static List<X509Certificate> parseChain(byte[] pem) throws CertificateException {
    List<X509Certificate> out = new ArrayList<>();
    for (byte[] der : decodeChain(pem)) {
      out.add(parseDer(der));
    }
    return out;
  }

  public static X509Certificate parseDer(byte[] der) throws CertificateException {
    // Reject encodings the JDK would accept but that are not the canonical DER of what they mean: a
    // non-zero
    // unused-bits count on the signature BIT STRING, or any non-DER element, in parts no signature
    // covers.
    try {
      org.bouncycastle.asn1.x509.Certificate bc =
          org.bouncycastle.asn1.x509.Certificate.getInstance(
              org.bouncycastle.asn1.ASN1Primitive.fromByteArray(der));
      if (bc.getSignature().getPadBits() != 0
          || !java.util.Arrays.equals(bc.getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER), der)) {
        throw new CertificateException("certificate is not canonical DER");
      }
      byte[] sig = bc.getSignature().getOctets();
      if (!java.util.Arrays.equals(
          org.bouncycastle.asn1.ASN1Primitive.fromByteArray(sig)
              .getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER),
          sig)) {
        throw new CertificateException("certificate signature value is not canonical DER");
      }
    } catch (java.io.IOException | RuntimeException e) {
      throw new CertificateException("certificate is not valid DER: " + e.getMessage(), e);
    }
    X509Certificate c =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    byte[] enc = c.getEncoded();
    if (!java.util.Arrays.equals(enc, der)) {
      throw new CertificateException("certificate encoding is not canonical DER");
    }
    return c;
  }

  public static String encode(List<X509Certificate> chain) {
    StringBuilder sb = new StringBuilder();
    for (X509Certificate c : chain) {
      try {
        sb.append(encode(c.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return sb.toString();
  }

  public static String encode(byte[] der) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder sb = new StringBuilder(BEGIN).append('\n');
    for (int i = 0; i < b64.length(); i += 64) {
      sb.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    return sb.append(END).append('\n').toString();
  }
}
