package io.attest402.enclave;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.attest402.enclave.tee.Measurement;
import io.attest402.enclave.tee.Rtmr3EventLog;
import io.attest402.verifier.Collateral;
import io.attest402.verifier.QuoteVerificationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What {@code GET /attestation[?nonce=HEX32]} serves (JSON via Jackson; {@link #toJson()} / {@link
 * #fromJson}).
 *
 * <pre>{@code
 * {"format":"attest402-attestation-v1",
 *  "teeType":"gramine-sgx" | "tdx" | "simulated-sgx" | "simulated-tdx",
 *  "simulated":false,                       // always present; true => "warning" explains
 *  "quote":"<base64 of the raw DCAP quote>",
 *  "signerAddress":"0x<EIP-55>",            // settlement account and receipt signer
 *  "publicKey":"04<X><Y>",                  // 65 bytes hex, uncompressed secp256k1
 *  "signers":[{"address":"0x..","publicKey":"04.."}, ..],  // every settlement account in attested
 *                                           // order, the first being signerAddress/publicKey;
 *                                           // absent in documents from before --signers: [publicKey]
 *  "measurement":{"tee":"sgx","mrEnclave":"..","mrSigner":"..","isvProdId":..,"isvSvn":..,"debug":false}
 *              | {"tee":"tdx","mrTd":"..","rtmrs":["..",4],"mrConfigId":"..","debug":false},
 *  "nonce":"<32 bytes hex; zeros for the startup quote>",
 *  "reportData":"<64 bytes hex, as in the quote>",
 *  "binding":"reportData = SHA-256(\"attest402-facilitator-v1\" || publicKey) || nonce",
 *           // with more than one signer: SHA-256("attest402-facilitator-signers-v1" || uint32be(N)
 *           //   || signers[0].publicKey || .. || signers[N-1].publicKey) || nonce (KeyBinding)
 *  "collateral":{...} | absent,             // the verifier's Collateral JSON (dcap-qvl QuoteCollateralV3 shape),
 *                                           // as the facilitator fetched it from its PCS/PCCS (Intel-signed)
 *  "freshness":{"domain":"attest402-attestation-freshness-v1","nonce":"..","time":1764600000,"signature":".."}
 *              | absent,                    // ?nonce= answers: the startup quote plus the enclave key's
 *                                           // signature over the caller's nonce and the time (FreshnessProof)
 *  "sourceRevision":"<git revision of the build>",
 *  "eventLog":{...} | absent,               // TDX: what the facilitator extended into RTMR3 (Rtmr3EventLog)
 *  "generatedAt":"2026-01-15T12:00:00Z"}
 * }</pre>
 *
 * Hex is lowercase without 0x, except the address. The document is self-describing, not
 * self-proving: a client checks it with {@link AttestationChecker}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({
  "format",
  "teeType",
  "simulated",
  "warning",
  "quote",
  "signerAddress",
  "publicKey",
  "signers",
  "measurement",
  "nonce",
  "reportData",
  "binding",
  "collateral",
  "freshness",
  "sourceRevision",
  "eventLog",
  "generatedAt"
})
public record AttestationDocument(
    String format,
    String teeType,
    boolean simulated,
    String warning,
    String quote,
    String signerAddress,
    String publicKey,
    Measurement measurement,
    String nonce,
    List<Signer> signers,
    String reportData,
    String binding,
    JsonNode collateral,
    FreshnessProof freshness,
    String sourceRevision,
    Rtmr3EventLog eventLog,
    String generatedAt) {

  public static final String FORMAT = "attest402-attestation-v1";

  /** One attested signer: its address and 65-byte uncompressed public key (lowercase hex). */
  public record Signer(String address, String publicKey) {}

  public static final String SIMULATED_WARNING =
      "SIMULATED TEE: no hardware backs this quote; it is signed by a "
          + "local attest402 simulation CA and must not be trusted for real funds";

  static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  /** The raw quote bytes. */
  @JsonIgnore
  public byte[] quoteBytes() {
    return Base64.getDecoder().decode(quote);
  }

  @JsonIgnore
  public byte[] publicKeyBytes() {
    return HexFormat.of().parseHex(strip0x(publicKey));
  }

  /**
   * The ordered signer public keys the report data binds: {@code signers}, or the single {@code
   * publicKey} of a document without them. IllegalArgumentException when one is not hex.
   */
  @JsonIgnore
  public List<byte[]> signerPublicKeys() {
    if (signers == null) {
      return List.of(publicKeyBytes());
    }
    return signers.stream()
        .map(
            s -> {
              if (s == null || s.publicKey() == null) {
                throw new IllegalArgumentException("a signer lacks its publicKey");
              }
              return HexFormat.of().parseHex(strip0x(s.publicKey()));
            })
        .toList();
  }

  /** The attested signer addresses in order (as served; the checker derives and compares them). */
  @JsonIgnore
  public List<String> signerAddresses() {
    return signers == null
        ? List.of(signerAddress)
        : signers.stream().map(s -> s == null ? null : s.address()).toList();
  }

  @JsonIgnore
  public byte[] nonceBytes() {
    return HexFormat.of().parseHex(strip0x(nonce));
  }

  /** The served collateral parsed, when there is one. */
  @JsonIgnore
  public Optional<Collateral> collateralValue() throws QuoteVerificationException {
    if (collateral == null || collateral.isNull()) {
      return Optional.empty();
    }
    return Optional.of(Collateral.fromJson(collateral.toString()));
  }

  public String toJson() {
    try {
      return MAPPER.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a served document; IllegalArgumentException when it is not one. */
  public static AttestationDocument fromJson(String json) {
    AttestationDocument d;
    try {
      d = MAPPER.readValue(json, AttestationDocument.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not an attestation document: " + e.getMessage(), e);
    }
    if (d == null || !FORMAT.equals(d.format())) {
      throw new IllegalArgumentException(
          "not an attestation document (format must be " + FORMAT + ")");
    }
    if (d.quote() == null
        || d.publicKey() == null
        || d.signerAddress() == null
        || d.nonce() == null) {
      throw new IllegalArgumentException(
          "attestation document lacks quote, publicKey, signerAddress or nonce");
    }
    return d;
  }

  /**
   * Writes the files {@code bin/attest402 quote verify --quote Q --collateral C} reads: the quote
   * as base64 text (one line) and the collateral in the verifier's Collateral JSON format. Fails
   * when the document carries no collateral (hardware backends serve none unless the operator
   * configured it).
   */
  public void writeVerifierFiles(Path quoteFile, Path collateralFile) throws IOException {
    if (collateral == null || collateral.isNull()) {
      throw new IOException(
          "this attestation document carries no collateral; fetch it from Intel PCS or a "
              + "PCCS for the quote's FMSPC (quote verify --pccs URL)");
    }
    Files.writeString(quoteFile, quote + "\n", StandardCharsets.US_ASCII);
    Files.writeString(
        collateralFile,
        MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(collateral),
        StandardCharsets.UTF_8);
  }

  static String strip0x(String s) {
    return s != null && (s.startsWith("0x") || s.startsWith("0X")) ? s.substring(2) : s;
  }
}
