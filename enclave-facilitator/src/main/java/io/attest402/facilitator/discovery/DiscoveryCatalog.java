package io.attest402.facilitator.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.facilitator.store.SettlementStore;
import io.attest402.x402.codec.X402Json;
import io.attest402.x402.extensions.Bazaar;
import io.attest402.x402.types.PaymentPayload;
import io.attest402.x402.types.PaymentRequirements;
import io.attest402.x402.types.ResourceInfo;
import io.attest402.x402.types.Wire;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bazaar discovery catalog: resources whose payments this facilitator settled and whose 402
 * declared the {@code bazaar} extension, listed at {@code GET /discovery/resources} in the shape
 * {@code @x402/extensions}' {@code withBazaar(HTTPFacilitatorClient).listResources} reads ({@code
 * {x402Version, items: [DiscoveryResource], pagination: {limit, offset, total}}}).
 *
 * <p>Only a settled payment adds an entry, so listing costs at least one real payment; an entry is
 * keyed by (canonical URL, payTo), so a payer naming another provider's URL cannot replace that
 * provider's entry; every field is bounded, and so are the entries per payTo and in all, so nobody
 * can grow the journal without bound. What a catalog entry says is what the paying client echoed: a
 * listing is a pointer to try, never proof of the resource (the payer's 402 is the truth).
 */
public final class DiscoveryCatalog {
  /** Entries in all. */
  public static final int MAX_ENTRIES = 10_000;

  /** Entries per payTo (one provider's routes). */
  public static final int MAX_PER_PAY_TO = 100;

  public static final int MAX_URL_LENGTH = 2048;
  public static final int MAX_DESCRIPTION_LENGTH = 1000;
  public static final int MAX_MIME_TYPE_LENGTH = 200;

  /** The serialized bazaar declaration. */
  public static final int MAX_DECLARATION_BYTES = 8192;

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  private static final Pattern EXTENSION_KEY = Pattern.compile("[a-z0-9-]{1,64}");

  private final SettlementStore store;
  private final Clock clock;

  public DiscoveryCatalog(SettlementStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * The entry a settled payment adds, if its payment declares the bazaar extension within the
   * bounds; empty otherwise (nothing to list, or too large).
   */
  public Optional<SettlementStore.DiscoveryEntry> entryFor(
      PaymentPayload payment, PaymentRequirements requirements) {
    if (payment.x402Version() != 2
        || payment.resource() == null
        || !Bazaar.isDeclared(payment.extensions())) {
      return Optional.empty();
    }
    JsonNode declaration = payment.extensions().get(Bazaar.KEY);
    if (X402Json.write(declaration).getBytes(java.nio.charset.StandardCharsets.UTF_8).length
        > MAX_DECLARATION_BYTES) {
      return Optional.empty();
    }
    ResourceInfo r = payment.resource();
    Optional<String> url = canonical(r.url());
    if (url.isEmpty()
        || length(r.description()) > MAX_DESCRIPTION_LENGTH
        || length(r.mimeType()) > MAX_MIME_TYPE_LENGTH) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    ObjectNode entry = Wire.newObject();
    entry.put("resource", url.get());
    entry.put("type", "http");
    entry.put("x402Version", 2);
    entry.putArray("accepts").add(requirements.toJson());
    entry.put("lastUpdated", now.toString());
    if (r.description() != null && !r.description().isEmpty()) {
      entry.put("description", r.description());
    }
    if (r.mimeType() != null && !r.mimeType().isEmpty()) {
      entry.put("mimeType", r.mimeType());
    }
    entry.putObject("extensions").set(Bazaar.KEY, declaration.deepCopy());
    return Optional.of(
        new SettlementStore.DiscoveryEntry(
            url.get(),
            requirements.payTo().toLowerCase(Locale.ROOT),
            requirements.network(),
            requirements.scheme(),
            List.of(Bazaar.KEY),
            X402Json.write(entry),
            now.toEpochMilli()));
  }

  /**
   * Catalogs a payment that settled, if it declares the extension.
   *
   * @return true when an entry was added or refreshed
   */
  public boolean settled(PaymentPayload payment, PaymentRequirements requirements) {
    return entryFor(payment, requirements)
        .map(e -> store.catalogResource(e, MAX_ENTRIES, MAX_PER_PAY_TO))
        .orElse(false);
  }

  /**
   * {@code GET /discovery/resources}.
   *
   * @throws IllegalArgumentException for a malformed parameter (the route answers 400)
   */
  public ObjectNode list(
      String type,
      String payTo,
      String scheme,
      String network,
      String extension,
      String limit,
      String offset) {
    int lim = limit == null ? DEFAULT_LIMIT : number("limit", limit, 1, MAX_LIMIT);
    long off = offset == null ? 0 : number("offset", offset, 0, Integer.MAX_VALUE);
    if (extension != null && !EXTENSION_KEY.matcher(extension).matches()) {
      throw new IllegalArgumentException("extensions must be an extension key ([a-z0-9-]{1,64})");
    }
    ObjectNode out = Wire.newObject();
    out.put("x402Version", 2);
    ArrayNode items = out.putArray("items");
    long total = 0;
    if (type == null || "http".equals(type)) {
      SettlementStore.DiscoveryPage page =
          store.discoveryResources(
              new SettlementStore.DiscoveryFilter(
                  payTo == null ? null : payTo.toLowerCase(Locale.ROOT),
                  network,
                  scheme,
                  extension),
              lim,
              off);
      page.entries().forEach(e -> items.add(X402Json.parse(e)));
      total = page.total();
    }
    out.putObject("pagination").put("limit", lim).put("offset", off).put("total", total);
    return out;
  }

  private static int number(String name, String v, int min, int max) {
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException(
        name + " must be an integer from " + min + " to " + max + ", not " + v);
  }

  /**
   * Origin and path, as the official catalog keys a resource ({@code extractDiscoveryInfo}); only
   * absolute http(s) URLs with a host.
   */
  static Optional<String> canonical(String url) {
    if (url == null || url.length() > MAX_URL_LENGTH) {
      return Optional.empty();
    }
    try {
      URI u = new URI(url);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https"))
          || u.getHost() == null
          || u.getRawUserInfo() != null) {
        return Optional.empty();
      }
      String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
      int port = u.getPort();
      boolean defaultPort =
          port == -1
              || (scheme.equals("http") && port == 80)
              || (scheme.equals("https") && port == 443);
      return Optional.of(
          scheme
              + "://"
              + u.getHost().toLowerCase(Locale.ROOT)
              + (defaultPort ? "" : ":" + port)
              + path);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }
}
