package io.canopy.multiaddr;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multihash;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * How one protocol's value is written in text and in binary (go-multiaddr calls this a
 * transcoder). {@link #parse} turns the text value into the binary one, {@link #validate} checks a
 * binary value read off the wire, and {@link #format} writes the text of a valid binary value. All
 * three throw {@link IllegalArgumentException} with the reason; the caller adds the address.
 */
enum ValueFormat {
  /** A protocol with no value ({@code /tcp/…/tls}). */
  NONE {
    @Override
    byte[] parse(String text) {
      throw new IllegalArgumentException("takes no value");
    }

    @Override
    void validate(byte[] value) {
      if (value.length != 0) {
        throw new IllegalArgumentException("takes no value");
      }
    }

    @Override
    String format(byte[] value) {
      return "";
    }
  },

  IP4 {
    @Override
    byte[] parse(String text) {
      return IpLiteral.parseIpv4(text);
    }

    @Override
    void validate(byte[] value) {
      requireLength(value, IpLiteral.IPV4_LENGTH);
    }

    @Override
    String format(byte[] value) {
      return IpLiteral.formatIpv4(value);
    }
  },

  IP6 {
    @Override
    byte[] parse(String text) {
      return IpLiteral.parseIpv6(text);
    }

    @Override
    void validate(byte[] value) {
      requireLength(value, IpLiteral.IPV6_LENGTH);
    }

    @Override
    String format(byte[] value) {
      return IpLiteral.formatIpv6(value);
    }
  },

  /** A 16-bit port, big-endian; text is canonical decimal (no sign, no leading zeros). */
  PORT {
    @Override
    byte[] parse(String text) {
      int port = parseCanonicalDecimal(text, 0xffff, "port");
      return new byte[] {(byte) (port >>> 8), (byte) port};
    }

    @Override
    void validate(byte[] value) {
      requireLength(value, 2);
    }

    @Override
    String format(byte[] value) {
      return Integer.toString(((value[0] & 0xff) << 8) | (value[1] & 0xff));
    }
  },

  /** The prefix length of {@code /ipcidr}: one byte, decimal text. */
  PREFIX_LENGTH {
    @Override
    byte[] parse(String text) {
      return new byte[] {(byte) parseCanonicalDecimal(text, 0xff, "prefix length")};
    }

    @Override
    void validate(byte[] value) {
      requireLength(value, 1);
    }

    @Override
    String format(byte[] value) {
      return Integer.toString(value[0] & 0xff);
    }
  },

  /**
   * A DNS name (dns, dns4, dns6, dnsaddr, sni): ASCII letters, digits, '-' and '_' in dot-separated
   * labels of 1 to 63 characters, at most 253 characters plus an optional final dot. Stricter than
   * go-multiaddr, which only refuses '/' and the empty name: whitespace, control characters and
   * non-ASCII (internationalised names go in their punycode form) have no place in a name we would
   * resolve.
   */
  DNS_NAME {
    @Override
    byte[] parse(String text) {
      checkDnsName(text);
      return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    void validate(byte[] value) {
      checkDnsName(new String(value, StandardCharsets.ISO_8859_1));
    }

    @Override
    String format(byte[] value) {
      return new String(value, StandardCharsets.US_ASCII);
    }
  },

  /** An RFC 4007 zone ID: 1 to 255 visible ASCII characters other than '/'. */
  IP6_ZONE {
    @Override
    byte[] parse(String text) {
      checkZone(text);
      return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    void validate(byte[] value) {
      checkZone(new String(value, StandardCharsets.ISO_8859_1));
    }

    @Override
    String format(byte[] value) {
      return new String(value, StandardCharsets.US_ASCII);
    }
  },

  /**
   * A Unix socket path, UTF-8 in binary. As in go-multiaddr it must be absolute, at least two
   * bytes, and not end in '/'. Control characters and '%' are refused: the first have no business
   * in an address, the second keeps the text form unambiguous (see {@link Multiaddr#parse}).
   */
  UNIX_PATH {
    @Override
    byte[] parse(String text) {
      checkUnixPath(text);
      return encodeUtf8(text);
    }

    @Override
    void validate(byte[] value) {
      checkUnixPath(decodeUtf8(value));
    }

    @Override
    String format(byte[] value) {
      return decodeUtf8(value);
    }
  },

  /**
   * A peer ID: binary multihash (identity or sha2-256); text base58btc, or a CIDv1 with the
   * libp2p-key codec on input. Written back as base58btc, as Go and JS do.
   */
  PEER_ID {
    @Override
    byte[] parse(String text) {
      return PeerId.parse(text).toBytes();
    }

    @Override
    void validate(byte[] value) {
      PeerId.fromBytes(value);
    }

    @Override
    String format(byte[] value) {
      return PeerId.fromBytes(value).toString();
    }
  },

  /**
   * A certificate hash (webtransport, webrtc-direct): a multihash in binary, any multibase in
   * text; written as base64url ('u'), as Go and JS do.
   */
  CERT_HASH {
    @Override
    byte[] parse(String text) {
      byte[] value = Multibase.decode(text);
      validate(value);
      return value;
    }

    @Override
    void validate(byte[] value) {
      Multihash.fromBytes(value);
    }

    @Override
    String format(byte[] value) {
      return Multibase.BASE64_URL.encode(value);
    }
  };

  abstract byte[] parse(String text);

  abstract void validate(byte[] value);

  abstract String format(byte[] value);

  private static final int MAX_DNS_NAME = 253;
  private static final int MAX_DNS_LABEL = 63;
  private static final int MAX_ZONE = 255;

  private static void requireLength(byte[] value, int length) {
    if (value.length != length) {
      throw new IllegalArgumentException("value must be " + length + " bytes, got " + value.length);
    }
  }

  private static int parseCanonicalDecimal(String text, int max, String what) {
    int n = text.length();
    if (n == 0 || n > 5) {
      throw new IllegalArgumentException("not a " + what);
    }
    int value = 0;
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new IllegalArgumentException("not a " + what);
      }
      value = value * 10 + (c - '0');
    }
    if (n > 1 && text.charAt(0) == '0') {
      throw new IllegalArgumentException(what + " with a leading zero");
    }
    if (value > max) {
      throw new IllegalArgumentException(what + " " + value + " is over " + max);
    }
    return value;
  }

  private static void checkDnsName(String name) {
    String body = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (body.isEmpty()) {
      throw new IllegalArgumentException("empty DNS name");
    }
    if (body.length() > MAX_DNS_NAME) {
      throw new IllegalArgumentException("DNS name longer than " + MAX_DNS_NAME + " characters");
    }
    int labelLength = 0;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '.') {
        if (labelLength == 0) {
          throw new IllegalArgumentException("empty label in DNS name");
        }
        labelLength = 0;
        continue;
      }
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) {
        throw new IllegalArgumentException("character " + describe(c) + " not allowed in a DNS name");
      }
      if (++labelLength > MAX_DNS_LABEL) {
        throw new IllegalArgumentException("DNS label longer than " + MAX_DNS_LABEL + " characters");
      }
    }
    if (labelLength == 0) {
      throw new IllegalArgumentException("empty label in DNS name");
    }
  }

  private static void checkZone(String zone) {
    if (zone.isEmpty() || zone.length() > MAX_ZONE) {
      throw new IllegalArgumentException("zone ID must be 1 to " + MAX_ZONE + " characters");
    }
    for (int i = 0; i < zone.length(); i++) {
      char c = zone.charAt(i);
      if (c <= 0x20 || c >= 0x7f || c == '/') {
        throw new IllegalArgumentException("character " + describe(c) + " not allowed in a zone ID");
      }
    }
  }

  private static void checkUnixPath(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("unix path must be absolute");
    }
    if (path.length() < 2) {
      throw new IllegalArgumentException("unix path must not be '/' alone");
    }
    if (path.endsWith("/")) {
      throw new IllegalArgumentException("unix path must not end in '/'");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '%') {
        throw new IllegalArgumentException("character " + describe(c) + " not allowed in a unix path");
      }
    }
  }

  static byte[] encodeUtf8(String text) {
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(text));
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("text is not valid Unicode (unpaired surrogate)", e);
    }
  }

  static String decodeUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("value is not valid UTF-8", e);
    }
  }

  private static String describe(char c) {
    return c >= 0x21 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }
}
