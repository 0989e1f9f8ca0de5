package io.attest402.erc8004.files;

import java.math.BigInteger;
import java.net.URI;
import java.util.Locale;

/**
 * The spec's optional endpoint-domain check: an endpoint's domain counts as the agent's when it
 * serves {@code /.well-known/agent-registration.json} with a {@code registrations} entry for this
 * agentRegistry and agentId, or when it is the domain that serves the agentURI itself. Over https;
 * over http only where the resolver allows it (loopback, tests).
 */
public final class DomainVerifier {
  public static final String WELL_KNOWN_PATH = "/.well-known/agent-registration.json";

  private final UriResolver resolver;

  public DomainVerifier(UriResolver resolver) {
    this.resolver = resolver;
  }

  /** The outcome for one endpoint domain. */
  public record DomainCheck(String domain, boolean verified, String detail) {}

  public DomainCheck verify(
      String endpoint, String agentURI, String agentRegistry, BigInteger agentId) {
    URI ep;
    try {
      ep = URI.create(endpoint);
    } catch (IllegalArgumentException e) {
      return new DomainCheck(endpoint, false, "endpoint is not a URL");
    }
    String scheme = ep.getScheme() == null ? "" : ep.getScheme().toLowerCase(Locale.ROOT);
    if (ep.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      return new DomainCheck(endpoint, false, "endpoint is not an http(s) URL");
    }
    String domain =
        ep.getHost().toLowerCase(Locale.ROOT) + (ep.getPort() > 0 ? ":" + ep.getPort() : "");
    if (agentURI != null) {
      try {
        URI a = URI.create(agentURI);
        if ("https".equalsIgnoreCase(a.getScheme())
            && a.getHost() != null
            && authority(a).equals(domain)) {
          return new DomainCheck(domain, true, "same domain as the agentURI");
        }
      } catch (IllegalArgumentException ignored) {
        // agentURI is not a URL (data:, ipfs:): no shortcut
      }
    }
    String wellKnown = scheme + "://" + domain + WELL_KNOWN_PATH;
    RegistrationFile file;
    try {
      file = RegistrationFile.parse(resolver.resolve(wellKnown));
    } catch (ResolutionException | IllegalArgumentException e) {
      return new DomainCheck(domain, false, wellKnown + ": " + e.getMessage());
    }
    if (file.listsRegistration(agentRegistry, agentId)) {
      return new DomainCheck(domain, true, wellKnown + " lists " + agentRegistry + " #" + agentId);
    }
    return new DomainCheck(
        domain, false, wellKnown + " does not list " + agentRegistry + " #" + agentId);
  }

  private static String authority(URI u) {
    return u.getHost().toLowerCase(Locale.ROOT) + (u.getPort() > 0 ? ":" + u.getPort() : "");
  }
}
