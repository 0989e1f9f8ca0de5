package io.attest402.verifier.simulation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.PckExtension;
import io.attest402.verifier.internal.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
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
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The attest402 simulation CA: a P-256 root whose CN starts with {@code "attest402 SIMULATED"}, a
 * PCK platform CA, a PCK leaf certificate with the real SGX extension, a TCB signing certificate,
 * and the simulated QE's attestation key. Serialisable with {@link #toJson()} / {@link
 * #fromJson(String)} so a facilitator can keep it in its data directory and reuse it across
 * restarts. Immutable. Never trusted unless a policy pins its root's fingerprint.
 */
public final class SimulationCa {
  public static final String ROOT_CN = "attest402 SIMULATED SGX Root CA";

  /** Platform TCB the simulated PCK certificate claims. */
  static final int[] COMP_SVNS = {7, 7, 2, 2, 3, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};

  static final int PCE_SVN = 13;
  static final byte[] PCE_ID = {0, 0};
  static final byte[] FMSPC = Hex.decode("a7f402000000");

  private final KeyPair rootKey;
  private final X509Certificate root;
  private final KeyPair pckCaKey;
  private final X509Certificate pckCa;
  private final KeyPair pckKey;
  private final X509Certificate pck;
  private final KeyPair tcbKey;
  private final X509Certificate tcbSigning;
  private final KeyPair attestationKey;

  private SimulationCa(
      KeyPair rootKey,
      X509Certificate root,
      KeyPair pckCaKey,
      X509Certificate pckCa,
      KeyPair pckKey,
      X509Certificate pck,
      KeyPair tcbKey,
      X509Certificate tcbSigning,
      KeyPair attestationKey) {
    this.rootKey = rootKey;
    this.root = root;
    this.pckCaKey = pckCaKey;
    this.pckCa = pckCa;
    this.pckKey = pckKey;
    this.pck = pck;
    this.tcbKey = tcbKey;
    this.tcbSigning = tcbSigning;
    this.attestationKey = attestationKey;
  }

  /**
   * A fresh simulation CA whose certificates are valid from a day before {@code now} for 20 years.
   */
  public static SimulationCa generate(Instant now) {
    try {
      SecureRandom rnd = new SecureRandom();
      Instant from = now.minus(Duration.ofDays(1));
      Instant to = now.plus(Duration.ofDays(365L * 20));
      KeyPair rootKey = newKey();
      X500Name rootName = name(ROOT_CN);
      X509Certificate root =
          cert(
              rootName,
              rootName,
              rootKey.getPublic(),
              rootKey.getPrivate(),
              from,
              to,
              true,
              null,
              rnd);
      KeyPair pckCaKey = newKey();
      X500Name pckCaName = name("attest402 SIMULATED SGX PCK Platform CA");
      X509Certificate pckCa =
          cert(
              pckCaName,
              rootName,
              pckCaKey.getPublic(),
              rootKey.getPrivate(),
              from,
              to,
              true,
              null,
              rnd);
      KeyPair pckKey = newKey();
      X509Certificate pck =
          cert(
              name("attest402 SIMULATED SGX PCK Certificate"),
              pckCaName,
              pckKey.getPublic(),
              pckCaKey.getPrivate(),
              from,
              to,
              false,
              sgxExtension(rnd),
              rnd);
      KeyPair tcbKey = newKey();
      X509Certificate tcb =
          cert(
              name("attest402 SIMULATED SGX TCB Signing"),
              rootName,
              tcbKey.getPublic(),
              rootKey.getPrivate(),
              from,
              to,
              false,
              null,
              rnd);
      return new SimulationCa(rootKey, root, pckCaKey, pckCa, pckKey, pck, tcbKey, tcb, newKey());
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot generate the simulation CA", e);
    }
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=attest402 simulation,C=XX");
  }

