package io.attest402.demo.provider;

import io.attest402.contracts.chain.Deployment;
import io.attest402.demo.summary.Summarizer;
import java.nio.file.Path;
import java.util.Objects;
import org.web3j.crypto.Credentials;

/**
 * How a summary provider runs.
 *
 * @param deployment where the token and registries are
 * @param facilitatorUrl the facilitator it settles through
 * @param host interface to listen on
 * @param port port (0 = any free one)
 * @param publicUrl the URL others reach it at (null = {@code http://host:port})
 * @param providerKey its ERC-8004 identity owner and {@code payTo}
 * @param dataDir where it remembers its agentId across restarts
 * @param pricing price per document size
 * @param summarizer how summaries are written
 * @param devPayerKey on dev chains only: the key the web page pays with (null = the page cannot
 *     pay)
 * @param payTo where payments go; null = the provider's own address, which it registers as its
 *     agentWallet. (A different address is what a payer's trust check must catch: the demo's
 *     untrustworthy provider uses it.)
 * @param attestationPolicy the policy the web page's facilitator check ({@code GET /trust}) applies
 *     to the served attestation and its served collateral; null = strict defaults (which pin
 *     nothing, so the page says so)
 * @param fallbackFacilitatorUrls facilitators to fail over to, in order, after {@code
 *     facilitatorUrl} (empty = that one only)
 * @param pccs PCS/PCCS (Intel PCS v4 API) to fetch each facilitator quote's collateral from; null =
 *     verify the collateral the facilitator serves (both are Intel-signed and verified alike)
 * @param uptoSigner the facilitator signer {@code upto} offers are bound to ({@code
 *     extra.facilitatorAddress}); null = the one the named facilitator's {@code /supported} upto
 *     kind names, as it must be. (Another address is what a payer's trust check must catch: tests
 *     use it.)
 */
public record ProviderConfig(
    Deployment deployment,
    String facilitatorUrl,
    String host,
    int port,
    String publicUrl,
    Credentials providerKey,
    Path dataDir,
    Pricing pricing,
    Summarizer summarizer,
    Credentials devPayerKey,
    String payTo,
    io.attest402.verifier.VerificationPolicy attestationPolicy,
    java.util.List<String> fallbackFacilitatorUrls,
    java.net.URI pccs,
    String uptoSigner) {
  /** Binding upto offers to the signer the facilitator names. */
  public ProviderConfig(
      Deployment deployment,
      String facilitatorUrl,
      String host,
      int port,
      String publicUrl,
      Credentials providerKey,
      Path dataDir,
      Pricing pricing,
      Summarizer summarizer,
      Credentials devPayerKey,
      String payTo,
      io.attest402.verifier.VerificationPolicy attestationPolicy,
      java.util.List<String> fallbackFacilitatorUrls,
      java.net.URI pccs) {
    this(
        deployment,
        facilitatorUrl,
        host,
        port,
        publicUrl,
        providerKey,
        dataDir,
        pricing,
        summarizer,
        devPayerKey,
        payTo,
        attestationPolicy,
        fallbackFacilitatorUrls,
        pccs,
        null);
  }

  /** Verifying the collateral each facilitator serves. */
  public ProviderConfig(
      Deployment deployment,
      String facilitatorUrl,
      String host,
      int port,
      String publicUrl,
      Credentials providerKey,
      Path dataDir,
      Pricing pricing,
      Summarizer summarizer,
      Credentials devPayerKey,
      String payTo,
      io.attest402.verifier.VerificationPolicy attestationPolicy,
      java.util.List<String> fallbackFacilitatorUrls) {
    this(
        deployment,
        facilitatorUrl,
        host,
        port,
        publicUrl,
        providerKey,
        dataDir,
        pricing,
        summarizer,
        devPayerKey,
        payTo,
        attestationPolicy,
        fallbackFacilitatorUrls,
        null,
        null);
  }

  /** This configuration with upto offers bound to {@code signer} (see {@code uptoSigner}). */
  public ProviderConfig withUptoSigner(String signer) {
    return new ProviderConfig(
        deployment,
        facilitatorUrl,
        host,
        port,
        publicUrl,
        providerKey,
        dataDir,
        pricing,
        summarizer,
        devPayerKey,
        payTo,
        attestationPolicy,
        fallbackFacilitatorUrls,
        pccs,
        signer);
  }

  /** This configuration summarizing with {@code s}. */
  public ProviderConfig withSummarizer(Summarizer s) {
    return new ProviderConfig(
        deployment,
        facilitatorUrl,
        host,
        port,
        publicUrl,
        providerKey,
        dataDir,
        pricing,
        s,
        devPayerKey,
        payTo,
        attestationPolicy,
        fallbackFacilitatorUrls,
        pccs,
        uptoSigner);
  }

  public ProviderConfig {
    if (attestationPolicy == null) {
      attestationPolicy = io.attest402.verifier.VerificationPolicy.defaults();
    }
    Objects.requireNonNull(deployment, "deployment");
    Objects.requireNonNull(facilitatorUrl, "facilitatorUrl");
    Objects.requireNonNull(providerKey, "providerKey");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(pricing, "pricing");
    Objects.requireNonNull(summarizer, "summarizer");
    facilitatorUrl = facilitatorUrl.replaceAll("/+$", "");
    fallbackFacilitatorUrls =
        fallbackFacilitatorUrls == null
            ? java.util.List.of()
            : fallbackFacilitatorUrls.stream().map(u -> u.replaceAll("/+$", "")).toList();
    if (payTo == null) {
      payTo = providerKey.getAddress();
    }
  }

  /** Every facilitator, in order of preference. */
  public java.util.List<String> facilitatorUrls() {
    java.util.List<String> all = new java.util.ArrayList<>();
    all.add(facilitatorUrl);
    all.addAll(fallbackFacilitatorUrls);
    return java.util.List.copyOf(all);
  }
}
