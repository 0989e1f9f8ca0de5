package io.attest402.erc8004;

import io.attest402.contracts.generated.ReputationRegistry;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Int128;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignService;
import org.web3j.utils.Numeric;

/** The ERC-8004 Reputation Registry: feedback, revocations, responses and on-chain summaries. */
@SuppressWarnings({"rawtypes", "unchecked"})
public final class ReputationRegistryClient extends RegistryContract {
  /** Blocks per eth_getLogs request (public RPCs cap the range). */
  public static final long LOG_RANGE = RegistryContract.LOG_RANGE;

  ReputationRegistryClient(ContractRpc rpc, RegistryAddresses addresses, TxSignService signer) {
    super(rpc, signer, configured(addresses.reputationRegistry(), "reputation"));
  }

  /**
   * Feedback to post: value with valueDecimals (0..18); everything else optional ("" / null hash).
   */
  public record NewFeedback(
      BigInteger agentId,
      BigInteger value,
      int valueDecimals,
      String tag1,
      String tag2,
      String endpoint,
      String feedbackURI,
      byte[] feedbackHash) {
    public NewFeedback {
      tag1 = tag1 == null ? "" : tag1;
      tag2 = tag2 == null ? "" : tag2;
      endpoint = endpoint == null ? "" : endpoint;
      feedbackURI = feedbackURI == null ? "" : feedbackURI;
      feedbackHash = feedbackHash == null ? new byte[32] : feedbackHash.clone();
      if (feedbackHash.length != 32) {
        throw new IllegalArgumentException("feedbackHash must be 32 bytes");
      }
    }

    public static NewFeedback of(BigInteger agentId, long value, int decimals) {
      return new NewFeedback(agentId, BigInteger.valueOf(value), decimals, "", "", "", "", null);
    }
  }

  /** {@code giveFeedback} from the signer; returns the logged feedback (with its index). */
  public FeedbackEvent giveFeedback(NewFeedback fb) {
    TransactionReceipt r =
        send(
            new Function(
                "giveFeedback",
                List.of(
                    new Uint256(fb.agentId()),
                    new Int128(fb.value()),
                    new Uint8(fb.valueDecimals()),
                    new Utf8String(fb.tag1()),
                    new Utf8String(fb.tag2()),
                    new Utf8String(fb.endpoint()),
                    new Utf8String(fb.feedbackURI()),
                    new Bytes32(fb.feedbackHash())),
                List.of()));
    return event(
        r,
        Events.NEW_FEEDBACK,
        "giveFeedback",
        "NewFeedback",
        ReputationRegistryClient::feedbackEvent);
  }

  public TransactionReceipt revokeFeedback(BigInteger agentId, long feedbackIndex) {
    return send(
        new Function(
            "revokeFeedback", List.of(new Uint256(agentId), new Uint64(feedbackIndex)), List.of()));
  }

  public TransactionReceipt appendResponse(
      BigInteger agentId,
      String client,
      long feedbackIndex,
      String responseURI,
      byte[] responseHash) {
    return send(
        new Function(
            "appendResponse",
            List.of(
                new Uint256(agentId),
                new Address(client),
                new Uint64(feedbackIndex),
                new Utf8String(responseURI),
                new Bytes32(responseHash == null ? new byte[32] : responseHash)),
            List.of()));
  }

  /**
   * The registry's average over the feedback of {@code clients} (required and non-empty: the
   * contract refuses an unfiltered, Sybil-prone summary). Tags: "" or null matches any.
   */
  public FeedbackSummary getSummary(
      BigInteger agentId, Collection<String> clients, String tag1, String tag2) {
    List<Type> out =
        call(
            new Function(
                "getSummary",
                List.of(
                    new Uint256(agentId),
                    addressArray(clients),
                    new Utf8String(nz(tag1)),
                    new Utf8String(nz(tag2))),
                List.of(
                    new TypeReference<Uint64>() {},
                    new TypeReference<Int128>() {},
                    new TypeReference<Uint8>() {})));
    return new FeedbackSummary(
        ((BigInteger) out.get(0).getValue()).longValueExact(),
        (BigInteger) out.get(1).getValue(),
        ((BigInteger) out.get(2).getValue()).intValueExact());
  }

  public Feedback readFeedback(BigInteger agentId, String client, long index) {
    List<Type> out =
        call(
            new Function(
                "readFeedback",
                List.of(new Uint256(agentId), new Address(client), new Uint64(index)),
                List.of(
                    new TypeReference<Int128>() {},
                    new TypeReference<Uint8>() {},
                    new TypeReference<Utf8String>() {},
                    new TypeReference<Utf8String>() {},
                    new TypeReference<Bool>() {})));
    return new Feedback(
        agentId,
        Keys.toChecksumAddress(client),
        index,
        (BigInteger) out.get(0).getValue(),
        ((BigInteger) out.get(1).getValue()).intValueExact(),
        (String) out.get(2).getValue(),
        (String) out.get(3).getValue(),
        (Boolean) out.get(4).getValue());
  }

