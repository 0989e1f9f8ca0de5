package io.attest402.erc8004.index;

import io.attest402.erc8004.files.RegistrationFile;
import java.util.Locale;

/**
 * A search over indexed agents; null fields do not filter. {@code name}: case-insensitive substring
 * of the registration file's name; {@code service}: a service whose name equals it
 * (case-insensitive) or whose endpoint contains it; {@code x402Support}, {@code supportedTrust},
 * {@code active}: as declared in the file; {@code wallet}: the on-chain agentWallet.
 */
public record AgentQuery(
    String name,
    String service,
    Boolean x402Support,
    String supportedTrust,
    Boolean active,
    String wallet) {

  public static AgentQuery any() {
    return new AgentQuery(null, null, null, null, null, null);
  }

  public static AgentQuery byName(String name) {
    return new AgentQuery(name, null, null, null, null, null);
  }

  public static AgentQuery byWallet(String wallet) {
    return new AgentQuery(null, null, null, null, null, wallet);
  }

  public boolean matches(IndexedAgent a) {
    if (wallet != null && (a.agentWallet() == null || !a.agentWallet().equalsIgnoreCase(wallet))) {
      return false;
    }
    boolean needsFile =
        name != null
            || service != null
            || x402Support != null
            || supportedTrust != null
            || active != null;
    if (!needsFile) {
      return true;
    }
    RegistrationFile f = a.file();
    if (f == null) {
      return false;
    }
    if (name != null
        && (f.name() == null
            || !f.name().toLowerCase(Locale.ROOT).contains(name.toLowerCase(Locale.ROOT)))) {
      return false;
    }
    if (service != null
        && f.services().stream()
            .noneMatch(
                s ->
                    (s.name() != null && s.name().equalsIgnoreCase(service))
                        || (s.endpoint() != null
                            && s.endpoint()
                                .toLowerCase(Locale.ROOT)
                                .contains(service.toLowerCase(Locale.ROOT))))) {
      return false;
    }
    if (x402Support != null && !x402Support.equals(Boolean.TRUE.equals(f.x402Support()))) {
      return false;
    }
    if (supportedTrust != null && !f.supportsTrust(supportedTrust)) {
      return false;
    }
    // A file without "active" counts as active (the field is optional).
    return active == null || active.equals(!Boolean.FALSE.equals(f.active()));
  }
}
