package io.canopy.multiaddr;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The multiaddr protocols Canopy reads and writes: rows of protocols.csv
 * (github.com/multiformats/multiaddr), with the value encodings of go-multiaddr.
 *
 * <p>A protocol's value is absent ({@link #sizeBits()} 0), of a fixed size in bits, or {@link
 * #VARIABLE}: then, in binary, a varint byte length comes first. Left out on purpose: onion,
 * onion3, garlic64, garlic32, memory and the deprecated webrtc-star family (no use in Canopy), and
 * http-path, whose binary value go-multiaddr and js-multiaddr encode differently. Binary input with
 * any of these codes fails with a message naming the code, as for any unknown code.
 */
public enum Protocol {
  IP4(4, "ip4", 32, ValueFormat.IP4),
  TCP(6, "tcp", 16, ValueFormat.PORT),
  DCCP(33, "dccp", 16, ValueFormat.PORT),
  IP6(41, "ip6", 128, ValueFormat.IP6),
  /** RFC 4007 zone of the {@code /ip6} that follows it. */
  IP6ZONE(42, "ip6zone", Protocol.VARIABLE, ValueFormat.IP6_ZONE),
  /** Prefix length for the address before it. */
  IPCIDR(43, "ipcidr", 8, ValueFormat.PREFIX_LENGTH),
  /** A name resolvable to IPv4 and IPv6 addresses. */
  DNS(53, "dns", Protocol.VARIABLE, ValueFormat.DNS_NAME),
  DNS4(54, "dns4", Protocol.VARIABLE, ValueFormat.DNS_NAME),
  DNS6(55, "dns6", Protocol.VARIABLE, ValueFormat.DNS_NAME),
  /** A name whose {@code _dnsaddr.} TXT records hold multiaddrs (protocols/DNSADDR.md). */
  DNSADDR(56, "dnsaddr", Protocol.VARIABLE, ValueFormat.DNS_NAME),
  SCTP(132, "sctp", 16, ValueFormat.PORT),
  UDP(273, "udp", 16, ValueFormat.PORT),
  /** Deprecated; kept so that old addresses still decode. */
  P2P_WEBRTC_DIRECT(276, "p2p-webrtc-direct", 0, ValueFormat.NONE),
  WEBRTC_DIRECT(280, "webrtc-direct", 0, ValueFormat.NONE),
  WEBRTC(281, "webrtc", 0, ValueFormat.NONE),
  P2P_CIRCUIT(290, "p2p-circuit", 0, ValueFormat.NONE),
  UDT(301, "udt", 0, ValueFormat.NONE),
  UTP(302, "utp", 0, ValueFormat.NONE),
  /**
   * A Unix socket path. A path protocol: in text, the rest of the address is the path, so it is
   * always the last component.
   */
  UNIX(400, "unix", Protocol.VARIABLE, ValueFormat.UNIX_PATH),
  /** A peer ID; "ipfs" is its legacy text name, still read. */
  P2P(421, "p2p", Protocol.VARIABLE, ValueFormat.PEER_ID),
  /** Deprecated alias for /tls/http. */
  HTTPS(443, "https", 0, ValueFormat.NONE),
  TLS(448, "tls", 0, ValueFormat.NONE),
  /** TLS Server Name Indication (RFC 6066 §3). */
  SNI(449, "sni", Protocol.VARIABLE, ValueFormat.DNS_NAME),
  NOISE(454, "noise", 0, ValueFormat.NONE),
  /** QUIC draft-29; superseded by quic-v1. */
  QUIC(460, "quic", 0, ValueFormat.NONE),
  QUIC_V1(461, "quic-v1", 0, ValueFormat.NONE),
  WEBTRANSPORT(465, "webtransport", 0, ValueFormat.NONE),
  /** A multihash of a certificate (webtransport, webrtc-direct). */
  CERTHASH(466, "certhash", Protocol.VARIABLE, ValueFormat.CERT_HASH),
  WS(477, "ws", 0, ValueFormat.NONE),
  /** Deprecated alias for /tls/ws. */
  WSS(478, "wss", 0, ValueFormat.NONE),
  HTTP(480, "http", 0, ValueFormat.NONE);

  /** {@link #sizeBits()} of a protocol whose binary value is varint-length-prefixed. */
  public static final int VARIABLE = -1;

  /** The legacy text name of {@link #P2P}, accepted on input and never written. */
  public static final String LEGACY_P2P_NAME = "ipfs";

  private static final Map<Integer, Protocol> BY_CODE = new HashMap<>();
  private static final Map<String, Protocol> BY_NAME = new HashMap<>();

  static {
    for (Protocol p : values()) {
      BY_CODE.put(p.code, p);
      BY_NAME.put(p.specName, p);
    }
    BY_NAME.put(LEGACY_P2P_NAME, P2P);
  }

  private final int code;
  private final String specName;
  private final int sizeBits;
  private final ValueFormat format;

  Protocol(int code, String specName, int sizeBits, ValueFormat format) {
    this.code = code;
    this.specName = specName;
    this.sizeBits = sizeBits;
    this.format = format;
  }

  /** The multicodec code, written as a varint before the value. */
  public int code() {
    return code;
  }

  /** The name in protocols.csv, which is also the name in the text form. */
  public String specName() {
    return specName;
  }

  /** The value size in bits: 0 for none, {@link #VARIABLE} for length-prefixed. */
  public int sizeBits() {
    return sizeBits;
  }

  public boolean hasValue() {
    return sizeBits != 0;
  }

  public boolean isVariableSize() {
    return sizeBits == VARIABLE;
  }

  /** Whether the value is a path that takes the rest of the text form (only {@link #UNIX}). */
  public boolean isPath() {
    return this == UNIX;
  }

  ValueFormat format() {
    return format;
  }

  public static Optional<Protocol> byCode(long code) {
    return code < 0 || code > Integer.MAX_VALUE ? Optional.empty() : Optional.ofNullable(BY_CODE.get((int) code));
  }

  /** The protocol with this text name; "ipfs" gives {@link #P2P}. */
  public static Optional<Protocol> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  @Override
  public String toString() {
    return specName;
  }
}
