package io.attest402.x402.receipt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

class ReceiptChainTest {
  static final ECKeyPair KEY =
      ECKeyPair.create(
          Numeric.hexStringToByteArray(
              "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));
  static final ECKeyPair OTHER =
      ECKeyPair.create(
          Numeric.hexStringToByteArray(
              "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f"));
  static final String ADDRESS = Keys.toChecksumAddress(Keys.getAddress(KEY));
  static final String NETWORK = "eip155:31337";
  static final String USDC = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

  static DigestSigner signerFor(ECKeyPair kp) {
    return d -> {
      Sign.SignatureData s = Sign.signMessage(d, kp, false);
      byte[] out = new byte[65];
      System.arraycopy(s.getR(), 0, out, 0, 32);
      System.arraycopy(s.getS(), 0, out, 32, 32);
      out[64] = s.getV()[0];
      return out;
    };
  }

  static byte[] publicKey(ECKeyPair kp) {
    byte[] xy = Numeric.toBytesPadded(kp.getPublicKey(), 64);
    byte[] out = new byte[65];
    out[0] = 4;
    System.arraycopy(xy, 0, out, 1, 64);
    return out;
  }

  static SettlementFacts facts(int i) {
    String tx = "0x" + String.format("%064x", 0xabc000 + i);
    String nonce = "0x" + String.format("%064x", 0x5eed00 + i);
    if (i % 4 == 3) {
      return SettlementFacts.failed(
          NETWORK,
          null,
          "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
          "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
          USDC,
          BigInteger.valueOf(1000L * i),
          nonce,
          1_767_225_600L + i,
          "invalid_exact_evm_payload_authorization_valid_before");
    }
    return SettlementFacts.settled(
        NETWORK,
        tx,
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        USDC,
        BigInteger.valueOf(1000L * i + 1),
        nonce,
        100 + i,
        1_767_225_600L + i);
  }

  static List<SignedReceipt> chain(int n) {
    ReceiptChain c = ReceiptChain.start(new ReceiptSigner(ADDRESS, signerFor(KEY)));
    List<SignedReceipt> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(c.append(facts(i)));
    }
    return out;
  }

  static List<String> jws(List<SignedReceipt> rs) {
    return new ArrayList<>(rs.stream().map(SignedReceipt::jws).toList());
  }

  @Test
  void nSettlementsGiveNLinkedReceiptsThatVerifyAgainstTheKey() throws Exception {
    List<SignedReceipt> rs = chain(8);
    String prev = Receipt.ZERO_HASH;
    for (int i = 0; i < rs.size(); i++) {
      SignedReceipt r = rs.get(i);
      assertEquals(i, r.receipt().seq());
      assertEquals(prev, r.receipt().prev());
      Receipt byAddress = ReceiptVerifier.verify(r.jws(), ADDRESS);
      Receipt byKey = ReceiptVerifier.verify(r.jws(), publicKey(KEY));
      assertEquals(r.receipt(), byAddress);
      assertEquals(r.receipt(), byKey);
      assertEquals(facts(i), byAddress.facts());
      assertEquals(ReceiptVerifier.hash(r.jws()), r.hash());
      prev = r.hash();
      assertEquals(3, r.jws().split("\\.").length);
      assertEquals(
          64, Base64URL.from(r.jws().split("\\.")[2]).decode().length, "ES256K signature is r||s");
    }
    ReceiptChainVerifier.Result ok = ReceiptChainVerifier.verify(jws(rs), ADDRESS);
    assertTrue(ok.ok(), ok::summary);
    assertEquals(7L, ok.lastSeq());
    assertEquals(rs.get(7).hash(), ok.lastHash());
  }

  @Test
  void headerAndClaimsHaveTheDocumentedShape() throws Exception {
    SignedReceipt r = chain(1).get(0);
    JWSObject o = JWSObject.parse(r.jws());
    assertEquals("ES256K", o.getHeader().getAlgorithm().getName());
    assertEquals("attest402-receipt+jws", o.getHeader().getType().getType());
    assertEquals(ADDRESS, o.getHeader().getKeyID());
    String claims = o.getPayload().toString();
    assertTrue(
        claims.startsWith(
            "{\"v\":1,\"seq\":0,\"prev\":\""
                + Receipt.ZERO_HASH
                + "\",\"signer\":\""
                + ADDRESS
                + "\",\"network\":\"eip155:31337\",\"txHash\":\"0x"),
        claims);
    assertTrue(claims.contains("\"amount\":\"1\""), claims);
    assertTrue(claims.contains("\"status\":\"settled\""), claims);
    assertFalse(claims.contains("\"error\""), claims);
    Receipt failed = chain(4).get(3).receipt();
    assertEquals(ReceiptStatus.FAILED, failed.status());
    assertEquals(null, failed.txHash());
    assertEquals(null, failed.block());
  }

  @Test
  void removedReceiptIsAGap() {
    List<String> js = jws(chain(6));
    js.remove(3);
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertFalse(res.ok());
    assertEquals(1, res.problems().size(), res::summary);
    ReceiptChainVerifier.Problem p = res.problems().get(0);
    assertEquals(ReceiptChainVerifier.Kind.GAP, p.kind());
    assertEquals(3, p.index());
    assertEquals(4L, p.seq());
    assertTrue(p.message().contains("receipt seq 3 is missing"), p.message());
  }

  @Test
  void removedFirstReceiptsAreABadStart() {
    List<String> js = jws(chain(4));
    js.remove(0);
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertEquals(ReceiptChainVerifier.Kind.BAD_START, res.problems().get(0).kind(), res::summary);
    // a segment audit that knows where the previous audit ended accepts the same list
    List<SignedReceipt> full = chain(4);
    ReceiptChainVerifier.Result seg =
        ReceiptChainVerifier.verify(jws(full).subList(1, 4), ADDRESS, 1L, full.get(0).hash());
    assertTrue(seg.ok(), seg::summary);
    ReceiptChainVerifier.Result wrongAnchor =
        ReceiptChainVerifier.verify(jws(full).subList(1, 4), ADDRESS, 1L, Receipt.ZERO_HASH);
    assertEquals(ReceiptChainVerifier.Kind.BAD_START, wrongAnchor.problems().get(0).kind());
  }

  @Test
  void reorderedReceiptsAreDetected() {
    List<String> js = jws(chain(6));
    Collections.swap(js, 2, 3);
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertFalse(res.ok());
    List<ReceiptChainVerifier.Kind> kinds =
        res.problems().stream().map(ReceiptChainVerifier.Problem::kind).toList();
    assertTrue(kinds.contains(ReceiptChainVerifier.Kind.GAP), res::summary);
    assertTrue(kinds.contains(ReceiptChainVerifier.Kind.OUT_OF_ORDER), res::summary);
    ReceiptChainVerifier.Problem ooo =
        res.problems().stream()
            .filter(p -> p.kind() == ReceiptChainVerifier.Kind.OUT_OF_ORDER)
            .findFirst()
            .get();
    assertEquals(3, ooo.index());
    assertEquals(2L, ooo.seq());
  }

  @Test
  void alteredReceiptFailsItsSignatureAndBreaksTheNextLink() {
    List<String> js = jws(chain(5));
    String[] parts = js.get(2).split("\\.");
    String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    String forged = claims.replace("\"amount\":\"2001\"", "\"amount\":\"2000001\"");
    assertNotEquals(claims, forged);
    js.set(
        2,
        parts[0]
            + "."
            + Base64URL.encode(forged.getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2]);
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertEquals(2, res.problems().size(), res::summary);
    assertEquals(ReceiptChainVerifier.Kind.BAD_SIGNATURE, res.problems().get(0).kind());
    assertEquals(2, res.problems().get(0).index());
    assertEquals(ReceiptChainVerifier.Kind.BROKEN_LINK, res.problems().get(1).kind());
    assertEquals(3L, res.problems().get(1).seq());
    assertThrows(ReceiptException.class, () -> ReceiptVerifier.verify(js.get(2), ADDRESS));
    assertThrows(ReceiptException.class, () -> ReceiptVerifier.verify(js.get(2), publicKey(KEY)));
  }

  @Test
  void resignedSubstituteIsABrokenLink() {
    List<SignedReceipt> rs = chain(4);
    ReceiptSigner s = new ReceiptSigner(ADDRESS, signerFor(KEY));
    // same key, same seq and prev, different facts: a validly signed rewrite of history
    SignedReceipt substitute = s.sign(facts(9), 1, rs.get(0).hash());
    List<String> js = jws(rs);
    js.set(1, substitute.jws());
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertEquals(1, res.problems().size(), res::summary);
    assertEquals(ReceiptChainVerifier.Kind.BROKEN_LINK, res.problems().get(0).kind());
    assertEquals(2L, res.problems().get(0).seq());
  }

  @Test
  void duplicateSeqIsDetected() {
    List<String> js = jws(chain(3));
    js.add(2, js.get(1));
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertEquals(ReceiptChainVerifier.Kind.DUPLICATE, res.problems().get(0).kind(), res::summary);
  }

  @Test
  void otherSignerAndForgedHeaderAndHighSAreRejected() throws Exception {
    String other = Keys.toChecksumAddress(Keys.getAddress(OTHER));
    SignedReceipt byOther =
        new ReceiptSigner(other, signerFor(OTHER)).sign(facts(0), 0, Receipt.ZERO_HASH);
    ReceiptException e =
        assertThrows(ReceiptException.class, () -> ReceiptVerifier.verify(byOther.jws(), ADDRESS));
    assertTrue(e.getMessage().contains("not the attested facilitator"), e.getMessage());
    assertThrows(
        ReceiptException.class, () -> ReceiptVerifier.verify(byOther.jws(), publicKey(KEY)));
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(List.of(byOther.jws()), ADDRESS);
    assertEquals(ReceiptChainVerifier.Kind.BAD_SIGNATURE, res.problems().get(0).kind());

    // a signer claiming someone else's address is refused at signing time
    assertThrows(
        IllegalStateException.class,
        () -> new ReceiptSigner(ADDRESS, signerFor(OTHER)).sign(facts(0), 0, Receipt.ZERO_HASH));

    // the same signature with s replaced by n - s verifies as plain ECDSA but is non-canonical
    SignedReceipt r = chain(1).get(0);
    String[] parts = r.jws().split("\\.");
    byte[] rs = Base64URL.from(parts[2]).decode();
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, 32, 64));
    byte[] high = Numeric.toBytesPadded(Sign.CURVE_PARAMS.getN().subtract(s), 32);
    System.arraycopy(high, 0, rs, 32, 32);
    String malleated = parts[0] + "." + parts[1] + "." + Base64URL.encode(rs);
    ReceiptException hs =
        assertThrows(ReceiptException.class, () -> ReceiptVerifier.verify(malleated, ADDRESS));
    assertTrue(hs.getMessage().contains("high s"), hs.getMessage());

