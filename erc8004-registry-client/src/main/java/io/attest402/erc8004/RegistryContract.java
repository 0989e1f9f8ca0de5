package io.attest402.erc8004;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignService;

/**
 * What the three registry clients share: one contract address, its {@link ContractRpc}, an optional
 * signer, and the call / send / event helpers around them.
 */
abstract class RegistryContract {
  /** Blocks per eth_getLogs request (public RPCs cap the range). */
  static final long LOG_RANGE = 10_000;

  final ContractRpc rpc;
  final TxSignService signer;
  final String address;

  RegistryContract(ContractRpc rpc, TxSignService signer, String address) {
    this.rpc = rpc;
    this.signer = signer;
    this.address = address;
  }

  /**
   * {@code address}, or an {@link IllegalArgumentException} naming the registry when it is not
   * configured.
   */
  static String configured(String address, String registry) {
    if (address == null) {
      throw new IllegalArgumentException("no " + registry + " registry configured");
    }
    return address;
  }

  public String address() {
    return address;
  }

  @SuppressWarnings("rawtypes")
  final List<Type> call(Function f) {
    return rpc.call(address, f);
  }

  final TransactionReceipt send(Function f) {
    if (signer == null) {
      throw new IllegalStateException(
          f.getName() + " needs a signer: use Erc8004Client.withSigner(...)");
    }
    return rpc.send(signer, address, f);
  }

  /**
   * The first log of this contract in {@code r} whose topic 0 is {@code topic}, decoded; a {@link
   * RegistryException} ("{@code what}: no {@code eventName} event in tx ...") when there is none.
   */
  final <T> T event(
      TransactionReceipt r,
      String topic,
      String what,
      String eventName,
      java.util.function.Function<Log, T> decode) {
    for (Log log : r.getLogs()) {
      if (log.getAddress().equalsIgnoreCase(address)
          && !log.getTopics().isEmpty()
          && log.getTopics().get(0).equals(topic)) {
        return decode.apply(log);
      }
    }
    throw new RegistryException(
        what + ": no " + eventName + " event in tx " + r.getTransactionHash());
  }

  /**
   * This contract's logs matching {@code topics} between two blocks (inclusive), decoded, in chain
   * order.
   */
  final <T> List<T> events(
      List<List<String>> topics,
      long fromBlock,
      long toBlock,
      java.util.function.Function<Log, T> decode) {
    List<T> out = new ArrayList<>();
    for (Log log : rpc.logs(List.of(address), topics, fromBlock, toBlock, LOG_RANGE)) {
      out.add(decode.apply(log));
    }
    return out;
  }

  /** An {@code address[]} argument; null = empty. */
  static DynamicArray<Address> addressArray(Collection<String> list) {
    List<Address> a = new ArrayList<>();
    if (list != null) {
      list.forEach(s -> a.add(new Address(s)));
    }
    return new DynamicArray<>(Address.class, a);
  }

  static String nz(String s) {
    return s == null ? "" : s;
  }
}