  static KeyPair newKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate cert(
      X500Name subject,
      X500Name issuer,
      PublicKey key,
      PrivateKey signer,
      Instant from,
      Instant to,
      boolean ca,
      DERSequence sgxExt,
      SecureRandom rnd)
      throws OperatorCreationException, GeneralSecurityException, IOException {
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            new BigInteger(64, rnd).add(BigInteger.ONE),
            Date.from(from),
            Date.from(to),
            subject,
            key);
    if (ca) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
    }
    if (sgxExt != null) {
      b.addExtension(new ASN1ObjectIdentifier(PckExtension.OID), false, sgxExt);
    }
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }

  private static DERSequence sgxExtension(SecureRandom rnd) {
    String o = PckExtension.OID;
    byte[] ppid = new byte[16];
    rnd.nextBytes(ppid);
    ASN1EncodableVector tcb = new ASN1EncodableVector();
    for (int i = 0; i < 16; i++) {
      tcb.add(kv(o + ".2." + (i + 1), new ASN1Integer(COMP_SVNS[i])));
    }
    tcb.add(kv(o + ".2.17", new ASN1Integer(PCE_SVN)));
    byte[] cpuSvn = new byte[16];
    for (int i = 0; i < 16; i++) {
      cpuSvn[i] = (byte) COMP_SVNS[i];
    }
    tcb.add(kv(o + ".2.18", new DEROctetString(cpuSvn)));
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(kv(o + ".1", new DEROctetString(ppid)));
    v.add(kv(o + ".2", new DERSequence(tcb)));
    v.add(kv(o + ".3", new DEROctetString(PCE_ID)));
    v.add(kv(o + ".4", new DEROctetString(FMSPC)));
    v.add(kv(o + ".5", new ASN1Enumerated(0)));
    return new DERSequence(v);
  }

  private static DERSequence kv(String oid, org.bouncycastle.asn1.ASN1Encodable value) {
    return new DERSequence(
        new org.bouncycastle.asn1.ASN1Encodable[] {new ASN1ObjectIdentifier(oid), value});
  }

  /**
   * The self-signed simulation root (trust it only to test, or pinned by {@link
   * #rootFingerprintSha256()}).
   */
  public X509Certificate root() {
    return root;
  }

  /**
   * SHA-256 of the root certificate's DER, lowercase hex: what a policy pins to trust this
   * simulation CA.
   */
  public String rootFingerprintSha256() {
    try {
      return Hex.encode(
          java.security.MessageDigest.getInstance("SHA-256").digest(root.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** PCK leaf, PCK CA, root. */
  public List<X509Certificate> pckChain() {
    return List.of(pck, pckCa, root);
  }

  /** TCB signing certificate, root. */
  public List<X509Certificate> tcbSigningChain() {
    return List.of(tcbSigning, root);
  }

  KeyPair rootKey() {
    return rootKey;
  }

  KeyPair pckCaKey() {
    return pckCaKey;
  }

  KeyPair pckKey() {
    return pckKey;
  }

  KeyPair tcbKey() {
    return tcbKey;
  }

  KeyPair attestationKey() {
    return attestationKey;
  }

  X509Certificate pckCa() {
    return pckCa;
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Certificates as PEM and private keys as base64 PKCS#8; keep the result private (it signs
   * quotes).
   */
  public String toJson() {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("format", "attest402-simulation-ca-v1");
    o.put("root", Pem.encode(List.of(root)));
    o.put("rootKey", key(rootKey));
    o.put("pckCa", Pem.encode(List.of(pckCa)));
    o.put("pckCaKey", key(pckCaKey));
    o.put("pck", Pem.encode(List.of(pck)));
    o.put("pckKey", key(pckKey));
    o.put("tcbSigning", Pem.encode(List.of(tcbSigning)));
    o.put("tcbSigningKey", key(tcbKey));
    o.put("attestationKey", key(attestationKey));
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String key(KeyPair k) {
    return Base64.getEncoder().encodeToString(k.getPrivate().getEncoded());
  }

  /** Restores a CA written by {@link #toJson()}; IllegalArgumentException if it is not one. */
  public static SimulationCa fromJson(String json) {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (!"attest402-simulation-ca-v1".equals(n.path("format").asText())) {
        throw new IllegalArgumentException("not an attest402 simulation CA file");
      }
      X509Certificate root = one(n, "root");
      X509Certificate pckCa = one(n, "pckCa");
      X509Certificate pck = one(n, "pck");
      X509Certificate tcb = one(n, "tcbSigning");
      SimulationCa ca =
          new SimulationCa(
              pair(n, "rootKey", root.getPublicKey()),
              root,
              pair(n, "pckCaKey", pckCa.getPublicKey()),
              pckCa,
              pair(n, "pckKey", pck.getPublicKey()),
              pck,
              pair(n, "tcbSigningKey", tcb.getPublicKey()),
              tcb,
              pair(n, "attestationKey", null));
      pck.verify(pckCa.getPublicKey());
      pckCa.verify(root.getPublicKey());
      tcb.verify(root.getPublicKey());
      if (!io.attest402.verifier.internal.Names.cn(root)
          .startsWith(io.attest402.verifier.QuoteVerifier.SIMULATION_ROOT_CN_PREFIX)) {
        throw new IllegalArgumentException(
            "simulation root CN must start with 'attest402 SIMULATED'");
      }
      return ca;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("invalid simulation CA: " + e.getMessage(), e);
    }
  }

  private static X509Certificate one(JsonNode n, String f) throws GeneralSecurityException {
    return Pem.parseChain(n.path(f).asText().getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .get(0);
  }

  private static KeyPair pair(JsonNode n, String f, PublicKey pub) throws GeneralSecurityException {
    PrivateKey priv =
        KeyFactory.getInstance("EC")
            .generatePrivate(
                new PKCS8EncodedKeySpec(Base64.getDecoder().decode(n.path(f).asText())));
    if (pub == null) {
      pub = publicFromPrivate((java.security.interfaces.ECPrivateKey) priv);
    }
    return new KeyPair(pub, priv);
  }

  /** Derives the public point Q = d*G with BouncyCastle's curve arithmetic. */
  private static PublicKey publicFromPrivate(java.security.interfaces.ECPrivateKey priv)
      throws GeneralSecurityException {
    org.bouncycastle.asn1.x9.X9ECParameters x9 =
        org.bouncycastle.asn1.sec.SECNamedCurves.getByName("secp256r1");
    org.bouncycastle.math.ec.ECPoint q = x9.getG().multiply(priv.getS()).normalize();
    java.security.spec.ECPoint w =
        new java.security.spec.ECPoint(
            q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
    return KeyFactory.getInstance("EC")
        .generatePublic(new java.security.spec.ECPublicKeySpec(w, priv.getParams()));
  }
}
