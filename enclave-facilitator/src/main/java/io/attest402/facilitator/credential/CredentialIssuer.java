package io.attest402.facilitator.credential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.EnclaveKey;
import io.attest402.facilitator.RequestException;
import io.attest402.facilitator.chain.SettlementChain;
import io.attest402.facilitator.config.NetworkConfig;
import io.attest402.facilitator.config.NetworksConfig;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.credential.Credential;
import io.attest402.x402.credential.CredentialClaim;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.Wire;
import io.attest402.x402.types.X402FormatException;
import java.math.BigInteger;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/**
 * {@code POST /credentials}: the payer-settled path. A payer that sent the transfer itself (no
 * facilitator would settle for it) presents the transaction, the requirements it paid and its
 * EIP-191 signature ({@link CredentialClaim}) over the transaction, the resource and this
 * facilitator. The issuer checks on chain that the transaction succeeded with enough confirmations
 * and carries a {@code Transfer} of the asset from the signer to {@code payTo} of at least the
 * amount, journals one credential per transaction, and returns a short-lived JWT signed by the
 * enclave key. Blocking (chain calls): run it off the event loop.
 */
public final class CredentialIssuer {
  /** keccak256("Transfer(address,address,uint256)"). */
  static final String TRANSFER_TOPIC =
      "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

  private static final Pattern HEX32 = Pattern.compile("0x[0-9a-fA-F]{64}");
  private static final Pattern SIG65 = Pattern.compile("0x[0-9a-fA-F]{130}");
  private static final int MAX_RESOURCE = 2048;

  private final NetworksConfig networks;
  private final Function<String, SettlementChain> chains;
  private final SettlementStore store;
  private final EnclaveKey key;
  private final Clock clock;
  private final CredentialOptions options;

  public CredentialIssuer(
      NetworksConfig networks,
      Function<String, SettlementChain> chains,
      SettlementStore store,
      EnclaveKey key,
      Clock clock,
      CredentialOptions options) {
    this.networks = networks;
    this.chains = chains;
    this.store = store;
    this.key = key;
    this.clock = clock;
    this.options = options;
  }

  public CredentialOptions options() {
    return options;
  }

  /** The JWKS document of the key credentials are signed with (the attested enclave key). */
  public String jwks() {
    return Credential.jwks(key.publicKey());
  }

  /**
   * Checks the claim in {@code body} and issues (or, for the same payer and resource, returns
   * again) its credential.
   *
   * @throws RequestException 400 for a malformed or unprovable claim, 404 for an unknown
   *     transaction, 409 for too few confirmations (retry) or a transaction already credited
   */
  public ObjectNode issue(String body) {
    JsonNode req;
    try {
      req = X402Json.parse(body == null ? "" : body);
    } catch (RuntimeException e) {
      throw bad("invalid_request", "body is not JSON: " + e.getMessage());
    }
    if (!req.isObject()) {
      throw bad("invalid_request", "body must be a JSON object");
    }
    String tx = text(req, "transaction");
    if (!HEX32.matcher(tx).matches()) {
      throw bad("invalid_request", "transaction must be a transaction hash: 0x and 64 hex digits");
    }
    tx = tx.toLowerCase(Locale.ROOT);
    String resource = text(req, "resource");
    checkResource(resource);
    String sigHex = text(req, "signature");
    if (!SIG65.matcher(sigHex).matches()) {
      throw bad("invalid_signature", "signature must be 65 bytes r||s||v: 0x and 130 hex digits");
    }
    if (!req.path("paymentRequirements").isObject()) {
      throw bad("invalid_request", "paymentRequirements must be an object");
    }
    PaymentRequirements pr;
    try {
      pr = PaymentRequirements.fromJson(req.get("paymentRequirements"), "paymentRequirements");
    } catch (X402FormatException e) {
      throw bad("invalid_request", e.path() + " " + e.problem());
    }
    NetworkConfig net = networks.network(pr.network());
    if (net == null) {
      throw bad("unsupported_network", "network " + pr.network() + " is not served here");
    }
    if (net.assets().stream().noneMatch(a -> a.address().equalsIgnoreCase(pr.asset()))) {
      throw bad("unsupported_asset", "asset " + pr.asset() + " is not accepted on " + pr.network());
    }
    if (!Wire.isAddress(pr.payTo())) {
      throw bad("invalid_request", "paymentRequirements.payTo is not an address");
    }
    if (pr.amount().signum() <= 0) {
      throw bad("invalid_request", "paymentRequirements.amount must be positive");
    }
    String payer =
        CredentialClaim.recover(
                pr.network(), tx, resource, key.address(), Numeric.hexStringToByteArray(sigHex))
            .orElseThrow(
                () ->
                    bad(
                        "invalid_signature",
                        "signature does not recover (malformed, v not 27/28, or high s)"));

    SettlementChain chain = chains.apply(pr.network());
    TransactionReceipt receipt = chain.receipts(List.of(tx)).get(tx);
    if (receipt == null) {
      throw new RequestException(
          404, "transaction_not_found", "transaction " + tx + " is not mined on " + pr.network());
    }
    if (!"0x1".equals(receipt.getStatus())) {
      throw bad(
          "transaction_failed",
          "transaction " + tx + " failed (status " + receipt.getStatus() + ")");
    }
    Transfer paid = transferTo(receipt, pr, payer);
    long confirmations = chain.blockNumber() - receipt.getBlockNumber().longValueExact() + 1;
    if (confirmations < options.minConfirmations()) {
      throw new RequestException(
          409,
          "insufficient_confirmations",
          "transaction "
              + tx
              + " has "
              + Math.max(0, confirmations)
              + " confirmation(s), "
              + options.minConfirmations()
              + " needed; retry");
    }
    Instant now = clock.instant();
    Credential c =
        new Credential(
            key.address(),
            payer,
            paid.to(),
            pr.asset(),
            paid.value(),
            pr.network(),
            tx,
            resource,
            now,
            now.plus(options.lifetime()),
            UUID.randomUUID().toString());
    String token = c.sign(key::signDigestRsv);
    SettlementStore.CredentialEntry entry =
        new SettlementStore.CredentialEntry(
            pr.network(),
            tx,
            payer,
            paid.to(),
            pr.asset(),
            paid.value().toString(),
            resource,
            token,
            now.getEpochSecond());
    Optional<SettlementStore.CredentialEntry> earlier = store.recordCredential(entry);
    if (earlier.isPresent()) {
      SettlementStore.CredentialEntry e = earlier.get();
      if (!e.payer().equalsIgnoreCase(payer) || !e.resource().equals(resource)) {
        throw new RequestException(
            409,
            "credential_already_issued",
            "transaction " + tx + " already bought a credential (one per transfer)");
      }
      // a retry of the same claim (its answer was lost): the same credential again, not a second
      token = e.token();
    }
    ObjectNode out = Wire.newObject();
    out.put("credential", token);
    out.put("payer", payer);
    out.put("transaction", tx);
    out.put("amount", paid.value().toString());
    out.put(
        "expiresAt",
        earlier
            .map(e -> e.issuedAt() + options.lifetime().toSeconds())
            .orElse(c.expiresAt().getEpochSecond()));
    return out;
  }

