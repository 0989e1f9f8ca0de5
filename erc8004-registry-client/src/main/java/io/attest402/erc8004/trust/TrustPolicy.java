package io.attest402.erc8004.trust;

import io.attest402.enclave.AttestationChecker;
import io.attest402.enclave.AttestationDocument;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.RegistryException;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.ValidationStatus;
import io.attest402.erc8004.files.Caip10;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.reputation.PaymentBackedSummary;
import io.attest402.erc8004.reputation.ReputationService;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.web3j.utils.Numeric;

/**
 * The trust decision an agent makes before it pays, from plain offer facts ({@link TrustQuery}) and
 * its own requirements ({@link TrustRequirements}). Checks, each reported pass / fail / skipped
 * with its reason:
 *
 * <ol>
 *   <li>{@code provider.identity}: the provider agent exists (named, or found by its agentWallet =
 *       payTo);
 *   <li>{@code provider.registration}: its registration file resolves, is active and lists this
 *       agent;
 *   <li>{@code provider.payTo}: payTo is its agentWallet (on the registry's chain), or a CAIP-10
 *       {@code agentWallet} service entry of the file for the offer's network;
 *   <li>{@code provider.reputation}: payment-backed reputation meets the minimum count and score;
 *   <li>{@code facilitator.identity}: the facilitator agent exists and its registration file lists
 *       the URL;
 *   <li>{@code facilitator.attestation}: its live attestation (fresh nonce) verifies under the
 *       payer's policy and binds the signer key;
 *   <li>{@code facilitator.signer}: the attested signer is the facilitator agent's agentWallet;
 *   <li>{@code facilitator.boundSigner} (only for a query with a {@link TrustQuery#boundSigner}):
 *       that address is one of the signers the live attestation binds;
 *   <li>{@code facilitator.validation}: a recent enough {@code tee-attestation} validation from a
 *       trusted validator passed.
 * </ol>
 */
public final class TrustPolicy {
  private final Erc8004Client client;
  private final UriResolver resolver;
  private final ReputationService reputation;
  private final Function<String, List<BigInteger>> agentsByWallet;
  private final TrustRequirements req;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final java.net.URI pccs;

  /**
   * @param agentsByWallet finds agentIds whose agentWallet is an address (e.g. a {@code
   *     RegistryIndexer} search); null when the payer always knows the provider's agentId
   */
  public TrustPolicy(
      Erc8004Client client,
      UriResolver resolver,
      ReputationService reputation,
      Function<String, List<BigInteger>> agentsByWallet,
      TrustRequirements requirements,
      Clock clock) {
    this.client = Objects.requireNonNull(client);
    this.resolver = Objects.requireNonNull(resolver);
    this.reputation = Objects.requireNonNull(reputation);
    this.agentsByWallet = agentsByWallet;
    this.req = Objects.requireNonNull(requirements);
    this.clock = Objects.requireNonNull(clock);
    AttestationChecker.requirePinned(requirements.attestationPolicy());
    this.pccs = requirements.pccs();
  }

  public TrustDecision evaluate(TrustQuery q) {
    List<TrustCheck> checks = new ArrayList<>();
    BigInteger provider = providerIdentity(q, checks);
    if (provider != null) {
      RegistrationFile file = registration("provider", provider, checks);
      payTo(q, provider, file, checks);
      reputation(provider, checks);
    } else {
      checks.add(TrustCheck.skipped("provider.registration", "no provider identity"));
      checks.add(
          TrustCheck.fail("provider.payTo", "payTo " + q.payTo() + " belongs to no known agent"));
      checks.add(TrustCheck.skipped("provider.reputation", "no provider identity"));
    }
    facilitator(q, checks);
    return TrustDecision.of(provider, checks);
  }

  // ---------------------------------------------------------------------------------------------
  // provider

