package io.attest402.erc8004.trust;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.attest402.erc8004.files.Json;
import java.math.BigInteger;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The payer's decision: {@code trusted} only when no check failed. Every check is listed with its
 * outcome, so a refusal always says why. {@code providerAgentId} is the provider identity the
 * checks were about (resolved from payTo when the offer did not name it).
 */
public record TrustDecision(boolean trusted, BigInteger providerAgentId, List<TrustCheck> checks) {
  public TrustDecision {
    checks = List.copyOf(checks);
  }

  static TrustDecision of(BigInteger providerAgentId, List<TrustCheck> checks) {
    return new TrustDecision(
        checks.stream().noneMatch(c -> c.status() == TrustCheck.Status.FAIL),
        providerAgentId,
        checks);
  }

  public List<TrustCheck> failures() {
    return checks.stream().filter(c -> c.status() == TrustCheck.Status.FAIL).toList();
  }

  /** One line: "trusted" or "not trusted: check: reason; ...". */
  public String summary() {
    return trusted
        ? "trusted ("
            + checks.stream().filter(c -> c.status() == TrustCheck.Status.PASS).count()
            + " checks passed)"
        : "not trusted: "
            + failures().stream()
                .map(c -> c.name() + ": " + c.detail())
                .collect(Collectors.joining("; "));
  }

  public ObjectNode toJsonNode() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("trusted", trusted);
    if (providerAgentId != null) {
      o.put("providerAgentId", providerAgentId);
    } else {
      o.putNull("providerAgentId");
    }
    ArrayNode a = o.putArray("checks");
    for (TrustCheck c : checks) {
      a.addObject()
          .put("name", c.name())
          .put("status", c.status().name())
          .put("detail", c.detail());
    }
    return o;
  }

  public String toJson() {
    return Json.write(toJsonNode());
  }
}
