package io.attest402.erc8004;

import io.attest402.contracts.chain.Chain;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Sign;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignServiceImpl;
import org.web3j.tx.RawTransactionManager;

/**
 * Test payments in TestUSDC: an x402-style settlement (EIP-3009, sent by a facilitator) or a plain
 * transfer.
 */
final class Payments {
  private Payments() {}

  private static final byte[] TWA_TYPEHASH =
      Hash.sha3(
          ("TransferWithAuthorization(address from,address to,"
                  + "uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)")
              .getBytes(StandardCharsets.UTF_8));
  private static final byte[] DOMAIN_TYPEHASH =
      Hash.sha3(
          "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
              .getBytes(StandardCharsets.UTF_8));

  /**
   * The payer signs an EIP-3009 authorization; {@code facilitator} submits it. Returns the tx hash.
   */
  static String settle(
      Chain chain, Credentials payer, String payTo, BigInteger amount, Credentials facilitator)
      throws Exception {
    String usdcAddress = chain.deployment().contracts().usdc();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    BigInteger validAfter = BigInteger.ZERO;
    BigInteger validBefore = BigInteger.valueOf(chain.latestTimestamp() + 600);
    byte[] domain =
        Hash.sha3(
            IdentityRegistryClient.concat(
                DOMAIN_TYPEHASH,
                Hash.sha3("USD Coin".getBytes(StandardCharsets.UTF_8)),
                Hash.sha3("2".getBytes(StandardCharsets.UTF_8)),
                IdentityRegistryClient.word(BigInteger.valueOf(chain.chainId())),
                IdentityRegistryClient.word(usdcAddress)));
    byte[] struct =
        Hash.sha3(
            IdentityRegistryClient.concat(
                TWA_TYPEHASH,
                IdentityRegistryClient.word(payer.getAddress()),
                IdentityRegistryClient.word(payTo),
                IdentityRegistryClient.word(amount),
                IdentityRegistryClient.word(validAfter),
                IdentityRegistryClient.word(validBefore),
                nonce));
    byte[] digest =
        Hash.sha3(IdentityRegistryClient.concat(new byte[] {0x19, 0x01}, domain, struct));
    byte[] sig = WalletSigner.pack(Sign.signMessage(digest, payer.getEcKeyPair(), false));
    TransactionReceipt r =
        rpc(chain)
            .send(
                new TxSignServiceImpl(facilitator),
                usdcAddress,
                new Function(
                    "transferWithAuthorization",
                    List.of(
                        new Address(payer.getAddress()),
                        new Address(payTo),
                        new Uint256(amount),
                        new Uint256(validAfter),
                        new Uint256(validBefore),
                        new Bytes32(nonce),
                        new DynamicBytes(sig)),
                    List.of()));
    return r.getTransactionHash();
  }

  static ContractRpc rpc(Chain chain) {
    return new ContractRpc(chain.web3j(), chain.chainId());
  }

  /** A plain ERC-20 transfer from {@code payer}. */
  static String transfer(Chain chain, Credentials payer, String payTo, BigInteger amount) {
    return rpc(chain)
        .send(
            new TxSignServiceImpl(payer),
            chain.deployment().contracts().usdc(),
            new Function("transfer", List.of(new Address(payTo), new Uint256(amount)), List.of()))
        .getTransactionHash();
  }

  /** Mints test USDC (the deployer owns TestUSDC). */
  static void mint(Chain chain, String to, BigInteger amount) {
    rpc(chain)
        .send(
            new TxSignServiceImpl(chain.account(0)),
            chain.deployment().contracts().usdc(),
            new Function("mint", List.of(new Address(to), new Uint256(amount)), List.of()));
  }

  /** Sends ETH for gas to a fresh address. */
  static void fund(Chain chain, String to, BigInteger wei) throws Exception {
    BigInteger baseFee =
        chain
            .web3j()
            .ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false)
            .send()
            .getBlock()
            .getBaseFeePerGas();
    RawTransactionManager tm =
        new RawTransactionManager(chain.web3j(), chain.account(9), chain.chainId());
    String hash =
        tm.sendEIP1559Transaction(
                chain.chainId(),
                BigInteger.ONE,
                baseFee.multiply(BigInteger.TWO).add(BigInteger.ONE),
                BigInteger.valueOf(21_000),
                to,
                "0x",
                wei,
                false)
            .getTransactionHash();
    if (!rpc(chain).awaitReceipt(hash, "fund").isStatusOK()) {
      throw new IllegalStateException("funding failed");
    }
  }
}
