package io.attest402.erc8004;

import io.attest402.contracts.chain.Deployment;
import java.util.Optional;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.service.TxSignService;
import org.web3j.service.TxSignServiceImpl;

/**
 * Typed client for the three ERC-8004 registries of one chain. Reads need no key; writes need a
 * signer ({@link #withSigner}), any {@link TxSignService}: web3j credentials or the facilitator's
 * enclave key.
 *
 * <pre>{@code
 * Erc8004Client c = Erc8004Client.connect(deployment).withSigner(credentials);
 * Registered r = c.identity().register("data:application/json;base64,...");
 * c.reputation().giveFeedback(NewFeedback.of(r.agentId(), 90, 0));
 * }</pre>
 */
public final class Erc8004Client {
  private final ContractRpc rpc;
  private final RegistryAddresses addresses;
  private final TxSignService signer;
  private final IdentityRegistryClient identity;
  private final ReputationRegistryClient reputation;
  private final ValidationRegistryClient validation;

  public Erc8004Client(Web3j web3j, RegistryAddresses addresses) {
    this(new ContractRpc(web3j, addresses.chainId()), addresses, null);
  }

  private Erc8004Client(ContractRpc rpc, RegistryAddresses addresses, TxSignService signer) {
    this.rpc = rpc;
    this.addresses = addresses;
    this.signer = signer;
    this.identity = new IdentityRegistryClient(rpc, addresses, signer);
    this.reputation =
        addresses.reputationRegistry() == null
            ? null
            : new ReputationRegistryClient(rpc, addresses, signer);
    this.validation =
        addresses.validationRegistry() == null
            ? null
            : new ValidationRegistryClient(rpc, addresses, signer);
  }

  /** A client for the registries of a deployment file, over its rpcUrl. */
  public static Erc8004Client connect(Deployment deployment) {
    return new Erc8004Client(
        Web3j.build(new HttpService(deployment.rpcUrl())),
        RegistryAddresses.fromDeployment(deployment));
  }

  /** A client for registries at {@code addresses} over {@code rpcUrl}. */
  public static Erc8004Client connect(String rpcUrl, RegistryAddresses addresses) {
    return new Erc8004Client(Web3j.build(new HttpService(rpcUrl)), addresses);
  }

  /** The same client sending transactions from {@code signer}. */
  public Erc8004Client withSigner(TxSignService signer) {
    return new Erc8004Client(rpc, addresses, signer);
  }

  public Erc8004Client withSigner(Credentials credentials) {
    return withSigner(new TxSignServiceImpl(credentials));
  }

  /** The signer's address, when there is one. */
  public Optional<String> signerAddress() {
    return Optional.ofNullable(signer).map(TxSignService::getAddress);
  }

  public IdentityRegistryClient identity() {
    return identity;
  }

  public ReputationRegistryClient reputation() {
    if (reputation == null) {
      throw new IllegalStateException(
          "no reputation registry configured for chain " + addresses.chainId());
    }
    return reputation;
  }

  public ValidationRegistryClient validation() {
    if (validation == null) {
      throw new IllegalStateException(
          "no validation registry configured for chain " + addresses.chainId());
    }
    return validation;
  }

  public RegistryAddresses addresses() {
    return addresses;
  }

  public ContractRpc rpc() {
    return rpc;
  }

  public Web3j web3j() {
    return rpc.web3j();
  }

  /** Stops the underlying web3j client. */
  public void shutdown() {
    rpc.web3j().shutdown();
  }
}