  /** {@code readAllFeedback}: empty {@code clients} = every client; ""/null tags match any. */
  @SuppressWarnings("unchecked")
  public List<Feedback> readAllFeedback(
      BigInteger agentId,
      Collection<String> clients,
      String tag1,
      String tag2,
      boolean includeRevoked) {
    List<Type> out =
        call(
            new Function(
                "readAllFeedback",
                List.of(
                    new Uint256(agentId),
                    addressArray(clients),
                    new Utf8String(nz(tag1)),
                    new Utf8String(nz(tag2)),
                    new Bool(includeRevoked)),
                List.of(
                    new TypeReference<DynamicArray<Address>>() {},
                    new TypeReference<DynamicArray<Uint64>>() {},
                    new TypeReference<DynamicArray<Int128>>() {},
                    new TypeReference<DynamicArray<Uint8>>() {},
                    new TypeReference<DynamicArray<Utf8String>>() {},
                    new TypeReference<DynamicArray<Utf8String>>() {},
                    new TypeReference<DynamicArray<Bool>>() {})));
    List<Type>[] cols = new List[7];
    for (int i = 0; i < 7; i++) {
      cols[i] = ((DynamicArray<Type>) out.get(i)).getValue();
    }
    List<Feedback> result = new ArrayList<>();
    for (int i = 0; i < cols[0].size(); i++) {
      result.add(
          new Feedback(
              agentId,
              Keys.toChecksumAddress((String) cols[0].get(i).getValue()),
              ((BigInteger) cols[1].get(i).getValue()).longValueExact(),
              (BigInteger) cols[2].get(i).getValue(),
              ((BigInteger) cols[3].get(i).getValue()).intValueExact(),
              (String) cols[4].get(i).getValue(),
              (String) cols[5].get(i).getValue(),
              (Boolean) cols[6].get(i).getValue()));
    }
    return result;
  }

  /** Every address that has rated the agent, in first-feedback order. */
  @SuppressWarnings("unchecked")
  public List<String> getClients(BigInteger agentId) {
    List<Type> out =
        call(
            new Function(
                "getClients",
                List.of(new Uint256(agentId)),
                List.of(new TypeReference<DynamicArray<Address>>() {})));
    List<String> r = new ArrayList<>();
    for (Type t : ((DynamicArray<Type>) out.get(0)).getValue()) {
      r.add(Keys.toChecksumAddress((String) t.getValue()));
    }
    return r;
  }

  public long getLastIndex(BigInteger agentId, String client) {
    return ((BigInteger)
            call(new Function(
                    "getLastIndex",
                    List.of(new Uint256(agentId), new Address(client)),
                    List.of(new TypeReference<Uint64>() {})))
                .get(0)
                .getValue())
        .longValueExact();
  }

  /**
   * Responses: {@code client} null = all clients, {@code index} 0 = all indexes, empty responders =
   * anyone.
   */
  public long getResponseCount(
      BigInteger agentId, String client, long index, Collection<String> responders) {
    return ((BigInteger)
            call(new Function(
                    "getResponseCount",
                    List.of(
                        new Uint256(agentId),
                        new Address(
                            client == null ? "0x0000000000000000000000000000000000000000" : client),
                        new Uint64(index),
                        addressArray(responders)),
                    List.of(new TypeReference<Uint64>() {})))
                .get(0)
                .getValue())
        .longValueExact();
  }

  public String getIdentityRegistry() {
    return Keys.toChecksumAddress(
        (String)
            call(new Function(
                    "getIdentityRegistry", List.of(), List.of(new TypeReference<Address>() {})))
                .get(0)
                .getValue());
  }

  /**
   * NewFeedback logs for {@code agentId} (null: every agent) between two blocks, in chain order.
   */
  public List<FeedbackEvent> feedbackEvents(BigInteger agentId, long fromBlock, long toBlock) {
    List<List<String>> topics = new ArrayList<>();
    topics.add(List.of(Events.NEW_FEEDBACK));
    if (agentId != null) {
      topics.add(List.of(Numeric.toHexStringWithPrefixZeroPadded(agentId, 64)));
    }
    return events(topics, fromBlock, toBlock, ReputationRegistryClient::feedbackEvent);
  }

  /** Decodes a NewFeedback log. */
  public static FeedbackEvent feedbackEvent(Log log) {
    ReputationRegistry.NewFeedbackEventResponse e =
        ReputationRegistry.getNewFeedbackEventFromLog(log);
    return new FeedbackEvent(
        e.agentId,
        Keys.toChecksumAddress(e.clientAddress),
        e.feedbackIndex.longValueExact(),
        e.value,
        e.valueDecimals.intValueExact(),
        e.tag1,
        e.tag2,
        e.endpoint,
        e.feedbackURI,
        Numeric.toHexString(e.feedbackHash),
        log.getBlockNumber().longValueExact(),
        log.getBlockHash(),
        log.getTransactionHash(),
        log.getLogIndex().longValueExact());
  }
}
