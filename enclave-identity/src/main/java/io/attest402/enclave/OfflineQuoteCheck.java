package io.attest402.enclave;

import io.attest402.verifier.Quote;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;

/**
 * The part of DCAP verification that needs no collateral, for a hardware self-check when no TCB
 * info / QE identity is at hand: the quote signature by the attestation key, the QE report binding
 * that key, the QE report signature by the PCK certificate, and the PCK chain (from the quote's
 * certification data) up to a trust anchor, all certificates valid at the given time. Not covered
 * (needs collateral): TCB level and status, QE identity, revocation.
 */
final class OfflineQuoteCheck {
  private OfflineQuoteCheck() {}

  /** Problems found; empty when every offline check passed. */
  static List<String> check(Quote q, Instant at, List<X509Certificate> anchors) {
    List<String> problems = new ArrayList<>();
    try {
      PublicKey ak = p256(q.attestationKey());
      if (!verifyRaw(ak, q.signedRegion(), q.signature())) {
        problems.add("quote signature does not verify with the quote's attestation key");
      }
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(q.attestationKey());
      d.update(q.qeAuthData());
      byte[] qeRd = q.qeReport().reportData();
      if (!Arrays.equals(Arrays.copyOf(qeRd, 32), d.digest())
          || !Arrays.equals(Arrays.copyOfRange(qeRd, 32, 64), new byte[32])) {
        problems.add("QE report data does not bind the attestation key");
      }
      List<X509Certificate> chain = pckChain(q.certificationData());
      if (chain.size() < 2) {
        problems.add("PCK certificate chain in the quote has " + chain.size() + " certificate(s)");
        return problems;
      }
      X509Certificate leaf = chain.get(0);
      if (!verifyRaw(leaf.getPublicKey(), q.qeReport().encoded(), q.qeReportSignature())) {
        problems.add("QE report signature does not verify with the PCK certificate");
      }
      Date when = Date.from(at);
      for (int i = 0; i < chain.size(); i++) {
        X509Certificate c = chain.get(i);
        X509Certificate issuer = i + 1 < chain.size() ? chain.get(i + 1) : c;
        try {
          c.checkValidity(when);
        } catch (CertificateException e) {
          problems.add(
              "PCK chain certificate '"
                  + c.getSubjectX500Principal().getName()
                  + "' is not valid at "
                  + at);
        }
        try {
          c.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
          problems.add(
              "PCK chain certificate '"
                  + c.getSubjectX500Principal().getName()
                  + "' is not signed by '"
                  + issuer.getSubjectX500Principal().getName()
                  + "'");
        }
      }
      X509Certificate root = chain.get(chain.size() - 1);
      boolean anchored = false;
      for (X509Certificate a : anchors) {
        if (Arrays.equals(a.getEncoded(), root.getEncoded())) {
          anchored = true;
          break;
        }
      }
      if (!anchored) {
        problems.add(
            "PCK chain ends at '"
                + root.getSubjectX500Principal().getName()
                + "', not at a trusted root (the pinned Intel SGX Root CA)");
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      problems.add("offline quote check failed: " + e);
    }
    return problems;
  }

  private static List<X509Certificate> pckChain(byte[] certData) throws CertificateException {
    int end = certData.length;
    while (end > 0 && certData[end - 1] == 0) {
      end--;
    }
    Collection<? extends java.security.cert.Certificate> certs =
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(certData, 0, end));
    List<X509Certificate> out = new ArrayList<>();
    for (java.security.cert.Certificate c : certs) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  private static PublicKey p256(byte[] xy) throws GeneralSecurityException {
    java.security.AlgorithmParameters p = java.security.AlgorithmParameters.getInstance("EC");
    p.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
    java.security.spec.ECParameterSpec spec =
        p.getParameterSpec(java.security.spec.ECParameterSpec.class);
    ECPoint w =
        new ECPoint(
            new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)),
            new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
  }

  private static boolean verifyRaw(PublicKey key, byte[] data, byte[] rs) {
    if (!(key instanceof ECPublicKey) || rs.length != 64) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initVerify(key);
      s.update(data);
      return s.verify(rs);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
