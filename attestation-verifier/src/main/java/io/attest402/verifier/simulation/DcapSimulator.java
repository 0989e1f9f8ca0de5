package io.attest402.verifier.simulation;

import io.attest402.verifier.Collateral;
import io.attest402.verifier.QuoteHeader;
import io.attest402.verifier.SgxReportBody;
import io.attest402.verifier.TdReportBody;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.internal.Ecdsa;
import io.attest402.verifier.internal.Hex;
import io.attest402.verifier.internal.Le;
import io.attest402.verifier.internal.Pem;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Produces DCAP quotes in the exact Intel format (SGX v3, TDX v4) signed through a {@link
 * SimulationCa}, and the matching collateral, so that simulated attestation runs the verifier's one
 * real path. Only the trust anchor differs: the verifier accepts these quotes only when the policy
 * allows simulated quotes. Thread-safe.
 */
public final class DcapSimulator {
  /** MRSIGNER of the simulated quoting enclaves. */
  static final byte[] QE_MRSIGNER =
      Hex.decode("a7f4020000000000000000000000000000000000000000000000000053494d51");

  static final int QE_ISVSVN = 8;
  static final int SGX_QE_PRODID = 1;
  static final int TD_QE_PRODID = 2;

  /** Validity of generated collateral (TCB info, QE identity, CRLs). */
  public static final Duration COLLATERAL_VALIDITY = Duration.ofDays(30);

  private final SimulationCa ca;

  public DcapSimulator(SimulationCa ca) {
    this.ca = Objects.requireNonNull(ca, "ca");
  }

  public SimulationCa ca() {
    return ca;
  }

  /** An SGX v3 quote over {@code body} (build one with {@link SgxReportBody#builder()}). */
  public byte[] sgxQuote(SgxReportBody body) {
    return quote(3, TeeType.SGX, body.encoded());
  }

  /**
   * A TDX v4 quote over a TD report 1.0 {@code body} (build one with {@link
   * TdReportBody#builder()}).
   */
  public byte[] tdxQuote(TdReportBody body) {
    if (body.isV15()) {
      throw new IllegalArgumentException(
          "the simulator produces v4 quotes with TD report 1.0 bodies");
    }
    return quote(4, TeeType.TDX, body.encoded());
  }