  private BigInteger providerIdentity(TrustQuery q, List<TrustCheck> checks) {
    String name = "provider.identity";
    BigInteger id = q.providerAgentId();
    if (id == null) {
      if (agentsByWallet == null) {
        checks.add(
            TrustCheck.fail(
                name, "the offer names no provider agentId and no agent directory is configured"));
        return null;
      }
      List<BigInteger> found = agentsByWallet.apply(q.payTo());
      if (found.isEmpty()) {
        checks.add(TrustCheck.fail(name, "no registered agent has agentWallet " + q.payTo()));
        return null;
      }
      id = found.get(0);
    }
    try {
      String owner = client.identity().ownerOf(id);
      checks.add(
          TrustCheck.pass(
              name,
              "agent " + id + " on " + client.addresses().agentRegistry() + ", owner " + owner));
      return id;
    } catch (RegistryException e) {
      checks.add(TrustCheck.fail(name, "agent " + id + " does not resolve: " + e.getMessage()));
      return null;
    }
  }

  private RegistrationFile registration(String who, BigInteger id, List<TrustCheck> checks) {
    String name = who + ".registration";
    String uri;
    try {
      uri = client.identity().agentURI(id);
    } catch (RegistryException e) {
      checks.add(TrustCheck.fail(name, "cannot read agentURI: " + e.getMessage()));
      return null;
    }
    if (uri.isBlank()) {
      checks.add(TrustCheck.fail(name, "agent " + id + " has no agentURI"));
      return null;
    }
    RegistrationFile f;
    try {
      f = RegistrationFile.parse(resolver.resolve(uri));
    } catch (ResolutionException | IllegalArgumentException e) {
      checks.add(TrustCheck.fail(name, "registration file unavailable: " + e.getMessage()));
      return null;
    }
    if (req.requireActive() && Boolean.FALSE.equals(f.active())) {
      checks.add(TrustCheck.fail(name, "registration file says active: false"));
      return f;
    }
    if (!f.registrations().isEmpty()
        && !f.listsRegistration(client.addresses().agentRegistry(), id)) {
      checks.add(
          TrustCheck.fail(
              name,
              "registration file does not list "
                  + client.addresses().agentRegistry()
                  + " #"
                  + id
                  + " (it belongs to another agent)"));
      return f;
    }
    checks.add(
        TrustCheck.pass(
            name,
            "'"
                + f.name()
                + "'"
                + (f.registrations().isEmpty() ? " (the file lists no registrations)" : "")));
    return f;
  }

  private void payTo(TrustQuery q, BigInteger id, RegistrationFile file, List<TrustCheck> checks) {
    String name = "provider.payTo";
    if (q.network().equals(client.addresses().network())) {
      Optional<String> wallet;
      try {
        wallet = client.identity().agentWallet(id);
      } catch (RegistryException e) {
        checks.add(TrustCheck.fail(name, "cannot read agentWallet: " + e.getMessage()));
        return;
      }
      if (wallet.isEmpty()) {
        checks.add(TrustCheck.fail(name, "agent " + id + " has no verified agentWallet"));
      } else if (wallet.get().equalsIgnoreCase(q.payTo())) {
        checks.add(
            TrustCheck.pass(name, "payTo is the agent's verified agentWallet " + wallet.get()));
      } else {
        checks.add(
            TrustCheck.fail(
                name, "payTo " + q.payTo() + " is not the agent's agentWallet " + wallet.get()));
      }
      return;
    }
    if (file != null) {
      for (Caip10 w : file.agentWallets()) {
        if (w.is(q.network(), q.payTo())) {
          checks.add(
              TrustCheck.pass(
                  name, "payTo is the agentWallet the registration file lists for " + q.network()));
          return;
        }
      }
    }
    checks.add(
        TrustCheck.fail(
            name,
            "the offer pays on "
                + q.network()
                + ", the registry is on "
                + client.addresses().network()
                + ", and the registration file lists no agentWallet "
                + q.payTo()
                + " for "
                + q.network()));
  }

