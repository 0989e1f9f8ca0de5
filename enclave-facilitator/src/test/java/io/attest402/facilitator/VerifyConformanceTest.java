package io.attest402.facilitator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.ChainExtension;
import io.attest402.contracts.chain.DevAccounts;
import io.attest402.contracts.chain.NodeScript;
import io.attest402.facilitator.config.AssetConfig;
import io.attest402.facilitator.settle.ReceiptIssuer;
import io.attest402.x402.evm.Eip712Domain;
import io.attest402.x402.evm.ExactEvmPayload;
import io.attest402.x402.evm.Hex;
import io.attest402.x402.evm.Signatures;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.crypto.Credentials;
import org.web3j.utils.Numeric;

/**
 * Every rule of the official exact/EVM verification, each with its exact reason string, for an EOA
 * payer and an ERC-1271 payer (TestSmartWallet), over real HTTP against a real anvil with
 * Multicall3; then the same corpus sent to the official facilitator logic
 * (interop/official-facilitator.mjs) must get the same isValid and invalidReason.
 */
@ExtendWith(ChainExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerifyConformanceTest {
  static final BigInteger AMOUNT = BigInteger.valueOf(10_000);

  /** An address with no code, configured as an asset to reach asset_not_deployed_contract. */
  static final String GHOST = "0x00000000000000000000000000000000000Ab5e7";

  record Case(String name, String expected, String body) {}

  FacilitatorServer server;
  String url;
  final List<Case> cases = new ArrayList<>();

  @BeforeAll
  void setUp(Chain chain, @TempDir Path dir) throws Exception {
    TestKit.installMulticall3(chain);
    String notEip3009 = chain.deployment().contracts().identityRegistry();
    server =
        TestKit.startFacilitator(
            chain,
            dir,
            FacilitatorOptions.defaults(),
            TestKit.networks(
                chain,
                new AssetConfig(GHOST, "Ghost", "1", 6),
                new AssetConfig(notEip3009, "Not EIP-3009", "1", 0)),
            k -> ReceiptIssuer.NONE);
    url = TestKit.url(server);

    String payTo = chain.account(DevAccounts.PROVIDER).getAddress();
    Credentials eoa = chain.account(DevAccounts.AGENT);
    Credentials poorEoa = chain.account(6);
    Credentials owner = chain.account(5);
    String wallet = TestKit.smartWallet(chain, owner, BigInteger.valueOf(1_000_000_000L));
    String poorWallet = TestKit.smartWallet(chain, owner, BigInteger.ZERO);
    addCases(
        chain,
        "eoa",
        eoa.getAddress(),
        eoa,
        poorEoa.getAddress(),
        poorEoa,
        payTo,
        notEip3009,
        true);
    addCases(chain, "erc1271", wallet, owner, poorWallet, owner, payTo, notEip3009, false);
  }

  @AfterAll
  void tearDown() {
    if (server != null) {
      server.stop();
    }
  }

  private void addCases(
      Chain chain,
      String kind,
      String from,
      Credentials signer,
      String poorFrom,
      Credentials poorSigner,
      String payTo,
      String notEip3009,
      boolean eoa)
      throws Exception {
    String usdc = chain.deployment().contracts().usdc();
    PaymentRequirements req = TestKit.requirements(chain, usdc, payTo, AMOUNT);
    Eip712Domain domain = Eip712Domain.of(req);
    Credentials stranger = chain.account(9);

    add(
        kind,
        "valid",
        null,
        TestKit.body(req, TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer)));

    PaymentRequirements upto =
        new PaymentRequirements("upto", req.network(), AMOUNT, usdc, payTo, 300, req.extra());
    add(
        kind,
        "scheme",
        "invalid_exact_evm_scheme",
        TestKit.body(upto, req, TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer)));

    ObjectNode noName = Wire.newObject();
    noName.put("version", "2");
    PaymentRequirements noDomain = req.withExtra(noName);
    add(
        kind,
        "missing domain",
        "invalid_exact_evm_missing_eip712_domain",
        TestKit.body(noDomain, TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer)));

    PaymentRequirements otherNet =
        new PaymentRequirements("exact", "eip155:8453", AMOUNT, usdc, payTo, 300, req.extra());
    add(
        kind,
        "network mismatch",
        "invalid_exact_evm_network_mismatch",
        TestKit.body(
            otherNet, req, TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer)));

    add(
        kind,
        "wrong signer",
        "invalid_exact_evm_signature",
        TestKit.body(req, TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), stranger)));

    add(
        kind,
        "recipient",
        "invalid_exact_evm_recipient_mismatch",
        TestKit.body(
            req,
            TestKit.sign(
                domain, TestKit.auth(from, chain.account(7).getAddress(), AMOUNT), signer)));

    ExactEvmPayload.Authorization a = TestKit.auth(from, payTo, AMOUNT);
    ExactEvmPayload.Authorization expiring =
        new ExactEvmPayload.Authorization(
            from, payTo, AMOUNT, BigInteger.ZERO, BigInteger.valueOf(TestKit.now() + 3), a.nonce());
    add(
        kind,
        "valid before",
        "invalid_exact_evm_payload_authorization_valid_before",
        TestKit.body(req, TestKit.sign(domain, expiring, signer)));

    ExactEvmPayload.Authorization early =
        new ExactEvmPayload.Authorization(
            from,
            payTo,
            AMOUNT,
            BigInteger.valueOf(TestKit.now() + 120),
            BigInteger.valueOf(TestKit.now() + 600),
            TestKit.nonce());
    add(
        kind,
        "valid after",
        "invalid_exact_evm_payload_authorization_valid_after",
        TestKit.body(req, TestKit.sign(domain, early, signer)));

    add(
        kind,
        "amount",
        "invalid_exact_evm_payload_authorization_value_mismatch",
        TestKit.body(
            req,
            TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT.add(BigInteger.ONE)), signer)));

    PaymentRequirements ghost = TestKit.requirements(chain, GHOST, payTo, AMOUNT);
    add(
        kind,
        "asset without code",
        "asset_not_deployed_contract",
        TestKit.body(
            ghost,
            TestKit.sign(Eip712Domain.of(ghost), TestKit.auth(from, payTo, AMOUNT), signer)));

    ExactEvmPayload used = TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer);
    ExactEvmPayload.Authorization u = used.authorization();
    TestKit.usdc(chain)
        .transferWithAuthorization(
            u.from(),
            u.to(),
            u.value(),
            u.validAfter(),
            u.validBefore(),
            u.nonceBytes(),
            used.signatureBytes())
        .send();
    add(kind, "nonce used", "invalid_exact_evm_nonce_already_used", TestKit.body(req, used));

    ObjectNode wrongName = Wire.newObject();
    wrongName.put("name", "Wrong Coin");
    wrongName.put("version", "2");
    PaymentRequirements nameReq = req.withExtra(wrongName);
    add(
        kind,
        "token name",
        "invalid_exact_evm_token_name_mismatch",
        TestKit.body(
            nameReq,
            TestKit.sign(Eip712Domain.of(nameReq), TestKit.auth(from, payTo, AMOUNT), signer)));

    ObjectNode wrongVersion = Wire.newObject();
    wrongVersion.put("name", "USD Coin");
    wrongVersion.put("version", "3");
    PaymentRequirements versionReq = req.withExtra(wrongVersion);
    add(
        kind,
        "token version",
        "invalid_exact_evm_token_version_mismatch",
        TestKit.body(
            versionReq,
            TestKit.sign(Eip712Domain.of(versionReq), TestKit.auth(from, payTo, AMOUNT), signer)));

    add(
        kind,
        "balance",
        "invalid_exact_evm_insufficient_balance",
        TestKit.body(req, TestKit.sign(domain, TestKit.auth(poorFrom, payTo, AMOUNT), poorSigner)));

    String zero = "0x0000000000000000000000000000000000000000";
    PaymentRequirements toZero = TestKit.requirements(chain, usdc, zero, AMOUNT);
    add(
        kind,
        "transfer reverts",
        "invalid_exact_evm_transaction_simulation_failed",
        TestKit.body(toZero, TestKit.sign(domain, TestKit.auth(from, zero, AMOUNT), signer)));

    PaymentRequirements not3009 = TestKit.requirements(chain, notEip3009, payTo, AMOUNT);
    add(
        kind,
        "not EIP-3009",
        "invalid_exact_evm_eip3009_not_supported",
        TestKit.body(
            not3009,
            TestKit.sign(Eip712Domain.of(not3009), TestKit.auth(from, payTo, AMOUNT), signer)));

    // High-s: ecrecover (as viem's) accepts it, the token refuses it: EOA -> simulation failure;
    // the wallet's
    // ERC-1271 check (OpenZeppelin ECDSA) refuses it up front.
    ExactEvmPayload good = TestKit.sign(domain, TestKit.auth(from, payTo, AMOUNT), signer);
    add(
        kind,
        "high s",
        eoa ? "invalid_exact_evm_transaction_simulation_failed" : "invalid_exact_evm_signature",
        TestKit.body(req, new ExactEvmPayload(highS(good.signature()), good.authorization())));

    if (eoa) {
      // ERC-6492 wrapper naming a factory for a payer without code: counterfactual, factory not
      // allowed.
      String fresh =
          Credentials.create(
                  Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(777_777), 64))
              .getAddress();
      ExactEvmPayload inner =
          TestKit.sign(
              domain,
              TestKit.auth(fresh, payTo, AMOUNT),
              Credentials.create(
                  Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(777_777), 64)));
      String wrapped =
          FunctionEncoder.encodeConstructor(
              List.of(
                  new Address(chain.account(8).getAddress()),
                  new DynamicBytes(new byte[] {1, 2, 3, 4}),
                  new DynamicBytes(inner.signatureBytes())));
      String sig =
          "0x" + wrapped + "6492649264926492649264926492649264926492649264926492649264926492";
      add(
          kind,
          "6492 factory",
          "eip6492_factory_not_allowed",
          TestKit.body(req, new ExactEvmPayload(sig, inner.authorization())));
    }
  }

  private void add(String kind, String name, String expected, String body) {
    cases.add(new Case(kind + ": " + name, expected, body));
  }

  /**
   * The same signature with s' = n - s and v flipped: equally valid to ecrecover, refused by the
   * token.
   */
  static String highS(String sigHex) {
    byte[] sig = Hex.decode(sigHex);
    Signatures.Rsv rsv = Signatures.parse(sig).orElseThrow();
    BigInteger s = Signatures.N.subtract(rsv.sValue());
    byte[] out = new byte[65];
    System.arraycopy(rsv.r(), 0, out, 0, 32);
    System.arraycopy(Numeric.toBytesPadded(s, 32), 0, out, 32, 32);
    out[64] = (byte) (rsv.v() == 27 ? 28 : 27);
    return Numeric.toHexString(out);
  }

  @Test
  void everyRuleAnswersItsOfficialReason() {
    assertTrue(cases.size() >= 35, "corpus size " + cases.size());
    List<String> wrong = new ArrayList<>();
    for (Case c : cases) {
      TestKit.Answer a = TestKit.post(url + "/verify", c.body());
      JsonNode j = a.json();
      boolean ok =
          a.status() == 200
              && j != null
              && j.path("isValid").asBoolean() == (c.expected() == null)
              && (c.expected() == null
                  ? j.path("invalidReason").isMissingNode()
                  : c.expected().equals(j.path("invalidReason").asText()))
              && j.path("payer").isTextual();
      if (!ok) {
        wrong.add(c.name() + " -> " + a.status() + " " + a.text());
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void sameAnswersAsTheOfficialFacilitator(Chain chain) {
    Map<String, String> env = TestKit.chainEnv(chain);
    env.put("FACILITATOR_PRIVATE_KEY", TestKit.key(8));
    try (NodeScript official =
        NodeScript.start("official-facilitator.mjs", List.of(), env, TestKit.SCRIPT_TIMEOUT)) {
      String officialUrl = official.ready().path("url").asText();
      List<String> differ = new ArrayList<>();
      for (Case c : cases) {
        JsonNode ours = TestKit.post(url + "/verify", c.body()).json();
        TestKit.Answer theirs = TestKit.post(officialUrl + "/verify", c.body());
        String o = ours.path("isValid").asText() + " " + ours.path("invalidReason").asText("-");
        String t =
            theirs.json() == null
                ? theirs.status() + " " + theirs.text()
                : theirs.json().path("isValid").asText()
                    + " "
                    + theirs.json().path("invalidReason").asText("-");
        if (!o.equals(t)) {
          differ.add(c.name() + ": ours " + o + ", official " + t);
        }
      }
      assertEquals(List.of(), differ);
    }
  }
}
