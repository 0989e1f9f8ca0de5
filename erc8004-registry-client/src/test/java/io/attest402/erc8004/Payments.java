package io.attest402.erc8004;

import io.attest402.contracts.chain.Chain;
import io.attest402.contracts.generated.TestUSDC;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Sign;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/** Test payments in TestUSDC: an x402-style settlement (EIP-3009, sent by a facilitator) or a plain transfer. */
final class Payments {
  private Payments() {}

  private static final byte[] TWA_TYPEHASH = Hash.sha3(("TransferWithAuthorization(address from,address to,"
      + "uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)").getBytes(StandardCharsets.UTF_8));
  private static final byte[] DOMAIN_TYPEHASH = Hash.sha3(
      "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
          .getBytes(StandardCharsets.UTF_8));

  /** The payer signs an EIP-3009 authorization; {@code facilitator} submits it. Returns the tx hash. */
  static String settle(Chain chain, Credentials payer, String payTo, BigInteger amount, Credentials facilitator)
      throws Exception {
    String usdcAddress = chain.deployment().contracts().usdc();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    BigInteger validAfter = BigInteger.ZERO;
    BigInteger validBefore = BigInteger.valueOf(chain.latestTimestamp() + 600);
    byte[] domain = Hash.sha3(IdentityRegistryClient.concat(DOMAIN_TYPEHASH,
        Hash.sha3("USD Coin".getBytes(StandardCharsets.UTF_8)), Hash.sha3("2".getBytes(StandardCharsets.UTF_8)),
        IdentityRegistryClient.word(BigInteger.valueOf(chain.chainId())), IdentityRegistryClient.word(usdcAddress)));
    byte[] struct = Hash.sha3(IdentityRegistryClient.concat(TWA_TYPEHASH, IdentityRegistryClient.word(payer.getAddress()),
        IdentityRegistryClient.word(payTo), IdentityRegistryClient.word(amount), IdentityRegistryClient.word(validAfter),
        IdentityRegistryClient.word(validBefore), nonce));
    byte[] digest = Hash.sha3(IdentityRegistryClient.concat(new byte[] {0x19, 0x01}, domain, struct));
    byte[] sig = WalletSigner.pack(Sign.signMessage(digest, payer.getEcKeyPair(), false));
    TestUSDC usdc = TestUSDC.load(usdcAddress, chain.web3j(), chain.txManager(facilitator), chain.gas());
    TransactionReceipt r = usdc.transferWithAuthorization(payer.getAddress(), payTo, amount, validAfter, validBefore,
        nonce, sig).send();
    if (!r.isStatusOK()) {
      throw new IllegalStateException("settlement failed: " + r.getRevertReason());
    }
    return r.getTransactionHash();
  }

  /** A plain ERC-20 transfer from {@code payer}. */
  static String transfer(Chain chain, Credentials payer, String payTo, BigInteger amount) throws Exception {
    TestUSDC usdc = TestUSDC.load(chain.deployment().contracts().usdc(), chain.web3j(), chain.txManager(payer),
        chain.gas());
    TransactionReceipt r = usdc.transfer(payTo, amount).send();
    if (!r.isStatusOK()) {
      throw new IllegalStateException("transfer failed");
    }
    return r.getTransactionHash();
  }

  /** Mints test USDC (the deployer owns TestUSDC). */
  static void mint(Chain chain, String to, BigInteger amount) throws Exception {
    TestUSDC usdc = TestUSDC.load(chain.deployment().contracts().usdc(), chain.web3j(),
        chain.txManager(chain.account(0)), chain.gas());
    usdc.mint(to, amount).send();
  }

  /** Sends ETH for gas to a fresh address. */
  static void fund(Chain chain, String to, BigInteger wei) throws Exception {
    org.web3j.tx.Transfer.sendFunds(chain.web3j(), chain.account(9), to, new java.math.BigDecimal(wei),
        org.web3j.utils.Convert.Unit.WEI).send();
  }
}
