package io.attest402.x402.evm;

import java.math.BigInteger;
import java.util.List;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Event;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

/**
 * The settlement receipt check of the official facilitator: some log emitted by the asset is an
 * ERC-20 {@code Transfer(from, to, value)} matching the authorization.
 */
public final class TransferLogs {
  private TransferLogs() {}

  public static final Event TRANSFER =
      new Event(
          "Transfer",
          List.of(
              new TypeReference<Address>(true) {},
              new TypeReference<Address>(true) {},
              new TypeReference<Uint256>(false) {}));
  public static final String TRANSFER_TOPIC = EventEncoder.encode(TRANSFER);

  public static boolean hasMatchingTransfer(
      List<Log> logs, String asset, String from, String to, BigInteger value) {
    for (Log log : logs) {
      if (log.getAddress() == null || !log.getAddress().equalsIgnoreCase(asset)) {
        continue;
      }
      List<String> topics = log.getTopics();
      if (topics == null || topics.size() != 3 || !topics.get(0).equalsIgnoreCase(TRANSFER_TOPIC)) {
        continue;
      }
      String logFrom = "0x" + Hex.strip(topics.get(1)).substring(24);
      String logTo = "0x" + Hex.strip(topics.get(2)).substring(24);
      String data = log.getData();
      if (data == null || Hex.strip(data).length() != 64) {
        continue;
      }
      if (logFrom.equalsIgnoreCase(from)
          && logTo.equalsIgnoreCase(to)
          && Numeric.toBigInt(data).equals(value)) {
        return true;
      }
    }
    return false;
  }
}
