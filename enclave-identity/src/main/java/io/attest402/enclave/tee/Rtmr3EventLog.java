package io.attest402.enclave.tee;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What the TDX backend extended into RTMR3 before its first quote, served in {@code /attestation}
 * so a verifier can replay the register and see what ran: each event is the SHA-384 of one file
 * (the facilitator artifact, its configuration, the deployment file), extended as {@code RTMR3 =
 * SHA-384(RTMR3 || digest)} starting from the boot value of RTMR3 (all zeros unless something else
 * extended it before us). When the kernel offers no RTMR extend interface, {@code extended} is
 * false, {@code note} says so, and RTMR3 measures nothing of ours: default client policies then
 * refuse TDX without RTMR pins.
 *
 * @param extended true when the events were extended into RTMR3
 * @param interfaceFile the kernel file written to extend (null when none)
 * @param initialRtmr3 RTMR3 before our first extension (hex, 48 bytes), when the kernel let us read
 *     it
 * @param note one sentence on what this log proves
 * @param events the extended events, in order
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Rtmr3EventLog(
    boolean extended, String interfaceFile, String initialRtmr3, String note, List<Event> events) {
  public Rtmr3EventLog {
    events = List.copyOf(events);
  }

  /** One measured file: a name, where it was read and its SHA-384. */
  public record Event(String name, String path, String digest) {}

  /** RTMR3 after replaying {@code events} on {@code initial48} (48 zero bytes when null). */
  public static byte[] replay(byte[] initial48, List<Event> events) {
    byte[] r = initial48 == null ? new byte[48] : initial48.clone();
    if (r.length != 48) {
      throw new IllegalArgumentException("RTMR values are 48 bytes");
    }
    try {
      for (Event e : events) {
        MessageDigest d = MessageDigest.getInstance("SHA-384");
        d.update(r);
        d.update(HexFormat.of().parseHex(e.digest()));
        r = d.digest();
      }
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return r;
  }

  /** The RTMR3 value this log predicts (replayed from {@code initialRtmr3}, zeros when absent). */
  @JsonIgnore
  public byte[] expectedRtmr3() {
    return replay(initialRtmr3 == null ? null : HexFormat.of().parseHex(initialRtmr3), events);
  }
}
