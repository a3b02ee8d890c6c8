package io.canopy.multiaddr;

/**
 * IP address text as the multiaddr implementations write and read it.
 *
 * <p>Reading is strict: IPv4 is exactly four decimal octets without leading zeros (as Go's {@code
 * net.ParseIP} since Go 1.17 and js-multiaddr read it); IPv6 is the RFC 4291 §2.2 text form — up to
 * eight groups of one to four hex digits, at most one {@code ::} standing for at least one zero
 * group, optionally ending in a dotted IPv4 tail — without a zone ({@code %eth0} goes in the
 * {@code /ip6zone} component instead).
 *
 * <p>Writing IPv6 follows Go's {@code net.IP.String()} as go-multiaddr uses it, which is RFC 5952
 * §4: lowercase hex without leading zeros, the longest run of two or more zero groups (the first,
 * on a tie) replaced by {@code ::}; an IPv4-mapped address ({@code ::ffff:0:0/96}) is written
 * {@code ::ffff:} plus the dotted IPv4 address. Every other address, IPv4-compatible and NAT64
 * ones included, is written in hex.
 */
final class IpLiteral {
  static final int IPV4_LENGTH = 4;
  static final int IPV6_LENGTH = 16;
  /** "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 characters; nothing valid is longer. */
  private static final int MAX_IPV6_TEXT = 45;

  private IpLiteral() {}

  static byte[] parseIpv4(String text) {
    byte[] out = new byte[IPV4_LENGTH];
    int octet = 0;
    int i = 0;
    int n = text.length();
    while (true) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 4 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
        value = value * 10 + (text.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || digits > 3) {
        throw new IllegalArgumentException("not an IPv4 address");
      }
      if (digits > 1 && text.charAt(start) == '0') {
        throw new IllegalArgumentException("IPv4 octet with a leading zero");
      }
      if (value > 255) {
        throw new IllegalArgumentException("IPv4 octet " + value + " is over 255");
      }
      out[octet++] = (byte) value;
      if (octet == IPV4_LENGTH) {
        if (i != n) {
          throw new IllegalArgumentException("not an IPv4 address");
        }
        return out;
      }
      if (i >= n || text.charAt(i) != '.') {
        throw new IllegalArgumentException("not an IPv4 address");
      }
      i++;
    }
  }

  static String formatIpv4(byte[] address) {
    return (address[0] & 0xff) + "." + (address[1] & 0xff) + "." + (address[2] & 0xff) + "." + (address[3] & 0xff);
  }

  static byte[] parseIpv6(String text) {
    int n = text.length();
    if (n < 2 || n > MAX_IPV6_TEXT) {
      throw new IllegalArgumentException("not an IPv6 address");
    }
    byte[] out = new byte[IPV6_LENGTH];
    int filled = 0;
    int ellipsis = -1; // byte offset where "::" stands
    int i = 0;
    if (text.startsWith("::")) {
      ellipsis = 0;
      i = 2;
      if (i == n) {
        return out;
      }
    }
    while (filled < IPV6_LENGTH) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 5 && Character.digit(text.charAt(i), 16) >= 0 && text.charAt(i) < 0x80) {
        value = value * 16 + Character.digit(text.charAt(i), 16);
        i++;
      }
      int digits = i - start;
      if (i < n && text.charAt(i) == '.') {
        // A dotted IPv4 tail takes the last 32 bits, and only those.
        if (digits == 0 || (ellipsis < 0 && filled != 12) || filled > 12) {
          throw new IllegalArgumentException("misplaced IPv4 part in IPv6 address");
        }
        byte[] v4 = parseIpv4(text.substring(start));
        System.arraycopy(v4, 0, out, filled, IPV4_LENGTH);
        filled += IPV4_LENGTH;
        i = n;
        break;
      }
      if (digits == 0 || digits > 4) {
        throw new IllegalArgumentException("not an IPv6 address");
      }
      out[filled++] = (byte) (value >>> 8);
      out[filled++] = (byte) value;
      if (i == n) {
        break;
      }
      if (text.charAt(i) != ':') {
        throw new IllegalArgumentException("unexpected '" + text.charAt(i) + "' in IPv6 address");
      }
      i++;
      if (i < n && text.charAt(i) == ':') {
        if (ellipsis >= 0) {
          throw new IllegalArgumentException("more than one '::' in IPv6 address");
        }
        ellipsis = filled;
        i++;
        if (i == n) {
          break;
        }
      } else if (i == n) {
        throw new IllegalArgumentException("IPv6 address ends in a single ':'");
      }
    }
    if (i != n) {
      throw new IllegalArgumentException("IPv6 address has more than eight groups");
    }
    if (filled < IPV6_LENGTH) {
      if (ellipsis < 0) {
        throw new IllegalArgumentException("IPv6 address has fewer than eight groups");
      }
      int tail = filled - ellipsis;
      System.arraycopy(out, ellipsis, out, IPV6_LENGTH - tail, tail);
      for (int k = ellipsis; k < IPV6_LENGTH - tail; k++) {
        out[k] = 0;
      }
    } else if (ellipsis >= 0) {
      throw new IllegalArgumentException("'::' in an IPv6 address with eight groups");
    }
    return out;
  }

  static boolean isIpv4Mapped(byte[] address) {
    for (int k = 0; k < 10; k++) {
      if (address[k] != 0) {
        return false;
      }
    }
    return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
  }

  static String formatIpv6(byte[] address) {
    if (isIpv4Mapped(address)) {
      return "::ffff:" + (address[12] & 0xff) + "." + (address[13] & 0xff) + "."
          + (address[14] & 0xff) + "." + (address[15] & 0xff);
    }
    int[] groups = new int[8];
    for (int g = 0; g < 8; g++) {
      groups[g] = ((address[2 * g] & 0xff) << 8) | (address[2 * g + 1] & 0xff);
    }
    // RFC 5952 §4.2: compress the longest run of at least two zero groups; the first on a tie.
    int bestStart = -1;
    int bestLength = 1;
    for (int g = 0; g < 8; ) {
      if (groups[g] != 0) {
        g++;
        continue;
      }
      int end = g;
      while (end < 8 && groups[end] == 0) {
        end++;
      }
      if (end - g > bestLength) {
        bestStart = g;
        bestLength = end - g;
      }
      g = end;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int g = 0; g < 8; g++) {
      if (g == bestStart) {
        sb.append("::");
        g += bestLength - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[g]));
    }
    return sb.toString();
  }
}
