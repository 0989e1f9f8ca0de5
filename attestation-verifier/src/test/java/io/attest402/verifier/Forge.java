package io.attest402.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.verifier.internal.Ecdsa;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.Pem;
import io.attest402.verifier.simulation.DcapSimulator;
import io.attest402.verifier.simulation.SimulationCa;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Forged DCAP material for attack tests: a test simulation CA (whose private keys tests read from
 * its JSON form), certificates and CRLs minted with any key, quotes whose QE report is re-signed,
 * collateral re-signed.
 */
final class Forge {
  static final Instant NOW = Instant.parse("2026-01-15T12:00:00Z");
  static final SecureRandom RND = new SecureRandom();

  final SimulationCa ca;
  final DcapSimulator sim;
  final PrivateKey rootKey;
  final PrivateKey pckCaKey;
  final PrivateKey pckKey;
  final PrivateKey tcbKey;
  final X509Certificate root;
  final X509Certificate pckCa;
  final X509Certificate pck;
  final X509Certificate tcbSigner;

  Forge() {
    this(SimulationCa.generate(NOW));
  }

  Forge(SimulationCa ca) {
    try {
      this.ca = ca;
      this.sim = new DcapSimulator(ca);
      JsonNode n = new ObjectMapper().readTree(ca.toJson());
      rootKey = key(n, "rootKey");
      pckCaKey = key(n, "pckCaKey");
      pckKey = key(n, "pckKey");
      tcbKey = key(n, "tcbSigningKey");
      root = cert(n, "root");
      pckCa = cert(n, "pckCa");
      pck = cert(n, "pck");
      tcbSigner = cert(n, "tcbSigning");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static PrivateKey key(JsonNode n, String f) throws Exception {
    return KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(n.get(f).asText())));
  }

  private static X509Certificate cert(JsonNode n, String f) throws Exception {
    return Pem.parseChain(n.get(f).asText().getBytes(StandardCharsets.US_ASCII)).get(0);
  }

  /** The policy that trusts this CA's root and pins no measurement. */
  VerificationPolicy policy() {
    return VerificationPolicy.builder()
        .trustSimulationRoot(ca.rootFingerprintSha256())
        .allowAnyMeasurement(true)
        .build();
  }

  static KeyPair newKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=attest402 simulation,C=XX");
  }

  static X500Name subject(X509Certificate c) {
    return X500Name.getInstance(c.getSubjectX500Principal().getEncoded());
  }

  /**
   * A certificate for {@code key} named {@code subject}, issued as {@code issuer} and signed by
   * {@code signer}.
   */
  static X509Certificate mint(
      X500Name subject,
      X500Name issuer,
      PublicKey key,
      PrivateKey signer,
      boolean ca,
      X509Certificate copySgxExtensionFrom) {
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              new BigInteger(64, RND).add(BigInteger.ONE),
              Date.from(NOW.minus(Duration.ofDays(1))),
              Date.from(NOW.plus(Duration.ofDays(3650))),
              subject,
              key);
      if (ca) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      }
      if (copySgxExtensionFrom != null) {
        byte[] ext = copySgxExtensionFrom.getExtensionValue(PckExtension.OID);
        ASN1Primitive value =
            ASN1Primitive.fromByteArray(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
        b.addExtension(new ASN1ObjectIdentifier(PckExtension.OID), false, value);
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A CRL named as issued by {@code issuer}, signed by {@code key}, revoking {@code revoked}. */
  static byte[] crl(X500Name issuer, PrivateKey key, BigInteger... revoked) {
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(NOW.minus(Duration.ofHours(1))));
      b.setNextUpdate(Date.from(NOW.plus(Duration.ofDays(30))));
      for (BigInteger s : revoked) {
        b.addCRLEntry(s, Date.from(NOW.minus(Duration.ofHours(1))), 0);
      }
      return new JcaX509CRLConverter()
          .getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)))
          .getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(X509Certificate... certs) {
    return Pem.encode(List.of(certs));
  }

  static SgxReportBody body() {
    return SgxReportBody.builder()
        .mrEnclave(SimulatorTest.fill(32, 1))
        .mrSigner(SimulatorTest.fill(32, 2))
        .isvProdId(7)
        .isvSvn(3)
        .attributeFlags(SgxReportBody.FLAG_INIT | SgxReportBody.FLAG_MODE64BIT)
        .xfrm(3)
        .reportData(SimulatorTest.fill(64, 9))
        .build();
  }

  byte[] sgxQuote() {
    return sim.sgxQuote(body());
  }

  Collateral collateral() {
    return sim.collateral(TeeType.SGX, NOW);
  }

  /** {@code quote} with its QE report replaced by {@code report} and signed by {@code key}. */
  static byte[] withQeReport(byte[] quote, byte[] report, PrivateKey key) {
    try {
      Quote q = Quote.parse(quote);
      byte[] oldReport = q.qeReport().encoded();
      int at = indexOf(quote, oldReport);
      byte[] out = quote.clone();
      System.arraycopy(report, 0, out, at, report.length);
      byte[] sig = Ecdsa.sign(key, report);
      System.arraycopy(sig, 0, out, at + report.length, 64);
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code quote} with its QE report signed by {@code key} instead of the PCK key. */
  static byte[] resignQeReport(byte[] quote, PrivateKey key) {
    try {
      return withQeReport(quote, Quote.parse(quote).qeReport().encoded(), key);
    } catch (QuoteVerificationException e) {
      throw new IllegalStateException(e);
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("not found");
  }

  /** {@code c} with a different QE identity text, signed by {@code key}. */
  static Collateral withQeIdentity(Collateral c, String json, PrivateKey key) throws Exception {
    return c.toBuilder()
        .qeIdentity(json)
        .qeIdentitySignature(Ecdsa.sign(key, json.getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  /** {@code c} with a different TCB info text, signed by {@code key}. */
  static Collateral withTcbInfo(Collateral c, String json, PrivateKey key) throws Exception {
    return c.toBuilder()
        .tcbInfo(json)
        .tcbInfoSignature(Ecdsa.sign(key, json.getBytes(StandardCharsets.UTF_8)))
        .build();
  }
}
