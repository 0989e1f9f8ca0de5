package io.attest402.demo.provider;

import io.attest402.erc8004.IdentityRegistryClient;
import io.attest402.erc8004.files.RegistrationFile;
import io.attest402.x402.facilitator.FailoverFacilitatorClient;
import io.attest402.x402.facilitator.FailoverFacilitatorClient.Health;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * A facilitator's ERC-8004 identity, as a provider checks it before it settles through it: the
 * registration file the facilitator serves names an agent of this deployment's identity registry,
 * that agent exists, its on-chain agentURI is this facilitator's registration file (so the
 * registration names this URL, not another facilitator's), the file lists this URL as its {@code
 * x402-facilitator} service, and the agent's owner and agentWallet are the key the facilitator's
 * attestation binds (so a relay in front of another facilitator, or a registration made with
 * another key, does not pass). The facilitator registers itself this way at start ({@code
 * Erc8004Registration}).
 */
public final class Erc8004FacilitatorIdentity implements FailoverFacilitatorClient.IdentityCheck {
  static final String REGISTRATION_PATH = "/.well-known/agent-registration.json";
  private static final int MAX_FILE_BYTES = 256 * 1024;

  private final IdentityRegistryClient identity;
  private final String agentRegistry;
  private final HttpClient http;
  private final Function<String, Optional<String>> attestedAddress;
  private final Executor executor;

  /**
   * @param agentRegistry {@code <CAIP-2 network>:<identity registry address>}
   * @param attestedAddress the address of the key a facilitator's attestation binds, once it has
   *     passed the provider's policy (empty: not attested)
   * @param executor where the blocking registry and HTTP reads run
   */
  public Erc8004FacilitatorIdentity(
      IdentityRegistryClient identity,
      String agentRegistry,
      HttpClient http,
      Function<String, Optional<String>> attestedAddress,
      Executor executor) {
    this.identity = Objects.requireNonNull(identity);
    this.agentRegistry = Objects.requireNonNull(agentRegistry);
    this.http = Objects.requireNonNull(http);
    this.attestedAddress = Objects.requireNonNull(attestedAddress);
    this.executor = Objects.requireNonNull(executor);
  }

  @Override
  public CompletableFuture<Health> check(String facilitatorUrl) {
    return CompletableFuture.supplyAsync(() -> checkNow(facilitatorUrl), executor);
  }

  /** The check, blocking. */
  Health checkNow(String facilitatorUrl) {
    String url = facilitatorUrl.replaceAll("/+$", "");
    RegistrationFile file;
    try {
      file = fetch(url);
    } catch (IOException e) {
      return Health.down(e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down("interrupted");
    } catch (RuntimeException e) {
      return Health.down("its registration file is not valid: " + e.getMessage());
    }
    BigInteger agentId =
        file.registrations().stream()
            .filter(r -> agentRegistry.equalsIgnoreCase(r.agentRegistry()))
            .map(RegistrationFile.Registration::agentId)
            .findFirst()
            .orElse(null);
    if (agentId == null) {
      return Health.down("its registration file names no agent in " + agentRegistry);
    }
    try {
      if (!identity.exists(agentId)) {
        return Health.down("agent #" + agentId + " does not exist in " + agentRegistry);
      }
      String onChainUri = identity.agentURI(agentId);
      if (!(url + REGISTRATION_PATH).equals(onChainUri)) {
        return Health.down(
            "agent #"
                + agentId
                + " is registered at "
                + onChainUri
                + ", not at this facilitator ("
                + url
                + ")");
      }
      boolean listsUrl =
          file.services(RegistrationFile.Service.X402_FACILITATOR).stream()
              .anyMatch(s -> url.equals(s.endpoint().replaceAll("/+$", "")));
      if (!listsUrl) {
        return Health.down(
            "agent #" + agentId + "'s registration lists no x402-facilitator service at " + url);
      }
      Optional<String> attested = attestedAddress.apply(url);
      if (attested.isEmpty()) {
        return Health.down("no attested key to compare agent #" + agentId + " with");
      }
      String owner = identity.ownerOf(agentId);
      if (!attested.get().equalsIgnoreCase(owner)) {
        return Health.down(
            "agent #"
                + agentId
                + " is owned by "
                + owner
                + ", not by the attested key "
                + attested.get());
      }
      Optional<String> wallet = identity.agentWallet(agentId);
      if (wallet.isEmpty() || !attested.get().equalsIgnoreCase(wallet.get())) {
        return Health.down(
            "agent #"
                + agentId
                + "'s agentWallet is "
                + wallet.orElse("unset")
                + ", not the attested key "
                + attested.get());
      }
      return new Health(true, "ERC-8004 agent #" + agentId);
    } catch (RuntimeException e) {
      return Health.down("cannot read agent #" + agentId + ": " + e.getMessage());
    }
  }

  private RegistrationFile fetch(String url) throws IOException, InterruptedException {
    HttpResponse<InputStream> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url + REGISTRATION_PATH))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      if (r.statusCode() != 200) {
        throw new IOException(
            "serves no ERC-8004 registration file ("
                + REGISTRATION_PATH
                + " answered "
                + r.statusCode()
                + ")");
      }
      byte[] body = in.readNBytes(MAX_FILE_BYTES + 1);
      if (body.length > MAX_FILE_BYTES) {
        throw new IOException("its registration file is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return RegistrationFile.parse(body);
    }
  }
}
