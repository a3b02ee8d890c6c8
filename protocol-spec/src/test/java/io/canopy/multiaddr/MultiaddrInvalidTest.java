package io.canopy.multiaddr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Inputs that must be refused, each with an {@link InvalidMultiaddrException} naming the input. */
class MultiaddrInvalidTest {
  private static final HexFormat HEX = HexFormat.of();

  /** Text, and a fragment the message must contain besides the text itself. */
  private static final String[][] BAD_TEXT = {
    // From go-multiaddr's TestConstructFails (the protocols we support).
    {"/ip4", "missing value for /ip4"},
    {"/ip4/::1", "not an IPv4 address"},
    {"/ip4/fdpsofodsajfdoisa", "not an IPv4 address"},
    {"/ip4/::/ipcidr/256", "not an IPv4 address"},
    {"/ip6/::/ipcidr/1026", "prefix length"},
    {"/ip6", "missing value"},
    {"/ip6zone", "missing value"},
    {"/ip6zone/", "missing value"},
    {"/ip6zone//ip6/fe80::1", "zone ID"},
    {"/udp", "missing value"},
    {"/tcp", "missing value"},
    {"/sctp", "missing value"},
    {"/udp/65536", "over 65535"},
    {"/tcp/65536", "over 65535"},
    {"/quic/65536", "unknown protocol '65536'"},
    {"/quic-v1/65536", "unknown protocol '65536'"},
    {"/udp/1234/sctp", "missing value"},
    {"/udp/1234/udt/1234", "unknown protocol '1234'"},
    {"/udp/1234/utp/1234", "unknown protocol '1234'"},
    {"/ip4/127.0.0.1/udp/jfodsajfidosajfoidsa", "not a port"},
    {"/ip4/127.0.0.1/udp", "missing value"},
    {"/ip4/127.0.0.1/tcp/jfodsajfidosajfoidsa", "not a port"},
    {"/ip4/127.0.0.1/tcp", "missing value"},
    {"/ip4/127.0.0.1/quic/1234", "unknown protocol '1234'"},
    {"/ip4/127.0.0.1/quic-v1/1234", "unknown protocol '1234'"},
    {"/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash", "missing value"},
    // One character missing from the base32 certhash.
    {"/ip4/127.0.0.1/udp/1234/quic-v1/webtransport/certhash/b2uaraocy6yrdblb4sfptaddgimjmmp", "/certhash"},
    {"/ip4/127.0.0.1/ipfs", "missing value for /p2p"},
    {"/ip4/127.0.0.1/ipfs/tcp", "invalid peer ID"},
    {"/ip4/127.0.0.1/p2p", "missing value"},
    {"/ip4/127.0.0.1/p2p/tcp", "invalid peer ID"},
    {"/unix", "missing value"},
    {"/ip4/1.2.3.4/tcp/80/unix", "missing value"},
    {"/ip4/1.2.3.4/tcp/-1", "not a port"},
    {"/ip4/127.0.0.1/tcp/9090/http/p2p-webcrt-direct", "unknown protocol 'p2p-webcrt-direct'"},
    {"/", "empty multiaddr"},
    {"", "empty multiaddr"},
    // sha2-256 peer ID whose digest is longer than 32 bytes.
    {"/p2p/QmxoHT6iViN5xAjoz1VZ553cL31U9F94ht3QvWR1FrEbZY", "digest needs 33 bytes"},
    // Ours.
    {"ip4/1.2.3.4", "must begin with '/'"},
    {"/ip4/1.2.3.4//tcp/1", "empty protocol name"},
    {"/ip4/1.2.3.4/tcp/01", "leading zero"},
    {"/ip4/1.2.3.4/tcp/+1", "not a port"},
    {"/ip4/1.2.3.4/tcp/ 1", "not a port"},
    {"/ip4/1.2.3.4/tcp/100000", "not a port"},
    {"/ip4/1.2.3.4/tcp/٣", "not a port"}, // Arabic-Indic digit three
    {"/ip4/01.2.3.4", "leading zero"},
    {"/ip4/256.2.3.4", "over 255"},
    {"/ip4/1.2.3", "not an IPv4 address"},
    {"/ip4/1.2.3.4.5", "not an IPv4 address"},
    {"/ip4/1.2.3.4 ", "not an IPv4 address"},
    {"/ip4/::ffff:1.2.3.4", "not an IPv4 address"},
    {"/ip6/1.2.3.4", "IPv4 part"},
    {"/ip6/1:2:3:4:5:6:7::8", "'::' in an IPv6 address with eight groups"},
    {"/ip6/1:2:3:4:5:6:7:8:9", "more than eight groups"},
    {"/ip6/1:2:3:4:5:6:7", "fewer than eight groups"},
    {"/ip6/1::2::3", "more than one '::'"},
    {"/ip6/12345::", "not an IPv6 address"},
    {"/ip6/:1::", "not an IPv6 address"},
    {"/ip6/1::2:", "single ':'"},
    {"/ip6/fe80::1%eth0", "unexpected '%'"},
    {"/ip6/g::", "not an IPv6 address"},
    {"/ip6/1:2:3:4:5:6:7:1.2.3.4", "IPv4 part"},
    {"/ip6/::1.2.3.04", "leading zero"},
    {"/dns4/exa mple.com", "U+0020"},
    {"/dns4/a..b", "empty label"},
    {"/dns4/.a", "empty label"},
    {"/dns4/.", "empty DNS name"},
    {"/dns/" + "a".repeat(64) + ".com", "longer than 63"},
    {"/dns/" + ("a".repeat(60) + ".").repeat(5) + "com", "longer than 253"},
    {"/dns/bücher.example", "U+00FC"},
    {"/dns/a\u0000b", "U+0000"},
    {"/sni/a*b", "'*'"},
    {"/ip6zone/a b/ip6/::1", "zone ID"},
    {"/unix/a%zz", "'%'"},
    {"/unix/%2Ftmp%2", "bad percent-escape"},
    {"/unix/%2Fa%ZZ", "bad percent-escape"},
    {"/unix/%2Fa%25b", "'%'"},
    {"/unix/%2Fa%FF", "not UTF-8"},
    {"/unix/%2Fa.sock/p2p/" + MultiaddrVectorsTest.ED25519_PEER, "must be the last component"},
    {"/unix/%2F", "'/' alone"},
    {"/unix/a\tb", "U+0009"},
    {"/unix/a\uD800b", "unpaired surrogate"},
    {"/tls/x", "unknown protocol 'x'"},
    {"/p2p/12D3KooW0OIl", "invalid peer ID"},
    {"/p2p/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "libp2p-key"},
    {"/certhash/not-multibase", "/certhash"},
    {"/certhash/f0102", "/certhash"},
    {"/onion3/vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd:1234", "unknown protocol 'onion3'"},
    {"/http-path/foo", "unknown protocol 'http-path'"},
    {"/ip4/1.2.3.4\n/tcp/1", "\\u000a"},
  };

  @Test
  void badTextIsRefusedWithTheInputInTheMessage() {
    for (String[] c : BAD_TEXT) {
      String text = c[0];
      assertThatThrownBy(() -> Multiaddr.parse(text))
          .as(text)
          .isInstanceOf(InvalidMultiaddrException.class)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(c[1]);
      if (text.chars().noneMatch(ch -> ch < 0x20)) {
        assertThatThrownBy(() -> Multiaddr.parse(text)).hasMessageContaining("'" + text + "'");
      }
    }
  }

  /** Binary input (hex) and a fragment of the message. */
  private static final String[][] BAD_BYTES = {
    {"", "empty multiaddr"},
    {"04", "needs 4 value bytes, only 0 left"},
    {"047f0000", "needs 4 value bytes, only 3 left"},
    {"047f00000106", "needs 2 value bytes, only 0 left"},
    {"3f0102", "unknown protocol code 63 at offset 0"},
    // onion (444) after a valid component: unknown to us, and its size is not skippable.
    {"0401020304bc030010c0439831b48218480050", "unknown protocol code 444 at offset 5"},
    {"80", "truncated varint"},
    {"8000", "not minimally encoded"},
    {"ffffffffffffffffff01", "longer than 9 bytes"},
    {"35", "truncated varint"},
    {"3500", "must not be empty"},
    {"3505616263", "needs 5 value bytes, only 3 left"},
    {"35ffffffffffffffff7f", "needs"},
    {"3503612062", "U+0020"},
    {"2a00", "must not be empty"},
    {"2a012f", "zone ID"},
    {"a50300", "must not be empty"},
    {"a5030401020304", "peer ID"},
    // An identity peer ID whose bytes are not a key protobuf.
    {"a5030400020102", "peer ID"},
    {"9003012f", "'/' alone"},
    {"9003026162", "absolute"},
    {"9003032f612f", "end in '/'"},
    {"9003032f61ff", "UTF-8"},
    {"9003032f6100", "U+0000"},
    // Anything after a unix path.
    {"9003022f61" + "0401020304", "after a /unix path"},
    {"d20302ffff", "/certhash"},
    {"d20303122001", "/certhash"},
  };

  @Test
  void badBytesAreRefusedWithTheInputInTheMessage() {
    for (String[] c : BAD_BYTES) {
      byte[] bytes = HEX.parseHex(c[0]);
      assertThatThrownBy(() -> Multiaddr.fromBytes(bytes))
          .as(c[0])
          .isInstanceOf(InvalidMultiaddrException.class)
          .hasMessageContaining(c[1])
          .hasMessageContaining(c[0].isEmpty() ? "(empty)" : c[0]);
    }
  }

  @Test
  void oversizedInputIsRefusedBeforeParsing() {
    String longText = "/ip4/1.2.3.4".repeat(200); // 2,400 characters
    assertThatThrownBy(() -> Multiaddr.parse(longText))
        .isInstanceOf(InvalidMultiaddrException.class)
        .hasMessageContaining("longer than 2048 characters")
        .hasMessageContaining("'/ip4/1.2.3.4/ip4")
        .hasMessageContaining("(2400 characters)");

    byte[] longBytes = new byte[1025];
    assertThatThrownBy(() -> Multiaddr.fromBytes(longBytes))
        .isInstanceOf(InvalidMultiaddrException.class)
        .hasMessageContaining("longer than 1024 bytes")
        .hasMessageContaining("(1025 bytes)");
  }

  @Test
  void anAddressWhoseOtherFormWouldBeTooLongIsRefused() {
    // Every Multiaddr fits both limits, so that it converts both ways. Within both: 342 × "/ws".
    String ws = "/ws".repeat(342);
    assertThat(Multiaddr.parse(ws).toBytes()).hasSize(684);

    // 1,020 bytes of binary (within the limit) whose text is 2,448 characters (over it).
    byte[] manyIp4 = HEX.parseHex("04ffffffff".repeat(204));
    assertThatThrownBy(() -> Multiaddr.fromBytes(manyIp4))
        .isInstanceOf(InvalidMultiaddrException.class)
        .hasMessageContaining("text form of 4080 characters is longer than 2048");

    // Text within the limit whose binary form is over it.
    String manyZones = "/ip6zone/" + "z".repeat(250);
    String text = manyZones.repeat(5); // 5 × 259 characters, 5 × 253 bytes
    assertThatThrownBy(() -> Multiaddr.parse(text))
        .isInstanceOf(InvalidMultiaddrException.class)
        .hasMessageContaining("binary form of 1265 bytes is longer than 1024");
  }

  @Test
  void nullIsAProgrammingError() {
    assertThatThrownBy(() -> Multiaddr.parse(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Multiaddr.fromBytes(null)).isInstanceOf(NullPointerException.class);
  }
}
