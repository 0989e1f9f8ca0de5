package io.attest402.x402.testing;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.chain.NodeScript;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The facilitators interop tests are parameterised over. */
public final class Facilitators {
  private Facilitators() {}

  /**
   * The official @x402/core facilitator with the @x402/evm exact scheme
   * (interop/official-facilitator.mjs).
   */
  public static final FacilitatorUnderTest OFFICIAL = official("official", Map.of());

  /**
   * The official facilitator started with {@code extraEnv} beside the chain and key (the options
   * interop/official-facilitator.mjs documents, e.g. {@code ERC20_APPROVAL_GAS_SPONSORING} or
   * {@code BAZAAR_CATALOG}), named {@code name} in test reports.
   */
  public static FacilitatorUnderTest official(String name, Map<String, String> extraEnv) {
    Map<String, String> extra = Map.copyOf(extraEnv);
    return new FacilitatorUnderTest() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Running start(Chain chain, int settlerAccount) {
        Map<String, String> env = new HashMap<>(Interop.chainEnv(chain));
        env.put("FACILITATOR_PRIVATE_KEY", Interop.key(settlerAccount));
        env.put("PORT", "0");
        env.putAll(extra);
        NodeScript script =
            NodeScript.start("official-facilitator.mjs", List.of(), env, Interop.START_TIMEOUT);
        String url = script.ready().path("url").asText();
        String address = script.ready().path("address").asText();
        return new Running() {
          @Override
          public String url() {
            return url;
          }

          @Override
          public String signer() {
            return address;
          }

          @Override
          public void close() {
            script.close();
          }

          @Override
          public String toString() {
            return "official facilitator at " + url;
          }
        };
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /** Every facilitator the interop suite runs against. */
  public static List<FacilitatorUnderTest> all() {
    return List.of(OFFICIAL);
  }
}
