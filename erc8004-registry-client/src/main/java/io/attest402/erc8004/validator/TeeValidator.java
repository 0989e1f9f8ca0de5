package io.attest402.erc8004.validator;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.enclave.AttestationChecker;
import io.attest402.erc8004.Erc8004Client;
import io.attest402.erc8004.RegistryException;
import io.attest402.erc8004.ValidationRegistryClient;
import io.attest402.erc8004.ValidationStatus;
import io.attest402.erc8004.files.DataUris;
import io.attest402.erc8004.files.Json;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.erc8004.files.ResolutionException;
import io.attest402.erc8004.files.UriResolver;
import io.attest402.erc8004.index.IndexedValidation;
import io.attest402.erc8004.index.RegistryIndexer;
import io.attest402.verifier.VerificationPolicy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * A TEE-attestation validator: watches ValidationRequests addressed to its account, fetches the
 * agent's facilitator attestation ({@code GET <url>?nonce=<requestHash>}), verifies it under its
 * policy with the key binding (quote verifies, report data binds the served key and the nonce) and
 * checks that the attested signer is the agent's on-chain agentWallet (or owner, when no wallet is
 * set). Answers {@code validationResponse} 100 (pass) or 0 (fail) with tag {@code tee-attestation}
 * and a {@code data:} URI report of the verdict whose keccak256 is the responseHash.
 *
 * <p>Where the attestation is: the request document's {@code attestationUrl} ({@link
 * ValidationRequestDocument}), or a requestURI that is itself an http(s) URL, or the agent's
 * registration file: an {@code attestation} service endpoint, else an {@code x402-facilitator}
 * endpoint + {@code /attestation}.
 */
public final class TeeValidator {
  private static final Logger log = LoggerFactory.getLogger(TeeValidator.class);
  public static final String TAG = ValidationRegistryClient.TAG_TEE_ATTESTATION;
  public static final String REPORT_TYPE = "attest402-tee-validation-report-v1";

  private final Erc8004Client client;
  private final RegistryIndexer indexer;
  private final UriResolver resolver;
  private final VerificationPolicy policy;
  private final Clock clock;
  private final String me;
  private final java.net.URI pccs;

  /**
   * @param client a client whose signer is the validator's account
   */
  public TeeValidator(
      Erc8004Client client,
      RegistryIndexer indexer,
      UriResolver resolver,
      VerificationPolicy policy,
      Clock clock) {
    this(client, indexer, resolver, policy, clock, null);
  }