  private void reputation(BigInteger id, List<TrustCheck> checks) {
    String name = "provider.reputation";
    PaymentBackedSummary s;
    try {
      s = reputation.paymentBacked(id, req.reputationTag1(), req.reputationTag2(), null);
    } catch (RegistryException e) {
      checks.add(TrustCheck.fail(name, "cannot read reputation: " + e.getMessage()));
      return;
    }
    String detail =
        s.summary().count()
            + " payment-backed feedback (of "
            + s.totalFeedback()
            + "), average "
            + s.summary().average().toPlainString();
    if (s.summary().count() < req.minPaymentBackedCount()) {
      checks.add(
          TrustCheck.fail(
              name, detail + "; at least " + req.minPaymentBackedCount() + " required"));
    } else if (req.minPaymentBackedScore() != null
        && s.summary().count() > 0
        && s.summary().average().compareTo(req.minPaymentBackedScore()) < 0) {
      checks.add(
          TrustCheck.fail(
              name,
              detail + "; at least " + req.minPaymentBackedScore().toPlainString() + " required"));
    } else if (req.minPaymentBackedScore() != null && s.summary().count() == 0) {
      checks.add(
          TrustCheck.fail(
              name,
              detail
                  + "; a score of "
                  + req.minPaymentBackedScore().toPlainString()
                  + " is required and there is none"));
    } else {
      checks.add(TrustCheck.pass(name, detail));
    }
  }

  // ------------------------------------------------------------------------------------------
  // facilitator

  private void facilitator(TrustQuery q, List<TrustCheck> checks) {
    BigInteger fid = q.facilitatorAgentId();
    String facilitatorWallet = null;
    if (fid == null) {
      checks.add(
          req.trustedValidators().isEmpty()
              ? TrustCheck.skipped("facilitator.identity", "the offer names no facilitator agentId")
              : TrustCheck.fail(
                  "facilitator.identity",
                  "validation is required but the offer names no facilitator " + "agentId"));
    } else {
      try {
        client.identity().ownerOf(fid);
        facilitatorWallet = client.identity().agentWallet(fid).orElse(null);
        RegistrationFile f = registrationQuiet(fid);
        if (q.facilitatorUrl() != null && f != null && !listsUrl(f, q.facilitatorUrl())) {
          checks.add(
              TrustCheck.fail(
                  "facilitator.identity",
                  "facilitator agent "
                      + fid
                      + "'s registration file does not list "
                      + q.facilitatorUrl()));
        } else {
          checks.add(
              TrustCheck.pass(
                  "facilitator.identity",
                  "agent "
                      + fid
                      + ", agentWallet "
                      + facilitatorWallet
                      + (f == null ? " (registration file unavailable)" : ", '" + f.name() + "'")));
        }
      } catch (RegistryException e) {
        checks.add(
            TrustCheck.fail(
                "facilitator.identity",
                "facilitator agent " + fid + " does not resolve: " + e.getMessage()));
        fid = null;
      }
    }

    String signer = null;
    List<String> attestedSigners = List.of();
    if (req.attestationPolicy() == null) {
      checks.add(
          TrustCheck.skipped(
              "facilitator.attestation", "the payer's policy does not check attestation"));
    } else if (q.facilitatorUrl() == null) {
      checks.add(
          TrustCheck.fail("facilitator.attestation", "the offer names no facilitator to attest"));
    } else {
      byte[] nonce = new byte[32];
      random.nextBytes(nonce);
      String base =
          q.facilitatorUrl().endsWith("/")
              ? q.facilitatorUrl().substring(0, q.facilitatorUrl().length() - 1)
              : q.facilitatorUrl();
      String url = base + "/attestation?nonce=" + Numeric.toHexStringNoPrefix(nonce);
      try {
        String json = new String(resolver.resolve(url), StandardCharsets.UTF_8);
        AttestationChecker.Result r;
        try {
          r =
              AttestationChecker.checkWithPccs(
                  AttestationDocument.fromJson(json),
                  pccs,
                  clock,
                  clock.instant(),
                  req.attestationPolicy(),
                  nonce);
        } catch (IllegalArgumentException e) {
          r =
              new AttestationChecker.Result(
                  false, List.of(e.getMessage()), null, null, false, null, null, null);
        }
        if (r.ok()) {
          signer = r.address();
          attestedSigners = r.signers();
          checks.add(TrustCheck.pass("facilitator.attestation", r.summary()));
        } else {
          checks.add(TrustCheck.fail("facilitator.attestation", r.summary()));
        }
      } catch (ResolutionException e) {
        checks.add(
            TrustCheck.fail(
                "facilitator.attestation", "cannot fetch " + url + ": " + e.getMessage()));
      }
    }

    if (signer == null || fid == null) {
      checks.add(
          TrustCheck.skipped(
              "facilitator.signer",
              signer == null
                  ? "no verified attested signer"
                  : "no facilitator identity to compare with"));
    } else if (facilitatorWallet != null && facilitatorWallet.equalsIgnoreCase(signer)) {
      checks.add(
          TrustCheck.pass(
              "facilitator.signer",
              "attested signer " + signer + " is the facilitator agent's " + "agentWallet"));
    } else {
      checks.add(
          TrustCheck.fail(
              "facilitator.signer",
              "attested signer "
                  + signer
                  + " is not the facilitator agent's agentWallet "
                  + facilitatorWallet));
    }

    if (q.boundSigner() != null) {
      boundSigner(q.boundSigner(), signer, attestedSigners, checks);
    }
    validation(fid, checks);
  }

