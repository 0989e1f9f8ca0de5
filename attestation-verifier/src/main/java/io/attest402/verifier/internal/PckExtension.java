package io.attest402.verifier.internal;

import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;

/** The SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate. */
public record PckExtension(
    byte[] ppid,
    int[] compSvns,
    int pceSvn,
    byte[] cpuSvn,
    byte[] pceId,
    byte[] fmspc,
    int sgxType) {
  public static final String OID = "1.2.840.113741.1.13.1";

  public static PckExtension of(X509Certificate pck) {
    byte[] ext = pck.getExtensionValue(OID);
    if (ext == null) {
      throw new IllegalArgumentException("PCK certificate has no SGX extension " + OID);
    }
    ASN1Sequence seq;
    try {
      seq =
          ASN1Sequence.getInstance(
              ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(ext)).getOctets());
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("SGX extension is not DER: " + e.getMessage(), e);
    }
    byte[] ppid = null;
    byte[] pceId = null;
    byte[] fmspc = null;
    byte[] cpuSvn = null;
    int[] comps = null;
    int pceSvn = -1;
    int sgxType = -1;
    for (ASN1Encodable e : seq) {
      ASN1Sequence kv = ASN1Sequence.getInstance(e);
      String oid = ASN1ObjectIdentifier.getInstance(kv.getObjectAt(0)).getId();
      ASN1Encodable v = kv.getObjectAt(1);
      switch (oid.substring(OID.length())) {
        case ".1" -> ppid = octets(v, 16, "PPID");
        case ".2" -> {
          comps = new int[16];
          boolean[] seen = new boolean[18];
          for (ASN1Encodable t : ASN1Sequence.getInstance(v)) {
            ASN1Sequence tkv = ASN1Sequence.getInstance(t);
            String toid = ASN1ObjectIdentifier.getInstance(tkv.getObjectAt(0)).getId();
            String prefix = OID + ".2.";
            if (!toid.startsWith(prefix)) {
              throw new IllegalArgumentException("unexpected OID in SGX TCB: " + toid);
            }
            int idx = Integer.parseInt(toid.substring(prefix.length()));
            if (idx >= 1 && idx <= 16) {
              comps[idx - 1] = smallInt(tkv.getObjectAt(1));
            } else if (idx == 17) {
              pceSvn = smallInt(tkv.getObjectAt(1));
            } else if (idx == 18) {
              cpuSvn = octets(tkv.getObjectAt(1), 16, "CPUSVN");
            } else {
              throw new IllegalArgumentException("unexpected OID in SGX TCB: " + toid);
            }
            if (seen[idx - 1]) {
              throw new IllegalArgumentException("duplicate SGX TCB component " + idx);
            }
            seen[idx - 1] = true;
          }
          for (boolean s : seen) {
            if (!s) {
              throw new IllegalArgumentException("SGX TCB in PCK certificate is incomplete");
            }
          }
        }
        case ".3" -> pceId = octets(v, 2, "PCE-ID");
        case ".4" -> fmspc = octets(v, 6, "FMSPC");
        case ".5" -> sgxType = ASN1Enumerated.getInstance(v).intValueExact();
        default -> {
          // platform instance ID, configuration: not used for verification
        }
      }
    }
    if (ppid == null || comps == null || pceId == null || fmspc == null || sgxType < 0) {
      throw new IllegalArgumentException(
          "SGX extension misses PPID, TCB, PCE-ID, FMSPC or SGX type");
    }
    return new PckExtension(ppid, comps, pceSvn, cpuSvn, pceId, fmspc, sgxType);
  }

  private static int smallInt(ASN1Encodable v) {
    int i = ASN1Integer.getInstance(v).intValueExact();
    if (i < 0 || i > 65535) {
      throw new IllegalArgumentException("SVN out of range: " + i);
    }
    return i;
  }

  private static byte[] octets(ASN1Encodable v, int len, String what) {
    byte[] b = ASN1OctetString.getInstance(v).getOctets();
    if (b.length != len) {
      throw new IllegalArgumentException(what + " must be " + len + " bytes");
    }
    return b;
  }
}