    // alg none / other typ are not receipts
    String none =
        Base64URL.encode("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + ".";
    assertThrows(ReceiptException.class, () -> ReceiptVerifier.verify(none, ADDRESS));
    ReceiptChainVerifier.Result garbage =
        ReceiptChainVerifier.verify(List.of("not-a-jws"), ADDRESS);
    assertEquals(ReceiptChainVerifier.Kind.MALFORMED, garbage.problems().get(0).kind());
  }

  @Test
  void chainResumesAfterTheLastReceipt() throws Exception {
    List<SignedReceipt> first = chain(3);
    ReceiptSigner s = new ReceiptSigner(ADDRESS, signerFor(KEY));
    ReceiptChain resumed = ReceiptChain.resume(s, first.get(2).jws());
    assertEquals(3, resumed.nextSeq());
    List<String> js = jws(first);
    js.add(resumed.append(facts(3)).jws());
    js.add(resumed.append(facts(4)).jws());
    ReceiptChainVerifier.Result res = ReceiptChainVerifier.verify(js, ADDRESS);
    assertTrue(res.ok(), res::summary);
    assertEquals(5, res.count());
    assertThrows(
        ReceiptException.class,
        () ->
            ReceiptChain.resume(
                new ReceiptSigner(Keys.toChecksumAddress(Keys.getAddress(OTHER)), signerFor(OTHER)),
                first.get(2).jws()));
    assertThrows(IllegalArgumentException.class, () -> s.sign(facts(0), 0, first.get(0).hash()));
  }
}