  private byte[] quote(int version, TeeType tee, byte[] body) {
    try {
      byte[] header = new byte[QuoteHeader.SIZE];
      Le.put16(header, 0, version);
      Le.put16(header, 2, 2);
      Le.put32(header, 4, version == 3 ? 0 : tee.code());
      Le.put16(header, 8, QE_ISVSVN);
      Le.put16(header, 10, SimulationCa.PCE_SVN);
      System.arraycopy(QuoteHeader.INTEL_QE_VENDOR_ID, 0, header, 12, 16);
      byte[] signed = concat(header, body);
      byte[] ak = Ecdsa.rawPublicKey(ca.attestationKey().getPublic());
      byte[] sig = Ecdsa.sign(ca.attestationKey().getPrivate(), signed);
      byte[] auth = new byte[32];
      for (int i = 0; i < 32; i++) {
        auth[i] = (byte) i;
      }
      byte[] qeRd = new byte[64];
      System.arraycopy(
          MessageDigest.getInstance("SHA-256").digest(concat(ak, auth)), 0, qeRd, 0, 32);
      SgxReportBody qeReport =
          SgxReportBody.builder()
              .cpuSvn(cpuSvn())
              .attributeFlags(SgxReportBody.FLAG_INIT | SgxReportBody.FLAG_PROVISIONKEY)
              .xfrm(0xe7)
              .mrEnclave(
                  MessageDigest.getInstance("SHA-256")
                      .digest(
                          ("attest402 simulated " + tee + " QE")
                              .getBytes(StandardCharsets.US_ASCII)))
              .mrSigner(QE_MRSIGNER)
              .isvProdId(tee == TeeType.SGX ? SGX_QE_PRODID : TD_QE_PRODID)
              .isvSvn(QE_ISVSVN)
              .reportData(qeRd)
              .build();
      byte[] qeBytes = qeReport.encoded();
      byte[] qeSig = Ecdsa.sign(ca.pckKey().getPrivate(), qeBytes);
      byte[] pem = (Pem.encode(ca.pckChain()) + "\0").getBytes(StandardCharsets.US_ASCII);
      ByteArrayOutputStream qe = new ByteArrayOutputStream();
      qe.write(qeBytes);
      qe.write(qeSig);
      qe.write(u16(auth.length));
      qe.write(auth);
      qe.write(u16(5));
      qe.write(u32(pem.length));
      qe.write(pem);
      ByteArrayOutputStream sd = new ByteArrayOutputStream();
      sd.write(sig);
      sd.write(ak);
      if (version == 3) {
        sd.write(qe.toByteArray());
      } else {
        sd.write(u16(6));
        sd.write(u32(qe.size()));
        sd.write(qe.toByteArray());
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(signed);
      out.write(u32(sd.size()));
      out.write(sd.toByteArray());
      return out.toByteArray();
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot produce a simulated quote", e);
    }
  }

  private static byte[] cpuSvn() {
    byte[] c = new byte[16];
    for (int i = 0; i < 16; i++) {
      c[i] = (byte) SimulationCa.COMP_SVNS[i];
    }
    return c;
  }

  /**
   * Collateral for quotes of {@code tee}, valid from {@code now} (truncated to seconds) for {@link
   * #COLLATERAL_VALIDITY}: signed TCB info and QE identity, root and PCK CRLs, issuer chains.
   */
  public Collateral collateral(TeeType tee, Instant now) {
    Instant issue = now.truncatedTo(ChronoUnit.SECONDS);
    Instant next = issue.plus(COLLATERAL_VALIDITY);
    boolean tdx = tee == TeeType.TDX;
    StringBuilder levels = new StringBuilder("[{\"tcb\":{\"sgxtcbcomponents\":[");
    for (int i = 0; i < 16; i++) {
      levels
          .append(i > 0 ? "," : "")
          .append("{\"svn\":")
          .append(SimulationCa.COMP_SVNS[i])
          .append('}');
    }
    levels.append("],\"pcesvn\":").append(SimulationCa.PCE_SVN);
    if (tdx) {
      levels.append(",\"tdxtcbcomponents\":[");
      for (int i = 0; i < 16; i++) {
        levels.append(i > 0 ? "," : "").append("{\"svn\":0}");
      }
      levels.append(']');
    }
    levels.append("},\"tcbDate\":\"").append(issue).append("\",\"tcbStatus\":\"UpToDate\"}]");
    String zeros48 = "0".repeat(96);
    String tcbInfo =
        "{\"id\":\""
            + (tdx ? "TDX" : "SGX")
            + "\",\"version\":3,\"issueDate\":\""
            + issue
            + "\",\"nextUpdate\":\""
            + next
            + "\",\"fmspc\":\""
            + Hex.encode(SimulationCa.FMSPC).toUpperCase()
            + "\",\"pceId\":\""
            + Hex.encode(SimulationCa.PCE_ID)
            + "\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
            + (tdx
                ? "\"tdxModule\":{\"mrsigner\":\""
                    + zeros48
                    + "\",\"attributes\":\"0000000000000000\","
                    + "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
                : "")
            + "\"tcbLevels\":"
            + levels
            + "}";
    String qeIdentity =
        "{\"id\":\""
            + (tdx ? "TD_QE" : "QE")
            + "\",\"version\":2,\"issueDate\":\""
            + issue
            + "\",\"nextUpdate\":\""
            + next
            + "\",\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\","
            + "\"miscselectMask\":\"FFFFFFFF\",\"attributes\":\"11000000000000000000000000000000\","
            + "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\""
            + Hex.encode(QE_MRSIGNER).toUpperCase()
            + "\",\"isvprodid\":"
            + (tdx ? TD_QE_PRODID : SGX_QE_PRODID)
            + ",\"tcbLevels\":[{\"tcb\":{\"isvsvn\":"
            + QE_ISVSVN
            + "},\"tcbDate\":\""
            + issue
            + "\",\"tcbStatus\":\"UpToDate\"}]}";
    try {
      PrivateKey tcbKey = ca.tcbKey().getPrivate();
      String tcbChain = Pem.encode(ca.tcbSigningChain());
      return Collateral.builder()
          .pckCrlIssuerChain(Pem.encode(List.of(ca.pckCa(), ca.root())))
          .rootCaCrl(crl(ca.root(), ca.rootKey().getPrivate(), issue, next))
          .pckCrl(crl(ca.pckCa(), ca.pckCaKey().getPrivate(), issue, next))
          .tcbInfoIssuerChain(tcbChain)
          .tcbInfo(tcbInfo)
          .tcbInfoSignature(Ecdsa.sign(tcbKey, tcbInfo.getBytes(StandardCharsets.UTF_8)))
          .qeIdentityIssuerChain(tcbChain)
          .qeIdentity(qeIdentity)
          .qeIdentitySignature(Ecdsa.sign(tcbKey, qeIdentity.getBytes(StandardCharsets.UTF_8)))
          .build();
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IllegalStateException("cannot produce simulated collateral", e);
    }
  }

  /** An empty CRL, optionally revoking {@code revoked}. */
  static byte[] crl(
      X509Certificate issuer,
      PrivateKey key,
      Instant thisUpdate,
      Instant nextUpdate,
      BigInteger... revoked)
      throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            Date.from(thisUpdate));
    b.setNextUpdate(Date.from(nextUpdate));
    for (BigInteger serial : revoked) {
      b.addCRLEntry(serial, Date.from(thisUpdate), 0);
    }
    X509CRL crl =
        new JcaX509CRLConverter()
            .getCRL(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    return crl.getEncoded();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] u16(int v) {
    byte[] b = new byte[2];
    Le.put16(b, 0, v);
    return b;
  }

  private static byte[] u32(long v) {
    byte[] b = new byte[4];
    Le.put32(b, 0, v);
    return b;
  }
}
