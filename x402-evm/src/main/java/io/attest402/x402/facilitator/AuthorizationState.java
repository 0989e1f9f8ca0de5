package io.attest402.x402.facilitator;

import io.attest402.x402.evm.ChainAccess;
import io.attest402.x402.evm.Eip3009Calls;
import java.util.List;
import java.util.Map;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;

/**
 * Whether an EIP-3009 authorization nonce is used on chain ({@code authorizationState(authorizer,
 * nonce)} of the token): what {@link FailoverFacilitatorClient} asks before it lets a second
 * facilitator settle an authorization the first may have broadcast. Blocking.
 */
@FunctionalInterface
public interface AuthorizationState {
  /**
   * @throws RuntimeException when the chain cannot answer (the caller then knows nothing)
   */
  boolean isUsed(String network, String asset, String authorizer, byte[] nonce);

  /** Reads the state through one node per network (CAIP-2 id, e.g. {@code eip155:31337}). */
  static AuthorizationState of(Map<String, ChainAccess> nodes) {
    Map<String, ChainAccess> byNetwork = Map.copyOf(nodes);
    return (network, asset, authorizer, nonce) -> {
      ChainAccess node = byNetwork.get(network);
      if (node == null) {
        throw new IllegalStateException("no node for network " + network);
      }
      Function f = Eip3009Calls.authorizationState(authorizer, nonce);
      ChainAccess.CallResult r = node.call(asset, Eip3009Calls.encode(f));
      if (!r.success()) {
        throw new IllegalStateException("authorizationState reverted: " + r.errorMessage());
      }
      @SuppressWarnings("rawtypes")
      List<Type> out = FunctionReturnDecoder.decode(r.returnData(), f.getOutputParameters());
      if (out.size() != 1 || !(out.get(0) instanceof Bool b)) {
        throw new IllegalStateException("authorizationState answered " + r.returnData());
      }
      return b.getValue();
    };
  }
}
