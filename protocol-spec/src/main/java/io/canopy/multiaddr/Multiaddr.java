package io.canopy.multiaddr;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A multiaddr (github.com/multiformats/multiaddr): a sequence of {@link Component}s, each a
 * {@link Protocol} and its value. Immutable; equal when the binary forms are equal.
 *
 * <p><b>Binary form</b>: for each component {@code varint(code)}, then the value — none, a fixed
 * number of bytes, or {@code varint(length)} and the bytes ({@link Protocol#sizeBits()}). A code
 * not in {@link Protocol} cannot be skipped (its size is unknown), so it fails naming the code.
 *
 * <p><b>Text form</b>: {@code (/name/value)+}, as go-multiaddr reads it:
 *
 * <ul>
 *   <li>it must start with '/'; trailing slashes are ignored ({@code /ip4/1.2.3.4/} is {@code
 *       /ip4/1.2.3.4}, as in go-multiaddr and js-multiaddr), empty steps inside are not ({@code
 *       /ip4/1.2.3.4//tcp/1} is refused, as in go-multiaddr);
 *   <li>{@code /ipfs/} is read as {@code /p2p/}, and a peer ID may be base58btc or a libp2p-key
 *       CID; both are written back as {@code /p2p/} and base58btc;
 *   <li>{@code /unix} takes the rest of the text as its path ({@code /unix/tmp/a.sock} is the path
 *       {@code /tmp/a.sock}), so it is always the last component. The percent-encoded single
 *       segment that js-multiaddr 13 writes ({@code /unix/%2Ftmp%2Fa.sock}) is read too, when the
 *       segment starts with {@code %2F}; since '%' is refused inside paths the two never clash.
 *       The Go form is the one written.
 *   <li>values are read strictly and written canonically: no leading zeros in ports or IPv4
 *       octets, IPv6 as RFC 5952 / Go's {@code net.IP.String()} ({@code ::1}, {@code
 *       ::ffff:1.2.3.4}), certhash as base64url. {@code /ip4} takes only dotted IPv4 and {@code
 *       /ip6} only IPv6 text (Go also takes "1.2.3.4" as {@code /ip6} and "::ffff:1.2.3.4" as
 *       {@code /ip4}; js-multiaddr does not, nor do we).
 * </ul>
 *
 * <p><b>Limits</b>: input over {@value #MAX_BINARY_LENGTH} bytes (binary) or {@value
 * #MAX_TEXT_LENGTH} characters (text) is refused, and so is any address whose binary or text form
 * would exceed them, so every {@code Multiaddr} converts both ways. The empty multiaddr exists (as
 * the result of {@link #decapsulate} or {@link #of()}), prints as "" and is not parsed back, as in
 * go-multiaddr.
 *
 * <p>Every failure is an {@link InvalidMultiaddrException} whose message quotes the input.
 */
public final class Multiaddr implements Comparable<Multiaddr> {
  public static final int MAX_BINARY_LENGTH = 1024;
  public static final int MAX_TEXT_LENGTH = 2048;

  private static final HexFormat HEX = HexFormat.of();
  private static final Multiaddr EMPTY = new Multiaddr(List.of(), new byte[0], "");

  private final List<Component> components;
  private final byte[] bytes;
  private final String text;

  private Multiaddr(List<Component> components, byte[] bytes, String text) {
    this.components = components;
    this.bytes = bytes;
    this.text = text;
  }

  // ---- construction ----------------------------------------------------------------------

  /** Parses the text form; see the class comment for the rules. */
  public static Multiaddr parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.length() > MAX_TEXT_LENGTH) {
      throw invalidText(text, "longer than " + MAX_TEXT_LENGTH + " characters");
    }
    if (text.isEmpty()) {
      throw invalidText(text, "empty multiaddr");
    }
    if (text.charAt(0) != '/') {
      throw invalidText(text, "must begin with '/'");
    }
    int end = text.length();
    while (end > 0 && text.charAt(end - 1) == '/') {
      end--;
    }
    if (end == 0) {
      throw invalidText(text, "empty multiaddr");
    }
    String[] steps = text.substring(1, end).split("/", -1);
    List<Component> components = new ArrayList<>();
    int i = 0;
    while (i < steps.length) {
      String name = steps[i++];
      if (name.isEmpty()) {
        throw invalidText(text, "empty protocol name (\"//\")");
      }
      Protocol protocol = Protocol.byName(name)
          .orElseThrow(() -> invalidText(text, "unknown protocol " + quoted(name)));
      if (!protocol.hasValue()) {
        components.add(Component.of(protocol));
        continue;
      }
      if (i >= steps.length) {
        throw invalidText(text, "missing value for /" + protocol.specName());
      }
      String value;
      if (protocol.isPath() && startsWithIgnoreCase(steps[i], "%2F")) {
        value = percentDecode(text, steps[i++]);
        if (i < steps.length) {
          throw invalidText(text, "/" + protocol.specName() + " must be the last component");
        }
      } else if (protocol.isPath()) {
        value = "/" + String.join("/", Arrays.asList(steps).subList(i, steps.length));
        i = steps.length;
      } else {
        value = steps[i++];
      }
      try {
        components.add(Component.of(protocol, value));
      } catch (InvalidMultiaddrException e) {
        throw invalidText(text, e.getMessage(), e);
      }
    }
    return create(components, () -> "invalid multiaddr " + quoted(text));
  }

  /** Decodes the binary form. */
  public static Multiaddr fromBytes(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length > MAX_BINARY_LENGTH) {
      throw invalidBytes(bytes, "longer than " + MAX_BINARY_LENGTH + " bytes");
    }
    if (bytes.length == 0) {
      throw invalidBytes(bytes, "empty multiaddr");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    List<Component> components = new ArrayList<>();
    while (in.hasRemaining()) {
      int offset = in.position();
      if (!components.isEmpty() && components.get(components.size() - 1).protocol().isPath()) {
        throw invalidBytes(bytes, "component at offset " + offset + " after a /unix path, which must be last");
      }
      long code = readVarint(in, bytes, "protocol code", offset);
      Protocol protocol = Protocol.byCode(code).orElseThrow(() -> invalidBytes(bytes,
          "unknown protocol code " + code + " at offset " + offset + "; its value size is unknown, so the rest cannot be read"));
      long size = protocol.isVariableSize()
          ? readVarint(in, bytes, "/" + protocol.specName() + " value length", offset)
          : protocol.sizeBits() / 8;
      if (size > in.remaining()) {
        throw invalidBytes(bytes, "/" + protocol.specName() + " at offset " + offset + " needs " + size
            + " value bytes, only " + in.remaining() + " left");
      }
      byte[] value = new byte[(int) size];
      in.get(value);
      try {
        components.add(Component.ofOwnedBytes(protocol, value));
      } catch (InvalidMultiaddrException e) {
        throw invalidBytes(bytes, "component at offset " + offset + ": " + e.getMessage(), e);
      }
    }
    return create(components, () -> "invalid multiaddr bytes " + quoted(bytes));
  }

  /** The multiaddr of these components, in order (none gives the empty multiaddr). */
  public static Multiaddr of(Component... components) {
    return of(Arrays.asList(components));
  }

  public static Multiaddr of(List<Component> components) {
    List<Component> copy = List.copyOf(components);
    return create(copy, () -> "invalid multiaddr " + copy);
  }

  /**
   * The TCP multiaddr of a socket address: {@code /ip4/…/tcp/…}, {@code /ip6/…/tcp/…} (after
   * {@code /ip6zone/…} when the address has a scope), or for an unresolved host name {@code
   * /dns/…/tcp/…} — nothing is looked up.
   */
  public static Multiaddr of(InetSocketAddress address) {
    Objects.requireNonNull(address, "address");
    Component port = Component.fromValueBytes(Protocol.TCP,
        new byte[] {(byte) (address.getPort() >>> 8), (byte) address.getPort()});
    if (address.isUnresolved()) {
      String host = address.getHostString();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      Component hostComponent;
      if (looksLike(host, Protocol.IP4)) {
        hostComponent = Component.of(Protocol.IP4, host);
      } else if (looksLike(host, Protocol.IP6)) {
        hostComponent = Component.of(Protocol.IP6, host);
      } else {
        hostComponent = Component.of(Protocol.DNS, host);
      }
      return of(hostComponent, port);
    }
    InetAddress ip = address.getAddress();
    if (ip instanceof Inet4Address) {
      return of(Component.fromValueBytes(Protocol.IP4, ip.getAddress()), port);
    }
    Inet6Address ip6 = (Inet6Address) ip;
    Component host = Component.fromValueBytes(Protocol.IP6, ip6.getAddress());
    String zone = ip6.getScopedInterface() != null
        ? ip6.getScopedInterface().getName()
        : ip6.getScopeId() != 0 ? Integer.toString(ip6.getScopeId()) : null;
    return zone == null ? of(host, port) : of(Component.of(Protocol.IP6ZONE, zone), host, port);
  }

  private static Multiaddr create(List<Component> components, Supplier<String> what) {
    if (components.isEmpty()) {
      return EMPTY;
    }
    int length = 0;
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < components.size(); i++) {
      Component c = Objects.requireNonNull(components.get(i), "component");
      if (i > 0 && components.get(i - 1).protocol().isPath()) {
        throw new InvalidMultiaddrException(what.get() + ": nothing may follow /"
            + components.get(i - 1).protocol().specName() + ", a path");
      }
      length += c.encodedLength();
      text.append(c);
    }
    if (length > MAX_BINARY_LENGTH) {
      throw new InvalidMultiaddrException(what.get() + ": binary form of " + length
          + " bytes is longer than " + MAX_BINARY_LENGTH);
    }
    if (text.length() > MAX_TEXT_LENGTH) {
      throw new InvalidMultiaddrException(what.get() + ": text form of " + text.length()
          + " characters is longer than " + MAX_TEXT_LENGTH);
    }
    byte[] bytes = new byte[length];
    int offset = 0;
    for (Component c : components) {
      byte[] b = c.toBytes();
      System.arraycopy(b, 0, bytes, offset, b.length);
      offset += b.length;
    }
    return new Multiaddr(List.copyOf(components), bytes, text.toString());
  }

  // ---- reading -----------------------------------------------------------------------------

  public List<Component> components() {
    return components;
  }

  public List<Protocol> protocols() {
    return components.stream().map(Component::protocol).toList();
  }

  public boolean isEmpty() {
    return components.isEmpty();
  }

  public boolean has(Protocol protocol) {
    return components.stream().anyMatch(c -> c.protocol() == protocol);
  }

  /** The text value of the first {@code protocol} component ("" if it takes none). */
  public Optional<String> value(Protocol protocol) {
    return components.stream().filter(c -> c.protocol() == protocol).findFirst().map(Component::value);
  }

  /** The peer this address leads to: the {@code /p2p} value if it is the last component. */
  public Optional<PeerId> peerId() {
    if (components.isEmpty()) {
      return Optional.empty();
    }
    Component last = components.get(components.size() - 1);
    return last.protocol() == Protocol.P2P ? Optional.of(PeerId.fromBytes(last.valueBytes())) : Optional.empty();
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  // ---- composing ---------------------------------------------------------------------------

  /** This address with {@code inner} appended ({@code /ip4/…/tcp/1} + {@code /ws}). */
  public Multiaddr encapsulate(Multiaddr inner) {
    if (inner.isEmpty()) {
      return this;
    }
    List<Component> joined = new ArrayList<>(components);
    joined.addAll(inner.components);
    return create(joined, () -> "cannot encapsulate '" + inner + "' in '" + this + "'");
  }

  /**
   * This address cut before the last occurrence of {@code suffix}'s components, or unchanged if
   * they do not occur (go-multiaddr's {@code Decapsulate}). Whatever followed the occurrence goes
   * too: {@code /ip4/1.2.3.4/tcp/1/ws} without {@code /tcp/1} is {@code /ip4/1.2.3.4}.
   */
  public Multiaddr decapsulate(Multiaddr suffix) {
    List<Component> part = suffix.components;
    if (part.isEmpty()) {
      return this;
    }
    for (int start = components.size() - part.size(); start >= 0; start--) {
      if (components.subList(start, start + part.size()).equals(part)) {
        return prefix(start);
      }
    }
    return this;
  }

  /** This address cut before its last {@code protocol} component, or unchanged if it has none. */
  public Multiaddr decapsulate(Protocol protocol) {
    for (int i = components.size() - 1; i >= 0; i--) {
      if (components.get(i).protocol() == protocol) {
        return prefix(i);
      }
    }
    return this;
  }

  /**
   * This address ending in {@code /p2p/<peer>}: unchanged if it already does, with the component
   * appended if it ends otherwise. Fails if it ends in a different peer ID.
   */
  public Multiaddr withPeerId(PeerId peer) {
    Objects.requireNonNull(peer, "peer");
    Optional<PeerId> current = peerId();
    if (current.isPresent()) {
      if (current.get().equals(peer)) {
        return this;
      }
      throw new InvalidMultiaddrException("'" + this + "' already ends in peer ID " + current.get() + ", not " + peer);
    }
    return encapsulate(of(Component.fromValueBytes(Protocol.P2P, peer.toBytes())));
  }

  /** This address without its final {@code /p2p} component, if it has one. */
  public Multiaddr withoutPeerId() {
    return peerId().isPresent() ? prefix(components.size() - 1) : this;
  }

  private Multiaddr prefix(int count) {
    return count == components.size() ? this : create(components.subList(0, count), () -> "prefix of " + this);
  }

  // ---- TCP ---------------------------------------------------------------------------------

  /**
   * The TCP endpoint this address starts with: {@code /ip4}, {@code /ip6} (optionally after
   * {@code /ip6zone}), {@code /dns}, {@code /dns4} or {@code /dns6}, then {@code /tcp}. Components
   * after those ({@code /p2p/…}, {@code /tls/ws}) are left to the caller. A name gives an
   * unresolved address (nothing is looked up here); an IPv4-mapped {@code /ip6} gives an {@link
   * Inet4Address}, as {@link InetAddress#getByAddress(byte[])} does. A zone must be a scope number
   * or the name of a local network interface.
   */
  public InetSocketAddress toInetSocketAddress() {
    int i = 0;
    String zone = null;
    if (components.size() > 0 && components.get(0).protocol() == Protocol.IP6ZONE) {
      zone = components.get(0).value();
      i = 1;
    }
    if (components.size() < i + 2 || components.get(i + 1).protocol() != Protocol.TCP) {
      throw notTcp("it does not start with a host and /tcp");
    }
    Component host = components.get(i);
    byte[] portBytes = components.get(i + 1).valueBytes();
    int port = ((portBytes[0] & 0xff) << 8) | (portBytes[1] & 0xff);
    if (zone != null && host.protocol() != Protocol.IP6) {
      throw notTcp("/ip6zone must be followed by /ip6");
    }
    try {
      return switch (host.protocol()) {
        case IP4 -> new InetSocketAddress(InetAddress.getByAddress(host.valueBytes()), port);
        case IP6 -> new InetSocketAddress(ip6Address(host.valueBytes(), zone), port);
        case DNS, DNS4, DNS6 -> InetSocketAddress.createUnresolved(host.value(), port);
        default -> throw notTcp("/" + host.protocol().specName() + " is not a TCP host");
      };
    } catch (UnknownHostException | SocketException e) {
      throw new InvalidMultiaddrException("'" + this + "' has no usable IP address: " + e.getMessage(), e);
    }
  }

  private static InetAddress ip6Address(byte[] address, String zone) throws UnknownHostException, SocketException {
    if (zone == null) {
      return InetAddress.getByAddress(address);
    }
    if (zone.chars().allMatch(c -> c >= '0' && c <= '9') && zone.length() <= 9) {
      return Inet6Address.getByAddress(null, address, Integer.parseInt(zone));
    }
    NetworkInterface nif = NetworkInterface.getByName(zone);
    if (nif == null) {
      throw new UnknownHostException("no network interface '" + zone + "' for the IPv6 zone");
    }
    return Inet6Address.getByAddress(null, address, nif);
  }

  private InvalidMultiaddrException notTcp(String reason) {
    return new InvalidMultiaddrException("'" + this + "' is not a TCP address: " + reason);
  }

  private static boolean looksLike(String host, Protocol protocol) {
    try {
      protocol.format().parse(host);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---- errors ------------------------------------------------------------------------------

  private static long readVarint(ByteBuffer in, byte[] bytes, String what, int componentOffset) {
    try {
      return Varint.read(in);
    } catch (IllegalArgumentException e) {
      throw invalidBytes(bytes, "bad " + what + " in the component at offset " + componentOffset + ": " + e.getMessage(), e);
    }
  }

  /** Decodes the js-multiaddr form of a unix path: one segment, '/' and '%' percent-encoded. */
  private static String percentDecode(String text, String segment) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(segment.length());
    int i = 0;
    while (i < segment.length()) {
      if (segment.charAt(i) != '%') {
        int next = segment.indexOf('%', i);
        int runEnd = next < 0 ? segment.length() : next;
        try {
          out.writeBytes(ValueFormat.encodeUtf8(segment.substring(i, runEnd)));
        } catch (IllegalArgumentException e) {
          throw invalidText(text, e.getMessage(), e);
        }
        i = runEnd;
        continue;
      }
      int hi = i + 2 < segment.length() ? hexDigit(segment.charAt(i + 1)) : -1;
      int lo = hi >= 0 ? hexDigit(segment.charAt(i + 2)) : -1;
      if (lo < 0) {
        throw invalidText(text, "bad percent-escape in " + quoted(segment));
      }
      out.write(hi * 16 + lo);
      i += 3;
    }
    try {
      return ValueFormat.decodeUtf8(out.toByteArray());
    } catch (IllegalArgumentException e) {
      throw invalidText(text, "percent-encoded path is not UTF-8", e);
    }
  }

  private static int hexDigit(char c) {
    return c < 0x80 ? Character.digit(c, 16) : -1;
  }

  private static boolean startsWithIgnoreCase(String s, String prefix) {
    return s.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  private static InvalidMultiaddrException invalidText(String text, String reason) {
    return new InvalidMultiaddrException("invalid multiaddr " + quoted(text) + ": " + reason);
  }

  private static InvalidMultiaddrException invalidText(String text, String reason, Throwable cause) {
    return new InvalidMultiaddrException("invalid multiaddr " + quoted(text) + ": " + reason, cause);
  }

  private static InvalidMultiaddrException invalidBytes(byte[] bytes, String reason) {
    return new InvalidMultiaddrException("invalid multiaddr bytes " + quoted(bytes) + ": " + reason);
  }

  private static InvalidMultiaddrException invalidBytes(byte[] bytes, String reason, Throwable cause) {
    return new InvalidMultiaddrException("invalid multiaddr bytes " + quoted(bytes) + ": " + reason, cause);
  }

  private static String quoted(String text) {
    return InvalidMultiaddrException.quoted(text);
  }

  private static String quoted(byte[] bytes) {
    if (bytes.length > MAX_BINARY_LENGTH) {
      return HEX.formatHex(bytes, 0, InvalidMultiaddrException.QUOTED_PREFIX) + "… (" + bytes.length + " bytes)";
    }
    return bytes.length == 0 ? "(empty)" : HEX.formatHex(bytes);
  }

  // ---- identity ----------------------------------------------------------------------------

  /** The text form; "" for the empty multiaddr. */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Multiaddr m && Arrays.equals(m.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Orders by the binary form, bytes compared unsigned. */
  @Override
  public int compareTo(Multiaddr o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }
}