  private record Transfer(String from, String to, BigInteger value) {}

  /**
   * The transfer of {@code pr.asset} from {@code payer} to {@code pr.payTo} of at least the amount,
   * with a precise refusal otherwise.
   */
  private static Transfer transferTo(
      TransactionReceipt receipt, PaymentRequirements pr, String payer) {
    BigInteger largest = null;
    String otherSender = null;
    for (Log l : receipt.getLogs()) {
      List<String> t = l.getTopics();
      if (l.isRemoved()
          || l.getAddress() == null
          || !l.getAddress().equalsIgnoreCase(pr.asset())
          || t == null
          || t.size() != 3
          || !TRANSFER_TOPIC.equalsIgnoreCase(t.get(0))) {
        continue;
      }
      String from = topicAddress(t.get(1));
      String to = topicAddress(t.get(2));
      if (!to.equalsIgnoreCase(pr.payTo())) {
        continue;
      }
      BigInteger value = Numeric.toBigInt(l.getData());
      if (!from.equalsIgnoreCase(payer)) {
        otherSender = from;
        continue;
      }
      if (value.compareTo(pr.amount()) >= 0) {
        return new Transfer(from, pr.payTo(), value);
      }
      largest = largest == null || value.compareTo(largest) > 0 ? value : largest;
    }
    if (largest != null) {
      throw bad(
          "insufficient_amount",
          "the transfer to " + pr.payTo() + " is " + largest + ", less than " + pr.amount());
    }
    if (otherSender != null) {
      throw bad(
          "signer_not_payer",
          "the transfer to "
              + pr.payTo()
              + " was sent by "
              + otherSender
              + ", not by the claim's signer "
              + payer);
    }
    throw bad(
        "transfer_not_found",
        "transaction "
            + receipt.getTransactionHash()
            + " has no transfer of "
            + pr.asset()
            + " to "
            + pr.payTo());
  }

  private static String topicAddress(String topic) {
    String hex = Numeric.cleanHexPrefix(topic);
    return "0x" + hex.substring(Math.max(0, hex.length() - 40)).toLowerCase(Locale.ROOT);
  }

  private static void checkResource(String resource) {
    if (resource.length() > MAX_RESOURCE) {
      throw bad("invalid_request", "resource is longer than " + MAX_RESOURCE + " characters");
    }
    try {
      URI u = new URI(resource);
      if (!u.isAbsolute()
          || !List.of("http", "https").contains(u.getScheme().toLowerCase(Locale.ROOT))) {
        throw bad("invalid_request", "resource must be an absolute http(s) URL");
      }
    } catch (java.net.URISyntaxException e) {
      throw bad("invalid_request", "resource is not a URL: " + e.getMessage());
    }
  }

  private static String text(JsonNode req, String field) {
    JsonNode n = req.get(field);
    if (n == null || !n.isTextual()) {
      throw bad("invalid_request", field + " is required (a string)");
    }
    return n.textValue();
  }

  private static RequestException bad(String reason, String message) {
    return new RequestException(400, reason, message);
  }
}
