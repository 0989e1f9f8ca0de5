package io.attest402.enclave;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.attest402.enclave.tee.Emulated;
import io.attest402.enclave.tee.FakeDevice;
import io.attest402.enclave.tee.GramineBackend;
import io.attest402.enclave.tee.SimulatedBackend;
import io.attest402.enclave.tee.TdxBackend;
import io.attest402.enclave.tee.TeeBackend;
import io.attest402.enclave.tee.TeeException;
import io.attest402.verifier.Quote;
import io.attest402.verifier.TeeType;
import io.attest402.verifier.VerificationPolicy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

@Timeout(90)
class EnclaveIdentityTest {
  static final SecureRandom RNG = new SecureRandom();
  static final Clock CLOCK = Clock.fixed(Emulated.NOW, ZoneOffset.UTC);

  @TempDir Path tmp;

  static EnclaveIdentity simulated(Path data) throws TeeException {
    return Emulated.withCollateral(
        EnclaveIdentity.open(
            SimulatedBackend.open(data, TeeType.SGX, CLOCK, RNG), data, RNG, CLOCK),
        Emulated.NOW);
  }

  static void assertNoFileContains(Path dir, byte[] secret) throws Exception {
    String hex = HexFormat.of().formatHex(secret);
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] b = Files.readAllBytes(f);
        String text = new String(b, StandardCharsets.ISO_8859_1).toLowerCase();
        assertFalse(text.contains(hex), f + " contains the private key in hex");
        for (int i = 0; i + secret.length <= b.length; i++) {
          assertFalse(
              Arrays.equals(Arrays.copyOfRange(b, i, i + secret.length), secret),
              f + " contains the raw private key");
        }
      }
    }
  }

  @Test
  void simulatedFirstStartSealsTheKeyAndRestartRestoresIt() throws Exception {
    Path data = tmp.resolve("data");
    EnclaveIdentity first = simulated(data);
    assertTrue(first.newKey());
    assertTrue(first.simulated());
    assertTrue(Files.exists(data.resolve(EnclaveIdentity.SEALED_KEY_FILE)));
    byte[] secret = ((InMemoryEnclaveKey) first.key()).privateKeyBytes();
    assertNoFileContains(data, secret);
    assertFalse(first.startupDocument().toJson().contains(HexFormat.of().formatHex(secret)));
    assertFalse(first.toString().contains(HexFormat.of().formatHex(secret)));

    EnclaveIdentity again = simulated(data);
    assertFalse(again.newKey());
    assertEquals(first.address(), again.address());
    assertArrayEquals(first.publicKey(), again.publicKey());
    assertEquals(first.address(), KeyBinding.address(first.publicKey()));
  }

  @Test
  void aKeySealedByAnotherIdentityOrAlteredRefusesToStartAndIsKept() throws Exception {
    Path a = tmp.resolve("a");
    simulated(a);
    Path b = tmp.resolve("b");
    Files.createDirectories(b);
    byte[] sealed = Files.readAllBytes(a.resolve(EnclaveIdentity.SEALED_KEY_FILE));
    Files.write(b.resolve(EnclaveIdentity.SEALED_KEY_FILE), sealed);
    // b has its own simulated sealing key: a different enclave identity
    TeeException e = assertThrows(TeeException.class, () -> simulated(b));
    assertTrue(
        e.getMessage().contains("cannot be unsealed") && e.getMessage().contains("Refusing"),
        e.getMessage());
    assertArrayEquals(
        sealed, Files.readAllBytes(b.resolve(EnclaveIdentity.SEALED_KEY_FILE)), "not replaced");

    byte[] tampered = sealed.clone();
    tampered[20] ^= 4;
    Files.write(a.resolve(EnclaveIdentity.SEALED_KEY_FILE), tampered);
    assertThrows(TeeException.class, () -> simulated(a));
  }

  @Test
  void documentsBindTheKeyAndTheNonce() throws Exception {
    EnclaveIdentity id = simulated(tmp.resolve("data"));
    AttestationDocument startup = id.startupDocument();
    assertEquals("simulated-sgx", startup.teeType());
    assertTrue(startup.simulated());
    assertNotNull(startup.warning());
    assertEquals(id.address(), startup.signerAddress());
    assertNotNull(startup.collateral());
    Quote q = Quote.parse(startup.quoteBytes());
    byte[] served = HexFormat.of().parseHex(startup.publicKey());
    assertArrayEquals(KeyBinding.keyHash(served), Arrays.copyOf(q.reportData(), 32));
    assertArrayEquals(new byte[32], Arrays.copyOfRange(q.reportData(), 32, 64));
    assertEquals(startup.reportData(), HexFormat.of().formatHex(q.reportData()));
    assertEquals("0".repeat(64), startup.nonce());
    assertArrayEquals(id.startupQuote(), startup.quoteBytes());

    byte[] nonce = new byte[32];
    RNG.nextBytes(nonce);
    // ?nonce=: the startup quote plus the enclave key's signature over the nonce and the time
    AttestationDocument signed = id.document(nonce);
    assertArrayEquals(id.startupQuote(), signed.quoteBytes());
    assertEquals("0".repeat(64), signed.nonce());
    assertEquals(HexFormat.of().formatHex(nonce), signed.freshness().nonce());
    assertEquals(Emulated.NOW.getEpochSecond(), signed.freshness().time());
    assertTrue(
        signed
            .freshness()
            .problem(nonce, served, Emulated.NOW, FreshnessProof.DEFAULT_WINDOW)
            .isEmpty());
    byte[] other = nonce.clone();
    other[0] ^= 1;
    assertTrue(
        signed
            .freshness()
            .problem(other, served, Emulated.NOW, FreshnessProof.DEFAULT_WINDOW)
            .isPresent());
    assertTrue(
        signed
            .freshness()
            .problem(nonce, served, Emulated.NOW.plusSeconds(600), FreshnessProof.DEFAULT_WINDOW)
            .orElseThrow()
            .contains("before now"));
    assertEquals(signed, AttestationDocument.fromJson(signed.toJson()));

    // ?nonce=..&fresh=1: a new quote whose report data carries the nonce
    AttestationDocument fresh = id.freshQuoteDocument(nonce);
    Quote fq = Quote.parse(fresh.quoteBytes());
    assertArrayEquals(KeyBinding.keyHash(served), Arrays.copyOf(fq.reportData(), 32));
    assertArrayEquals(nonce, Arrays.copyOfRange(fq.reportData(), 32, 64));
    assertEquals(HexFormat.of().formatHex(nonce), fresh.nonce());
    assertFalse(Arrays.equals(startup.quoteBytes(), fresh.quoteBytes()));
    assertEquals(startup.measurement(), fresh.measurement());
    assertEquals(
        HexFormat.of().formatHex(SimulatedBackend.SIM_MRENCLAVE), fresh.measurement().mrEnclave());
    assertThrows(IllegalArgumentException.class, () -> id.document(new byte[16]));
    assertThrows(IllegalArgumentException.class, () -> id.freshQuoteDocument(new byte[16]));

    String json = fresh.toJson();
    assertTrue(json.contains("\"simulated\":true"), json);
    assertTrue(
        json.startsWith("{\"format\":\"attest402-attestation-v1\",\"teeType\":\"simulated-sgx\""),
        json);
    AttestationDocument parsed = AttestationDocument.fromJson(json);
    assertEquals(fresh, parsed);
    assertThrows(
        IllegalArgumentException.class, () -> AttestationDocument.fromJson("{\"format\":\"x\"}"));
  }

  @Test
  void enclaveKeySignsDigestsThatRecoverToItsAddress() throws Exception {
    EnclaveIdentity id = simulated(tmp.resolve("data"));
    byte[] digest = new byte[32];
    RNG.nextBytes(digest);
    byte[] rsv = id.key().signDigestRsv(digest);
    assertEquals(65, rsv.length);
    BigInteger pub =
        Sign.recoverFromSignature(
            rsv[64] - 27,
            new ECDSASignature(
                new BigInteger(1, Arrays.copyOfRange(rsv, 0, 32)),
                new BigInteger(1, Arrays.copyOfRange(rsv, 32, 64))),
            digest);
    assertEquals(id.address().toLowerCase(), "0x" + Keys.getAddress(pub));
  }

  @Test
  void simulatedSelfCheckVerifiesFully() throws Exception {
    EnclaveIdentity id = simulated(tmp.resolve("data"));
    SelfCheck.Result r = id.selfCheck();
    assertTrue(r.ok(), r.summary());
    assertEquals(SelfCheck.Level.FULL, r.level());
    assertTrue(r.simulated());
    assertTrue(r.verdict().simulated());
    assertTrue(r.summary().contains("SIMULATED"), r.summary());
    r.orThrow();
  }

  @Test
  void startVerifiedRefusesWithoutATeeOrWithoutCollateral() throws Exception {
    io.attest402.enclave.tee.TeeBackends.Options o =
        io.attest402.enclave.tee.TeeBackends.Options.defaults(tmp.resolve("data"))
            .withGramineRoot(tmp.resolve("none"))
            .withTsmReportRoot(tmp.resolve("none2"))
            .withClock(CLOCK);
    java.net.URI nowhere = java.net.URI.create("http://127.0.0.1:9");
    assertThrows(TeeException.class, () -> EnclaveIdentity.startVerified("auto", o, nowhere));
    EnclaveIdentity.CollateralUnavailableException noPcs =
        assertThrows(
            EnclaveIdentity.CollateralUnavailableException.class,
            () -> EnclaveIdentity.startVerified("simulated", o, nowhere));
    assertTrue(
        noPcs.getMessage().contains("cannot obtain collateral")
            && noPcs.getMessage().contains("127.0.0.1:9"),
        noPcs.getMessage());
    Path root = tmp.resolve("dev-attestation");
    try (FakeDevice dev = Emulated.gramine(root, "dcap", Emulated.fill(16, 0x51))) {
      // the simulated key in "data" was not sealed by this enclave: refuse rather than replace it
      TeeException foreign =
          assertThrows(
              TeeException.class,
              () -> EnclaveIdentity.startVerified("gramine", o.withGramineRoot(root), nowhere));
      assertTrue(foreign.getMessage().contains("cannot be unsealed"), foreign.getMessage());
    }
  }

  /** A backend that lies: its quotes carry report data other than what it was asked for. */
  static TeeBackend lying(TeeBackend real) {
    return new TeeBackend() {
      @Override
      public String teeType() {
        return real.teeType();
      }

      @Override
      public boolean simulated() {
        return real.simulated();
      }

      @Override
      public TeeType quoteTee() {
        return real.quoteTee();
      }

      @Override
      public byte[] quote(byte[] rd) throws TeeException {
        byte[] other = rd.clone();
        other[0] ^= 1;
        return real.quote(other);
      }

      @Override
      public io.attest402.enclave.tee.Measurement measurement() throws TeeException {
        return real.measurement();
      }

      @Override
      public boolean canSeal() {
        return real.canSeal();
      }

      @Override
      public byte[] seal(String p, byte[] b) throws TeeException {
        return real.seal(p, b);
      }

      @Override
      public byte[] unseal(String p, byte[] b) throws TeeException {
        return real.unseal(p, b);
      }

      @Override
      public String sealingDescription() {
        return real.sealingDescription();
      }

      @Override
      public java.util.Optional<String> simulationRootSha256() {
        return real.simulationRootSha256();
      }
    };
  }

  @Test
  void selfCheckRefusesAQuoteThatDoesNotBindTheKey() throws Exception {
    Path data = tmp.resolve("data");
    SimulatedBackend real = SimulatedBackend.open(data, TeeType.SGX, CLOCK, RNG);
    TeeBackend liar = lying(real);
    EnclaveIdentity id = EnclaveIdentity.open(liar, data, RNG, CLOCK);
    id.collateral(Emulated.simulatedCollateral(real, Emulated.NOW));
    SelfCheck.Result r = id.selfCheck();
    assertFalse(r.ok());
    assertTrue(
        r.problems().stream().anyMatch(p -> p.contains("does not bind the enclave key")),
        r.summary());
    assertTrue(
        r.problems().stream().anyMatch(p -> p.contains("own quote does not verify")), r.summary());
    assertThrows(SelfCheck.SelfCheckException.class, r::orThrow);
  }

  @Test
  void gramineIdentityRestartsWithTheSameKeyAndOnlyThere() throws Exception {
    Path root = tmp.resolve("dev-attestation");
    Path data = tmp.resolve("data");
    String address;
    try (FakeDevice dev = Emulated.gramine(root, "dcap", Emulated.fill(16, 0x51))) {
      EnclaveIdentity id = EnclaveIdentity.open(GramineBackend.open(root, RNG), data, RNG, CLOCK);
      assertTrue(id.newKey());
      address = id.address();
      assertEquals("gramine-sgx", id.startupDocument().teeType());
      assertFalse(id.startupDocument().simulated());
      assertNull(id.startupDocument().warning());
      assertNull(
          id.startupDocument().collateral(), "hardware backends serve no collateral by default");
      byte[] nonce = Emulated.fill(32, 9);
      Quote q = Quote.parse(id.freshQuoteDocument(nonce).quoteBytes());
      assertArrayEquals(KeyBinding.reportData(id.publicKey(), nonce), q.reportData());
      assertNoFileContains(data, ((InMemoryEnclaveKey) id.key()).privateKeyBytes());

      EnclaveIdentity restarted =
          EnclaveIdentity.open(GramineBackend.open(root, RNG), data, RNG, CLOCK);
      assertFalse(restarted.newKey());
      assertEquals(address, restarted.address());
    }
    Path otherRoot = tmp.resolve("other-enclave");
    try (FakeDevice dev = Emulated.gramine(otherRoot, "dcap", Emulated.fill(16, 0x52))) {
      TeeException e =
          assertThrows(
              TeeException.class,
              () -> EnclaveIdentity.open(GramineBackend.open(otherRoot, RNG), data, RNG, CLOCK));
      assertTrue(e.getMessage().contains("cannot be unsealed"), e.getMessage());
    }
  }

  @Test
  void hardwareSelfCheckOfflineThenFull() throws Exception {
    Path root = tmp.resolve("dev-attestation");
    try (FakeDevice dev = Emulated.gramine(root, "dcap", Emulated.fill(16, 0x51))) {
      EnclaveIdentity id =
          EnclaveIdentity.open(GramineBackend.open(root, RNG), tmp.resolve("d"), RNG, CLOCK);
      // Without collateral: offline checks. The emulated quotes chain to a simulation CA, not to
      // Intel.
      SelfCheck.Result offline = id.selfCheck();
      assertFalse(offline.ok());
      assertEquals(SelfCheck.Level.OFFLINE, offline.level());
      assertTrue(
          offline.problems().stream().anyMatch(p -> p.contains("not at a trusted root")),
          offline.summary());
      // With that root as a policy trust anchor every offline check passes.
      SelfCheck.Result anchored =
          SelfCheck.run(
              id,
              Emulated.NOW,
              SelfCheck.defaultPolicy().toBuilder().addTrustAnchor(Emulated.CA.root()).build());
      assertTrue(anchored.ok(), anchored.summary());
      assertTrue(
          anchored.notes().stream().anyMatch(n -> n.contains("TCB status")), anchored.summary());
      // With collateral: full verification, and a hardware backend never accepts a simulated chain.
      id.collateral(Emulated.SIM.collateral(TeeType.SGX, Emulated.NOW.minusSeconds(60)));
      assertNotNull(id.startupDocument().collateral());
      SelfCheck.Result full = id.selfCheck();
      assertEquals(SelfCheck.Level.FULL, full.level());
      assertFalse(full.ok());
      assertTrue(full.summary().contains("SIMULATED_REJECTED"), full.summary());
    }
  }

  @Test
  void tdxSelfCheckFindsItsRtmr3EventLogInTheQuote() throws Exception {
    Path measurements = tmp.resolve("measurements");
    Files.createDirectories(measurements);
    Files.write(measurements.resolve("rtmr3:sha384"), new byte[48]);
    Path jar = Files.write(tmp.resolve("attest402.jar"), "the artifact".getBytes());
    Path root = tmp.resolve("report");
    java.util.concurrent.atomic.AtomicReference<byte[]> quotedRtmr3 =
        new java.util.concurrent.atomic.AtomicReference<>(new byte[48]);
    VerificationPolicy anchored =
        SelfCheck.defaultPolicy().toBuilder().addTrustAnchor(Emulated.CA.root()).build();
    try (FakeDevice dev =
        Emulated.tdx(
            root,
            TdxBackend.DEFAULT_ENTRY,
            "tdx_guest",
            rd -> Emulated.tdxQuote(rd, quotedRtmr3.get()))) {
      TdxBackend measured =
          TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY)
              .measureIntoRtmr3(measurements, List.of(jar));
      quotedRtmr3.set(measured.eventLog().orElseThrow().expectedRtmr3());
      SelfCheck.Result ok =
          SelfCheck.run(
              EnclaveIdentity.open(measured, tmp.resolve("d1"), RNG, CLOCK),
              Emulated.NOW,
              anchored);
      assertTrue(ok.ok(), ok.summary());

      // The register moved after our extensions (or the interface lied): what clients would replay
      // is not in the quote, so the facilitator must not start.
      TdxBackend moved =
          TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY)
              .measureIntoRtmr3(measurements, List.of(jar));
      SelfCheck.Result refused =
          SelfCheck.run(
              EnclaveIdentity.open(moved, tmp.resolve("d2"), RNG, CLOCK), Emulated.NOW, anchored);
      assertFalse(refused.ok());
      assertTrue(
          refused.problems().stream().anyMatch(p -> p.contains("RTMR3 event log")),
          refused.summary());
    }
  }

  @Test
  void offlineCheckCatchesATamperedQuote() throws Exception {
    Path data = tmp.resolve("data");
    EnclaveIdentity id = simulated(data);
    byte[] q = id.startupQuote();
    List<java.security.cert.X509Certificate> anchors =
        List.of(((SimulatedBackend) id.backend()).simulationRoot());
    assertEquals(List.of(), OfflineQuoteCheck.check(Quote.parse(q), Emulated.NOW, anchors));
    int[] offsets = {0x30, 112, 400, 436 + 10, 436 + 70, 436 + 128 + 10, 436 + 512 + 5};
    for (int off : offsets) {
      byte[] t = q.clone();
      t[off] ^= 0x10;
      Quote parsed;
      try {
        parsed = Quote.parse(t);
      } catch (io.attest402.verifier.QuoteVerificationException e) {
        continue; // does not even parse: rejected
      }
      assertFalse(
          OfflineQuoteCheck.check(parsed, Emulated.NOW, anchors).isEmpty(), "flip at " + off);
    }
    assertFalse(
        OfflineQuoteCheck.check(
                Quote.parse(q), Emulated.NOW.plusSeconds(86400L * 365 * 30), anchors)
            .isEmpty(),
        "certificates expired");
  }

  @Test
  void tdxHasANewKeyEveryBootAndWritesNothingSecret() throws Exception {
    Path root = tmp.resolve("tsm");
    Path data = tmp.resolve("data");
    try (FakeDevice dev = Emulated.tdx(root, TdxBackend.DEFAULT_ENTRY, "tdx_guest")) {
      EnclaveIdentity a =
          EnclaveIdentity.open(TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY), data, RNG, CLOCK);
      EnclaveIdentity b =
          EnclaveIdentity.open(TdxBackend.open(root, TdxBackend.DEFAULT_ENTRY), data, RNG, CLOCK);
      assertTrue(a.newKey());
      assertTrue(b.newKey());
      assertNotEquals(a.address(), b.address());
      assertFalse(Files.exists(data.resolve(EnclaveIdentity.SEALED_KEY_FILE)));
      assertEquals("tdx", a.startupDocument().teeType());
      assertEquals("tdx", a.measurement().tee());
      assertArrayEquals(
          KeyBinding.reportData(b.publicKey(), null), Quote.parse(b.startupQuote()).reportData());
    }
  }
}