  private static void boundSigner(
      String bound, String signer, List<String> attested, List<TrustCheck> checks) {
    String name = "facilitator.boundSigner";
    if (signer == null) {
      // the attestation check failed (so does the decision) or the payer does not check it
      checks.add(
          TrustCheck.skipped(
              name, "the payment is bound to " + bound + "; no attested signer to compare with"));
    } else if (attested.stream().anyMatch(bound::equalsIgnoreCase)) {
      checks.add(
          TrustCheck.pass(name, "bound signer " + bound + " is attested by the facilitator"));
    } else {
      checks.add(
          TrustCheck.fail(
              name,
              "the payment is bound to "
                  + bound
                  + ", which is not among the facilitator's attested signers "
                  + attested));
    }
  }

  private void validation(BigInteger fid, List<TrustCheck> checks) {
    String name = "facilitator.validation";
    if (req.trustedValidators().isEmpty()) {
      checks.add(TrustCheck.skipped(name, "the payer trusts no validators"));
      return;
    }
    if (fid == null) {
      checks.add(TrustCheck.fail(name, "no facilitator identity to look up validations for"));
      return;
    }
    Map<String, ValidationStatus> latest = new HashMap<>();
    try {
      for (String h : client.validation().getAgentValidations(fid)) {
        ValidationStatus s =
            client.validation().getValidationStatus(Numeric.hexStringToByteArray(h));
        if (!ValidationRegistryClient.TAG_TEE_ATTESTATION.equals(s.tag())) {
          continue;
        }
        String v = s.validator().toLowerCase(Locale.ROOT);
        if (req.trustedValidators().stream().noneMatch(t -> t.equalsIgnoreCase(v))) {
          continue;
        }
        ValidationStatus prev = latest.get(v);
        if (prev == null || s.lastUpdate() >= prev.lastUpdate()) {
          latest.put(v, s);
        }
      }
    } catch (RegistryException e) {
      checks.add(TrustCheck.fail(name, "cannot read validations: " + e.getMessage()));
      return;
    }
    long now = clock.instant().getEpochSecond();
    List<String> notes = new ArrayList<>();
    for (ValidationStatus s : latest.values()) {
      boolean fresh =
          req.maxValidationAge() == null
              || now - s.lastUpdate() <= req.maxValidationAge().getSeconds();
      if (s.response() >= req.minValidationResponse() && fresh) {
        checks.add(
            TrustCheck.pass(
                name,
                "tee-attestation "
                    + s.response()
                    + " from trusted validator "
                    + s.validator()
                    + " (request "
                    + s.requestHash()
                    + ")"));
        return;
      }
      notes.add(s.validator() + " answered " + s.response() + (fresh ? "" : " too long ago"));
    }
    checks.add(
        TrustCheck.fail(
            name,
            latest.isEmpty()
                ? "no tee-attestation validation from a trusted validator"
                : "no passing tee-attestation validation: " + String.join(", ", notes)));
  }

  private RegistrationFile registrationQuiet(BigInteger id) {
    try {
      String uri = client.identity().agentURI(id);
      return uri.isBlank() ? null : RegistrationFile.parse(resolver.resolve(uri));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean listsUrl(RegistrationFile f, String url) {
    String want = authority(url);
    return want != null
        && f.services().stream()
            .anyMatch(s -> s.endpoint() != null && want.equals(authority(s.endpoint())));
  }

  private static String authority(String url) {
    try {
      URI u = URI.create(url);
      return u.getHost() == null ? null : u.getHost().toLowerCase(Locale.ROOT) + ":" + u.getPort();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
