package io.attest402.erc8004;

import io.attest402.contracts.generated.ValidationRegistry;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.Utf8String;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint64;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.service.TxSignService;
import org.web3j.utils.Numeric;

/** The ERC-8004 Validation Registry: requests to named validators and their 0..100 answers. */
@SuppressWarnings({"rawtypes", "unchecked"})
public final class ValidationRegistryClient extends RegistryContract {
  /** The tag a TEE-attestation validator answers with. */
  public static final String TAG_TEE_ATTESTATION = "tee-attestation";

  ValidationRegistryClient(ContractRpc rpc, RegistryAddresses addresses, TxSignService signer) {
    super(rpc, signer, configured(addresses.validationRegistry(), "validation"));
  }

  /** A logged validation request. */
  public record Request(
      String validator,
      BigInteger agentId,
      String requestURI,
      String requestHash,
      long blockNumber,
      String txHash) {}

  /** A logged validation response. */
  public record Response(
      String validator,
      BigInteger agentId,
      String requestHash,
      int response,
      String responseURI,
      String responseHash,
      String tag,
      long blockNumber,
      String txHash) {}

  /**
   * {@code validationRequest} (owner/operator of the agent); {@code requestHash} = keccak256 of the
   * payload.
   */
  public Request validationRequest(
      String validator, BigInteger agentId, String requestURI, byte[] requestHash) {
    TransactionReceipt r =
        send(
            new Function(
                "validationRequest",
                List.of(
                    new Address(validator),
                    new Uint256(agentId),
                    new Utf8String(requestURI),
                    new Bytes32(requestHash)),
                List.of()));
    return event(
        r,
        Events.VALIDATION_REQUEST,
        "validationRequest",
        "ValidationRequest",
        ValidationRegistryClient::request);
  }

  /** {@code validationResponse} from the signer (who must be the named validator). */
  public Response validationResponse(
      byte[] requestHash, int response, String responseURI, byte[] responseHash, String tag) {
    TransactionReceipt r =
        send(
            new Function(
                "validationResponse",
                List.of(
                    new Bytes32(requestHash),
                    new Uint8(response),
                    new Utf8String(responseURI == null ? "" : responseURI),
                    new Bytes32(responseHash == null ? new byte[32] : responseHash),
                    new Utf8String(tag == null ? "" : tag)),
                List.of()));
    return event(
        r,
        Events.VALIDATION_RESPONSE,
        "validationResponse",
        "ValidationResponse",
        ValidationRegistryClient::response);
  }

  public ValidationStatus getValidationStatus(byte[] requestHash) {
    List<Type> out =
        call(
            new Function(
                "getValidationStatus",
                List.of(new Bytes32(requestHash)),
                List.of(
                    new TypeReference<Address>() {},
                    new TypeReference<Uint256>() {},
                    new TypeReference<Uint8>() {},
                    new TypeReference<Bytes32>() {},
                    new TypeReference<Utf8String>() {},
                    new TypeReference<Uint256>() {})));
    return new ValidationStatus(
        Numeric.toHexString(requestHash),
        Keys.toChecksumAddress((String) out.get(0).getValue()),
        (BigInteger) out.get(1).getValue(),
        ((BigInteger) out.get(2).getValue()).intValueExact(),
        Numeric.toHexString((byte[]) out.get(3).getValue()),
        (String) out.get(4).getValue(),
        ((BigInteger) out.get(5).getValue()).longValueExact());
  }

  /**
   * Count and average of the answered requests; empty {@code validators} = any, ""/null tag = any.
   */
  public ValidationSummary getSummary(
      BigInteger agentId, Collection<String> validators, String tag) {
    List<Type> out =
        call(
            new Function(
                "getSummary",
                List.of(new Uint256(agentId), addressArray(validators), new Utf8String(nz(tag))),
                List.of(new TypeReference<Uint64>() {}, new TypeReference<Uint8>() {})));
    return new ValidationSummary(
        ((BigInteger) out.get(0).getValue()).longValueExact(),
        ((BigInteger) out.get(1).getValue()).intValueExact());
  }

  /** Every requestHash for the agent, in request order. */
  public List<String> getAgentValidations(BigInteger agentId) {
    return hashes(
        call(
            new Function(
                "getAgentValidations",
                List.of(new Uint256(agentId)),
                List.of(new TypeReference<DynamicArray<Bytes32>>() {}))));
  }

  /** Every requestHash addressed to the validator, in request order. */
  public List<String> getValidatorRequests(String validator) {
    return hashes(
        call(
            new Function(
                "getValidatorRequests",
                List.of(new Address(validator)),
                List.of(new TypeReference<DynamicArray<Bytes32>>() {}))));
  }

  /** ValidationRequest logs addressed to {@code validator} (null: any) between two blocks. */
  public List<Request> requestEvents(String validator, long fromBlock, long toBlock) {
    List<List<String>> topics = new ArrayList<>();
    topics.add(List.of(Events.VALIDATION_REQUEST));
    if (validator != null) {
      topics.add(List.of(Numeric.toHexStringWithPrefixZeroPadded(Numeric.toBigInt(validator), 64)));
    }
    return events(topics, fromBlock, toBlock, ValidationRegistryClient::request);
  }

  /** ValidationResponse logs for {@code requestHash} (null: any) between two blocks. */
  public List<Response> responseEvents(String requestHash, long fromBlock, long toBlock) {
    List<List<String>> topics = new ArrayList<>();
    topics.add(List.of(Events.VALIDATION_RESPONSE));
    if (requestHash != null) {
      topics.add(null);
      topics.add(null);
      topics.add(List.of(requestHash));
    }
    return events(topics, fromBlock, toBlock, ValidationRegistryClient::response);
  }

  public static Request request(Log log) {
    ValidationRegistry.ValidationRequestEventResponse e =
        ValidationRegistry.getValidationRequestEventFromLog(log);
    return new Request(
        Keys.toChecksumAddress(e.validatorAddress),
        e.agentId,
        e.requestURI,
        Numeric.toHexString(e.requestHash),
        log.getBlockNumber().longValueExact(),
        log.getTransactionHash());
  }

  public static Response response(Log log) {
    ValidationRegistry.ValidationResponseEventResponse e =
        ValidationRegistry.getValidationResponseEventFromLog(log);
    return new Response(
        Keys.toChecksumAddress(e.validatorAddress),
        e.agentId,
        Numeric.toHexString(e.requestHash),
        e.response.intValueExact(),
        e.responseURI,
        Numeric.toHexString(e.responseHash),
        e.tag,
        log.getBlockNumber().longValueExact(),
        log.getTransactionHash());
  }

  /** keccak256 of a payload: the requestHash / responseHash commitment. */
  public static byte[] commitment(byte[] payload) {
    return Hash.sha3(payload);
  }

  @SuppressWarnings("unchecked")
  private static List<String> hashes(List<Type> out) {
    List<String> r = new ArrayList<>();
    for (Type t : ((DynamicArray<Type>) out.get(0)).getValue()) {
      r.add(Numeric.toHexString((byte[]) t.getValue()));
    }
    return r;
  }
}
