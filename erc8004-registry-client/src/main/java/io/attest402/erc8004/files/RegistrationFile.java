package io.attest402.erc8004.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The ERC-8004 agent registration file (2026-01-25 text). {@link #parse} is lenient: it also reads
 * the legacy {@code endpoints} (for {@code services}), {@code supportedTrusts} (for {@code
 * supportedTrust}), {@code x402support}, string agentIds, and keeps CAIP-10 {@code agentWallet}
 * service entries. {@link #toJson} is strict: only the spec's key names, in the spec's order,
 * followed by any extension keys the file carried.
 */
public record RegistrationFile(
    String type,
    String name,
    String description,
    String image,
    List<Service> services,
    Boolean x402Support,
    Boolean active,
    List<Registration> registrations,
    List<String> supportedTrust,
    Map<String, JsonNode> extensions) {

  public static final String TYPE = "https://eips.ethereum.org/EIPS/eip-8004#registration-v1";

  /** supportedTrust values named by the spec. */
  public static final String TRUST_REPUTATION = "reputation";

  public static final String TRUST_CRYPTO_ECONOMIC = "crypto-economic";
  public static final String TRUST_TEE_ATTESTATION = "tee-attestation";

  private static final Set<String> KNOWN =
      Set.of(
          "type",
          "name",
          "description",
          "image",
          "services",
          "endpoints",
          "x402Support",
          "x402support",
          "active",
          "registrations",
          "supportedTrust",
          "supportedTrusts");

  public RegistrationFile {
    services = services == null ? List.of() : List.copyOf(services);
    registrations = registrations == null ? List.of() : List.copyOf(registrations);
    supportedTrust = supportedTrust == null ? List.of() : List.copyOf(supportedTrust);
    extensions =
        extensions == null
            ? Map.of()
            : Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
  }

  /** One {@code registrations} entry: the agent on some chain's identity registry. */
  public record Registration(BigInteger agentId, String agentRegistry) {}

  /** A new file with the spec type and no registrations yet. */
  public static RegistrationFile of(
      String name,
      String description,
      String image,
      List<Service> services,
      boolean x402Support,
      List<String> supportedTrust) {
    return new RegistrationFile(
        TYPE,
        name,
        description,
        image,
        services,
        x402Support,
        true,
        List.of(),
        supportedTrust,
        Map.of());
  }

  public RegistrationFile withRegistration(BigInteger agentId, String agentRegistry) {
    List<Registration> r = new ArrayList<>(registrations);
    r.removeIf(x -> x.agentRegistry().equalsIgnoreCase(agentRegistry));
    r.add(new Registration(agentId, agentRegistry));
    return new RegistrationFile(
        type,
        name,
        description,
        image,
        services,
        x402Support,
        active,
        r,
        supportedTrust,
        extensions);
  }

  /** Services named {@code name} (case-insensitive). */
  public List<Service> services(String serviceName) {
    List<Service> out = new ArrayList<>();
    for (Service s : services) {
      if (s.name() != null && s.name().equalsIgnoreCase(serviceName)) {
        out.add(s);
      }
    }
    return out;
  }

  public Optional<Service> service(String serviceName) {
    List<Service> s = services(serviceName);
    return s.isEmpty() ? Optional.empty() : Optional.of(s.get(0));
  }

  /**
   * CAIP-10 wallets advertised in {@code agentWallet} service entries (malformed entries skipped).
   */
  public List<Caip10> agentWallets() {
    List<Caip10> out = new ArrayList<>();
    for (Service s : services(Service.AGENT_WALLET)) {
      try {
        out.add(Caip10.parse(s.endpoint()));
      } catch (IllegalArgumentException ignored) {
        // not CAIP-10: not a wallet we can use
      }
    }
    return out;
  }

  public boolean supportsTrust(String model) {
    return supportedTrust.stream().anyMatch(t -> t.equalsIgnoreCase(model));
  }

  /**
   * True when {@code registrations} lists this agentRegistry and agentId (registry address
   * case-insensitive).
   */
  public boolean listsRegistration(String agentRegistry, BigInteger agentId) {
    return registrations.stream()
        .anyMatch(
            r ->
                r.agentId() != null
                    && r.agentId().equals(agentId)
                    && r.agentRegistry() != null
                    && r.agentRegistry().equalsIgnoreCase(agentRegistry));
  }

  /**
   * What a strict reader would object to (empty when the file follows the spec's MUSTs and
   * SHOULDs).
   */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (!TYPE.equals(type)) {
      p.add("type is " + (type == null ? "missing" : "'" + type + "'") + ", expected " + TYPE);
    }
    if (name == null || name.isBlank()) {
      p.add("name is missing");
    }
    if (description == null) {
      p.add("description is missing");
    }
    if (registrations.isEmpty()) {
      p.add("no registrations (at least one SHOULD be present)");
    }
    for (Registration r : registrations) {
      if (r.agentId() == null || r.agentRegistry() == null) {
        p.add("registration entry without agentId or agentRegistry");
      }
    }
    for (Service s : services) {
      if (s.name() == null || s.endpoint() == null) {
        p.add("service entry without name or endpoint");
      }
    }
    return p;
  }

  // ---------------------------------------------------------------------------------------------
  // reading

  public static RegistrationFile parse(byte[] json) {
    return fromJson(Json.parse(json));
  }

  public static RegistrationFile parse(String json) {
    return fromJson(Json.parse(json));
  }

  /**
   * Lenient reading (see the class comment); IllegalArgumentException when it is not a JSON object.
   */
  public static RegistrationFile fromJson(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("a registration file is a JSON object");
    }
    List<Service> services = new ArrayList<>();
    readServices(o.get("services"), services);
    readServices(o.get("endpoints"), services);
    List<Registration> regs = new ArrayList<>();
    JsonNode r = o.get("registrations");
    if (r != null && r.isArray()) {
      for (JsonNode e : r) {
        if (e.isObject()) {
          regs.add(new Registration(Json.integer(e, "agentId"), Json.text(e, "agentRegistry")));
        }
      }
    }
    List<String> trust = new ArrayList<>();
    for (String key : List.of("supportedTrust", "supportedTrusts")) {
      JsonNode t = o.get(key);
      if (t != null && t.isArray()) {
        for (JsonNode e : t) {
          if (e.isTextual() && trust.stream().noneMatch(x -> x.equalsIgnoreCase(e.asText()))) {
            trust.add(e.asText());
          }
        }
      } else if (t != null && t.isTextual()) {
        trust.add(t.asText());
      }
    }
    Map<String, JsonNode> ext = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> f : o.properties()) {
      if (!KNOWN.contains(f.getKey())) {
        ext.put(f.getKey(), f.getValue());
      }
    }
    return new RegistrationFile(
        Json.text(o, "type"),
        Json.text(o, "name"),
        Json.text(o, "description"),
        Json.text(o, "image"),
        services,
        Json.bool(o, "x402Support", "x402support"),
        Json.bool(o, "active"),
        regs,
        trust,
        ext);
  }

  private static void readServices(JsonNode list, List<Service> into) {
    if (list == null || !list.isArray()) {
      return;
    }
    for (JsonNode e : list) {
      if (!e.isObject()) {
        continue;
      }
      Service s = Service.fromJson(e);
      boolean dup =
          into.stream().anyMatch(x -> eq(x.name(), s.name()) && eq(x.endpoint(), s.endpoint()));
      if (!dup) {
        into.add(s);
      }
    }
  }

  private static boolean eq(String a, String b) {
    return a == null ? b == null : b != null && a.equalsIgnoreCase(b);
  }

  // ---------------------------------------------------------------------------------------------
  // writing

  /** Strict JSON: spec key names in spec order, then extensions. */
  public ObjectNode toJsonNode() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", type == null ? TYPE : type);
    putIfPresent(o, "name", name);
    putIfPresent(o, "description", description);
    putIfPresent(o, "image", image);
    ArrayNode s = o.putArray("services");
    services.forEach(x -> s.add(x.toJsonNode()));
    if (x402Support != null) {
      o.put("x402Support", x402Support);
    }
    if (active != null) {
      o.put("active", active);
    }
    ArrayNode r = o.putArray("registrations");
    for (Registration reg : registrations) {
      ObjectNode e = r.addObject();
      e.put("agentId", reg.agentId());
      e.put("agentRegistry", reg.agentRegistry());
    }
    if (!supportedTrust.isEmpty()) {
      ArrayNode t = o.putArray("supportedTrust");
      supportedTrust.forEach(t::add);
    }
    extensions.forEach(o::set);
    return o;
  }

  public String toJson() {
    return Json.write(toJsonNode());
  }

  public byte[] toJsonBytes() {
    return toJson().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The file as an on-chain {@code data:application/json;base64,...} URI (what the spec
   * recommends).
   */
  public String toDataUri() {
    return DataUris.json(toJsonBytes());
  }

  private static void putIfPresent(ObjectNode o, String k, String v) {
    if (v != null) {
      o.put(k, v);
    }
  }

  /**
   * One {@code services} entry; fields beyond name/endpoint/version (skills, domains, mcpTools...)
   * are kept.
   */
  public record Service(String name, String endpoint, String version, Map<String, JsonNode> extra) {
    public static final String WEB = "web";
    public static final String A2A = "A2A";
    public static final String MCP = "MCP";
    public static final String OASF = "OASF";
    public static final String ENS = "ENS";
    public static final String DID = "DID";
    public static final String EMAIL = "email";

    /** CAIP-10 payment wallet entries (best practices; Oct 2025 spec). */
    public static final String AGENT_WALLET = "agentWallet";

    /** attest402: the URL of a facilitator's attestation document ({@code GET .../attestation}). */
    public static final String ATTESTATION = "attestation";

    /**
     * attest402: the base URL of an x402 facilitator ({@code /verify}, {@code /settle}, {@code
     * /attestation}).
     */
    public static final String X402_FACILITATOR = "x402-facilitator";

    /** attest402: the base URL of an x402 resource server (a provider). */
    public static final String X402 = "x402";

    public Service {
      extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    public static Service of(String name, String endpoint) {
      return new Service(name, endpoint, null, Map.of());
    }

    public static Service of(String name, String endpoint, String version) {
      return new Service(name, endpoint, version, Map.of());
    }

    static Service fromJson(JsonNode e) {
      Map<String, JsonNode> extra = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> f : e.properties()) {
        if (!Set.of("name", "endpoint", "version").contains(f.getKey())) {
          extra.put(f.getKey(), f.getValue());
        }
      }
      return new Service(
          Json.text(e, "name", "type"),
          Json.text(e, "endpoint", "url", "value"),
          Json.text(e, "version"),
          extra);
    }

    ObjectNode toJsonNode() {
      ObjectNode o = Json.MAPPER.createObjectNode();
      putIfPresent(o, "name", name);
      putIfPresent(o, "endpoint", endpoint);
      putIfPresent(o, "version", version);
      extra.forEach(o::set);
      return o;
    }

    /** The endpoint's host when it is an http(s) URL. */
    public Optional<String> host() {
      try {
        java.net.URI u = java.net.URI.create(endpoint);
        return u.getHost() == null
            ? Optional.empty()
            : Optional.of(u.getHost().toLowerCase(Locale.ROOT));
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
  }
}