  /**
   * @param client a client whose signer is the validator's account
   * @param policy must pin a measurement, or say allowAnyMeasurement (IllegalArgumentException
   *     otherwise)
   * @param pccs PCS/PCCS to fetch each quote's collateral from; null = verify the collateral the
   *     facilitator serves
   */
  public TeeValidator(
      Erc8004Client client,
      RegistryIndexer indexer,
      UriResolver resolver,
      VerificationPolicy policy,
      Clock clock,
      java.net.URI pccs) {
    AttestationChecker.requirePinned(policy);
    this.pccs = pccs;
    this.client = client;
    this.indexer = indexer;
    this.resolver = resolver;
    this.policy = policy;
    this.clock = clock;
    this.me =
        client
            .signerAddress()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "the validator needs a signer (its account answers the requests)"));
  }

  public String address() {
    return me;
  }

  /**
   * Syncs the index and answers every pending request addressed to this validator; returns what it
   * did.
   */
  public List<ValidationOutcome> runOnce() {
    indexer.sync();
    List<ValidationOutcome> done = new ArrayList<>();
    for (IndexedValidation v : indexer.validations(me, null)) {
      if (answered(v)) {
        continue;
      }
      ValidationOutcome checked = check(v.requestHash(), v.agentId(), v.requestURI());
      try {
        ValidationRegistryClient.Response r =
            client
                .validation()
                .validationResponse(
                    Numeric.hexStringToByteArray(v.requestHash()),
                    checked.response(),
                    DataUris.json(checked.reportJson().getBytes(StandardCharsets.UTF_8)),
                    Hash.sha3(checked.reportJson().getBytes(StandardCharsets.UTF_8)),
                    TAG);
        ValidationOutcome sent =
            new ValidationOutcome(
                checked.requestHash(),
                checked.agentId(),
                checked.response(),
                checked.attestationUrl(),
                checked.signerAddress(),
                checked.simulated(),
                checked.reasons(),
                checked.reportJson(),
                r.txHash());
        log.info(
            "validation {} of agent {}: {} {}",
            v.requestHash(),
            v.agentId(),
            sent.response(),
            sent.passed() ? "(pass)" : sent.reasons());
        done.add(sent);
      } catch (RegistryException e) {
        log.warn("cannot answer validation request {}: {}", v.requestHash(), e.getMessage());
      }
    }
    return done;
  }

  /**
   * Runs {@link #runOnce()} every {@code poll} until {@code stop} says so (or the thread is
   * interrupted).
   */
  public void run(Duration poll, BooleanSupplier stop) {
    while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      try {
        runOnce();
      } catch (RuntimeException e) {
        log.warn("validator step failed (will retry): {}", e.toString());
      }
      try {
        Thread.sleep(poll.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private boolean answered(IndexedValidation v) {
    if (v.responses().stream().anyMatch(r -> r.validator().equalsIgnoreCase(me))) {
      return true;
    }
    try {
      // The index may lag behind our own answer by its confirmations: ask the registry too.
      ValidationStatus s =
          client.validation().getValidationStatus(Numeric.hexStringToByteArray(v.requestHash()));
      return !s.tag().isEmpty() || s.response() != 0;
    } catch (RegistryException e) {
      return false;
    }
  }

  /** Checks one request without answering it. */
  public ValidationOutcome check(String requestHash, BigInteger agentId, String requestURI) {
    List<String> reasons = new ArrayList<>();
    ObjectNode report = Json.MAPPER.createObjectNode();
    report.put("type", REPORT_TYPE);
    report.put("agentRegistry", client.addresses().agentRegistry());
    report.put("agentId", agentId);
    report.put("requestHash", requestHash);
    report.put("validator", me);
    report.put("checkedAt", clock.instant().toString());

    String wallet = null;
    String owner = null;
    RegistrationFile file = null;
    try {
      owner = client.identity().ownerOf(agentId);
      wallet = client.identity().agentWallet(agentId).orElse(null);
      String uri = client.identity().agentURI(agentId);
      if (!uri.isBlank()) {
        try {
          file = RegistrationFile.parse(resolver.resolve(uri));
        } catch (ResolutionException | IllegalArgumentException e) {
          reasons.add("registration file unavailable: " + e.getMessage());
        }
      }
    } catch (RegistryException e) {
      reasons.add("agent " + agentId + " does not resolve: " + e.getMessage());
    }

    Optional<String> url = attestationUrl(requestHash, requestURI, file, reasons);
    url.ifPresent(u -> report.put("attestationUrl", u));
    String signer = null;
    boolean simulated = false;
    if (url.isEmpty()) {
      reasons.add(
          "no attestation URL: neither the request nor the agent's registration file names one");
    } else if (owner != null) {
      byte[] nonce = Numeric.hexStringToByteArray(requestHash);
      String fetchUrl =
          url.get()
              + (url.get().contains("?") ? "&" : "?")
              + "nonce="
              + Numeric.toHexStringNoPrefix(nonce);
      try {
        String json = new String(resolver.resolve(fetchUrl), StandardCharsets.UTF_8);
        AttestationChecker.Result r;
        try {
          r =
              AttestationChecker.checkWithPccs(
                  io.attest402.enclave.AttestationDocument.fromJson(json),
                  pccs,
                  clock,
                  clock.instant(),
                  policy,
                  nonce);
        } catch (IllegalArgumentException e) {
          r =
              new AttestationChecker.Result(
                  false, List.of(e.getMessage()), null, null, false, null, null, null);
        }
        signer = r.address();
        simulated = r.simulated();
        reasons.addAll(r.reasons());
        report.put("teeType", r.teeType());
        report.put("simulated", r.simulated());
        report.put("signerAddress", r.address());
        report.put(
            "collateralSource",
            pccs == null ? "served by the facilitator" : "fetched from the PCCS");
        // Which code the validator accepted: the quote's measurement, and whether the policy pinned
        // it.
        if (r.measurement() != null) {
          report.set("measurement", Json.MAPPER.valueToTree(r.measurement()));
        }
        report.put("measurementPinned", r.measurementPinned());
        if (r.ok() && !r.measurementPinned()) {
          report.put(
              "warning",
              "MEASUREMENT NOT PINNED: the validator's policy accepts any enclave "
                  + "(--allow-any-measurement)");
        }
        if (r.verdict() != null) {
          report.set("verdict", Json.parse(r.verdict().toJson()));
        }
        String expected = wallet != null ? wallet : owner;
        if (signer != null && !signer.equalsIgnoreCase(expected)) {
          reasons.add(
              "attested signer "
                  + signer
                  + " is not the agent's "
                  + (wallet != null ? "agentWallet " : "owner ")
                  + expected);
        }
      } catch (ResolutionException e) {
        reasons.add("attestation unavailable: " + e.getMessage());
      }
    }
    int response = reasons.isEmpty() ? 100 : 0;
    report.put("result", response == 100 ? "pass" : "fail");
    report.put("response", response);
    ArrayNode rs = report.putArray("reasons");
    reasons.forEach(rs::add);
    return new ValidationOutcome(
        requestHash,
        agentId,
        response,
        url.orElse(null),
        signer,
        simulated,
        List.copyOf(reasons),
        Json.write(report),
        null);
  }

  private Optional<String> attestationUrl(
      String requestHash, String requestURI, RegistrationFile file, List<String> reasons) {
    if (requestURI != null && !requestURI.isBlank()) {
      String lower = requestURI.toLowerCase(Locale.ROOT);
      if ((lower.startsWith("https://") || lower.startsWith("http://"))
          && lower.contains("/attestation")) {
        return Optional.of(requestURI);
      }
      try {
        byte[] bytes = resolver.resolve(requestURI);
        Optional<ValidationRequestDocument> doc = ValidationRequestDocument.parse(bytes);
        if (doc.isPresent()) {
          if (!Numeric.toHexString(Hash.sha3(bytes)).equalsIgnoreCase(requestHash)) {
            reasons.add("requestHash is not keccak256 of the request document");
          }
          if (doc.get().attestationUrl() != null) {
            return Optional.of(doc.get().attestationUrl());
          }
        }
      } catch (ResolutionException e) {
        log.debug("requestURI {} does not resolve: {}", requestURI, e.getMessage());
      }
    }
    if (file != null) {
      Optional<RegistrationFile.Service> att = file.service(RegistrationFile.Service.ATTESTATION);
      if (att.isPresent() && att.get().endpoint() != null) {
        return Optional.of(att.get().endpoint());
      }
      Optional<RegistrationFile.Service> fac =
          file.service(RegistrationFile.Service.X402_FACILITATOR);
      if (fac.isPresent() && fac.get().endpoint() != null) {
        String base = fac.get().endpoint();
        return Optional.of(
            (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/attestation");
      }
    }
    return Optional.empty();
  }
}
