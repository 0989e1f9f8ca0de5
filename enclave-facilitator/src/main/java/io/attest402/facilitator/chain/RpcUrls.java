package io.attest402.facilitator.chain;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * RPC URLs are secrets (providers put API keys in their path or query) and must be authenticated:
 * the rules the facilitator applies to them.
 */
public final class RpcUrls {
  private static final Pattern URL = Pattern.compile("(?i)\\b(https?|wss?)://[^\\s\"'<>]+");

  private RpcUrls() {}

  /** {@code message} with every URL in it replaced by {@code <rpc>}. */
  public static String redact(String message) {
    return message == null ? null : URL.matcher(message).replaceAll("<rpc>");
  }

  /**
   * {@link #redact(String)}, and {@code url}'s host (as in "failed to connect to host/ip:port")
   * too.
   */
  public static String redact(String message, String url) {
    String m = redact(message);
    if (m == null || url == null) {
      return m;
    }
    m = m.replace(url, "<rpc>");
    try {
      String host = URI.create(url.trim()).getHost();
      if (host != null && !host.isEmpty()) {
        m = m.replace(host, "<rpc>");
      }
    } catch (IllegalArgumentException ignored) {
      // not a URL: nothing more to strip
    }
    return m;
  }

  /**
   * Refuses an RPC URL that is neither https nor on the loopback interface: a plain-HTTP node
   * elsewhere can be impersonated by anyone on the path, and the facilitator trusts its node for
   * what it signs.
   *
   * @throws IllegalArgumentException naming the network and the URL's position, never the URL
   */
  public static void requireSecure(String url, String what) {
    URI u;
    try {
      u = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not a URL");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https")) {
      return;
    }
    if (!scheme.equals("http")) {
      throw new IllegalArgumentException(what + " must be an http(s) URL");
    }
    if (!isLoopback(u.getHost())) {
      throw new IllegalArgumentException(
          what
              + " uses plain http to a non-loopback host: use https (only "
              + "127.0.0.0/8, ::1 and localhost may be plain http)");
    }
  }

  static boolean isLoopback(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!h.matches("[0-9.]+") && !h.contains(":")) {
      return false; // a name other than localhost: resolving it would trust DNS
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
