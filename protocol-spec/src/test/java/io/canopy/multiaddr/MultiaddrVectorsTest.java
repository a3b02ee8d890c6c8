package io.canopy.multiaddr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fixed text ↔ binary vectors. Sources: the multiaddr spec (README "Specification",
 * protocols/ip46.md, test/multiaddr.feature), go-multiaddr's multiaddr_test.go, and the rest
 * computed with js-multiaddr 13.0.3 (Node 20): {@code Buffer.from(multiaddr(text).bytes)}.
 */
class MultiaddrVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  /** An Ed25519 peer ID (Ed25519KeyTest's vector) and a sha2-256 one (a bootstrap node). */
  static final String ED25519_PEER = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB";
  static final String ED25519_PEER_HEX = "00240801122003a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
  static final String ED25519_PEER_CID_BASE32 = "bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmny";
  static final String ED25519_PEER_CID_BASE36 = "k51qzi5uqu5dg9ufswxt229ntzdy7p4125xzv5rtyjso89ajdujg6csfxcj260";
  static final String RSA_PEER = "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN";
  static final String RSA_PEER_HEX = "122006b3608aa000274049eb28ad8e793a26ff6fab281a7d3bd77cd18eb745dfaabb";
  static final String CERTHASH = "uEiDDq4_xNyDorZBH3TlGazyJdOWSwvo4PUo5YHFMrvDE8g";
  static final String CERTHASH_HEX = "1220c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2";

  /** Canonical text (parses and prints back unchanged) and its binary form. */
  record Vector(String text, String hex) {}

  static final List<Vector> CANONICAL = List.of(
      // Spec README: "/ip4/127.0.0.1/udp/1234" = 0x4 0x7f 0x0 0x0 0x1 0x91 0x2 0x4 0xd2
      new Vector("/ip4/127.0.0.1/udp/1234", "047f000001910204d2"),
      // Spec test/multiaddr.feature
      new Vector("/ip4/192.0.2.42/tcp/443", "04c000022a0601bb"),
      // Spec protocols/ip46.md
      new Vector("/ip4/127.0.0.1", "047f000001"),
      new Vector("/ip6/fe80::4f83:b267:765b:d572", "29fe800000000000004f83b267765bd572"),
      // go-multiaddr TestStringToBytes / TestZone
      new Vector("/ip4/127.0.0.1/tcp/4321", "047f0000010610e1"),
      new Vector("/ip4/127.0.0.1/udp/1234/ip4/127.0.0.1/tcp/4321", "047f000001910204d2047f0000010610e1"),
      new Vector("/ip6zone/eth0/ip6/::1", "2a04657468302900000000000000000000000000000001"),
      // js-multiaddr 13.0.3
      new Vector("/ip4/127.0.0.1/tcp/4001", "047f000001060fa1"),
      new Vector("/ip4/0.0.0.0/tcp/0", "0400000000060000"),
      new Vector("/ip4/255.255.255.255/tcp/65535", "04ffffffff06ffff"),
      new Vector("/ip6/::1/tcp/1", "2900000000000000000000000000000001060001"),
      new Vector("/ip6/2001:db8::1/udp/4001/quic-v1", "2920010db800000000000000000000000191020fa1cd03"),
      new Vector("/ip6/2001:db8:85a3::8a2e:370:7334/tcp/65535", "2920010db885a3000000008a2e0370733406ffff"),
      new Vector("/dns4/example.com/tcp/443/wss", "360b6578616d706c652e636f6d0601bbde03"),
      new Vector("/dns6/example.com/tcp/443/tls/ws", "370b6578616d706c652e636f6d0601bbc003dd03"),
      new Vector("/dns/example.com/tcp/443/tls/http", "350b6578616d706c652e636f6d0601bbc003e003"),
      new Vector("/dnsaddr/bootstrap.libp2p.io/p2p/" + RSA_PEER,
          "3813626f6f7473747261702e6c69627032702e696f" + "a50322" + RSA_PEER_HEX),
      new Vector("/ip4/1.2.3.4/tcp/4001/p2p/" + ED25519_PEER, "0401020304060fa1" + "a50326" + ED25519_PEER_HEX),
      new Vector("/ip4/1.2.3.4/tcp/4001/p2p/" + RSA_PEER + "/p2p-circuit/p2p/" + ED25519_PEER,
          "0401020304060fa1" + "a50322" + RSA_PEER_HEX + "a202" + "a50326" + ED25519_PEER_HEX),
      new Vector("/dns4/a.b/tcp/1/ws/p2p/" + ED25519_PEER + "/p2p-circuit",
          "3603612e62060001dd03" + "a50326" + ED25519_PEER_HEX + "a202"),
      new Vector("/ip4/1.2.3.4/udp/4001/quic-v1/webtransport/certhash/" + CERTHASH + "/certhash/" + CERTHASH,
          "040102030491020fa1cd03d103" + "d20322" + CERTHASH_HEX + "d20322" + CERTHASH_HEX),
      new Vector("/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/" + CERTHASH,
          "0401020304910200019802" + "d20322" + CERTHASH_HEX),
      new Vector("/ip4/1.2.3.4/sctp/5000", "040102030484011388"),
      new Vector("/ip4/1.2.3.4/dccp/5000", "0401020304211388"),
      new Vector("/ip4/1.2.3.4/udp/1/quic", "040102030491020001cc03"),
      new Vector("/ip4/1.2.3.4/udp/1/utp", "040102030491020001ae02"),
      new Vector("/ip4/1.2.3.4/udp/1/udt", "040102030491020001ad02"),
      new Vector("/ip4/1.2.3.4/tcp/1/noise", "0401020304060001c603"),
      new Vector("/ip4/1.2.3.4/tcp/1/ws", "0401020304060001dd03"),
      new Vector("/ip4/1.2.3.4/tcp/1/webrtc", "04010203040600019902"),
      new Vector("/ip4/1.2.3.4/tcp/1/p2p-webrtc-direct", "04010203040600019402"),
      new Vector("/ip4/1.2.3.4/tcp/443/https", "04010203040601bbbb03"),
      new Vector("/ip4/192.0.2.0/ipcidr/24", "04c00002002b18"),
      new Vector("/ip4/1.2.3.4/tcp/443/tls/sni/example.com/http", "04010203040601bbc003c1030b6578616d706c652e636f6de003"),
      new Vector("/ip6zone/x%y/ip6/::", "2a037825792900000000000000000000000000000000"),
      new Vector("/p2p/16Uiu2HAm3E9ojhSry2HqKRTKS25hr8QXEVux8Ht59aKB3fAYNsBW",
          "a503270025080212210273e9fd462789349317ddb09c9df6bbc2701cb63b69123dd8f3b9439b49ddd4c1"),
      new Vector("/p2p/QmSa63kbYBVE1fpM8zfYjbQtVHTocb59Nx6MHW3kGnApB1",
          "a5032212203edff2e4fdf8c50e39f0b2536b3e5a99d9fca337685dff6bf7073ba7eaac8e38"),
      // IPv6 compression (RFC 5952 §4.2; hex from js-multiaddr, text as Go's net.IP.String()).
      new Vector("/ip6/::", "2900000000000000000000000000000000"),
      new Vector("/ip6/1::", "2900010000000000000000000000000000"),
      new Vector("/ip6/1::1:0:0:1:1", "2900010000000000010000000000010001"),
      new Vector("/ip6/::1:0:0:1:0:0", "2900000000000100000000000100000000"),
      new Vector("/ip6/1:0:1:0:1:0:1:0", "2900010000000100000001000000010000"),
      new Vector("/ip6/0:2:3:4:5:6:7:8", "2900000002000300040005000600070008"),
      new Vector("/ip6/1:2:3:4:5:6:7:0", "2900010002000300040005000600070000"),
      new Vector("/ip6/1:20:300:4000::", "2900010020030040000000000000000000"),
      new Vector("/ip6/64:ff9b::102:304", "290064ff9b000000000000000001020304"),
      new Vector("/ip6/::ffff:0:102:304", "290000000000000000ffff000001020304"),
      // IPv4-mapped: the bytes from js-multiaddr; the text is Go's ("::ffff:" + dotted IPv4).
      new Vector("/ip6/::ffff:1.2.3.4/tcp/1", "2900000000000000000000ffff01020304060001"),
      new Vector("/ip6/::ffff:0.0.0.0", "2900000000000000000000ffff00000000"),
      // Unix path: the bytes from js-multiaddr ("/unix/%2Ftmp%2Fp2p.sock"); the text is Go's.
      new Vector("/unix/tmp/p2p.sock", "90030d2f746d702f7032702e736f636b"),
      // go-multiaddr TestRoundTrip
      new Vector("/unix/a/b/c/d", "9003082f612f622f632f64"),
      new Vector("/ip4/127.0.0.1/udp/123/ip6/::", "047f000001910200" + "7b" + "2900000000000000000000000000000000"));

  /** Non-canonical text, its binary form, and the text it prints as. */
  record Alias(String text, String hex, String canonical) {}

  static final List<Alias> ALIASES = List.of(
      new Alias("/ipfs/" + RSA_PEER, "a50322" + RSA_PEER_HEX, "/p2p/" + RSA_PEER),
      new Alias("/ip4/1.2.3.4/", "0401020304", "/ip4/1.2.3.4"),
      new Alias("/ip4/127.0.0.1/tcp/1234///", "047f000001" + "0604d2", "/ip4/127.0.0.1/tcp/1234"),
      new Alias("/ip4/1.2.3.4/tcp/1/p2p/" + ED25519_PEER_CID_BASE32, "0401020304060001a50326" + ED25519_PEER_HEX,
          "/ip4/1.2.3.4/tcp/1/p2p/" + ED25519_PEER),
      new Alias("/p2p/" + ED25519_PEER_CID_BASE36, "a50326" + ED25519_PEER_HEX, "/p2p/" + ED25519_PEER),
      new Alias("/certhash/zQmbWTwYGcmdyK9CYfNBcfs9nhZs17a6FQ4Y8oea278xx41", "d20322" + CERTHASH_HEX,
          "/certhash/" + CERTHASH),
      new Alias("/ip6/2001:DB8::1", "2920010db8000000000000000000000001", "/ip6/2001:db8::1"),
      new Alias("/ip6/0:0:0:0:0:0:0:1", "2900000000000000000000000000000001", "/ip6/::1"),
      new Alias("/ip6/::0.0.0.1", "2900000000000000000000000000000001", "/ip6/::1"),
      new Alias("/ip6/1:2:3:4:5:6:7::", "2900010002000300040005000600070000", "/ip6/1:2:3:4:5:6:7:0"),
      new Alias("/ip6/1:2:3:4:5:6:1.2.3.4", "2900010002000300040005000601020304", "/ip6/1:2:3:4:5:6:102:304"),
      new Alias("/ip6/::FFFF:0102:0304", "2900000000000000000000ffff01020304", "/ip6/::ffff:1.2.3.4"),
      new Alias("/ip6/0001:0020:0300:4000:0:0:0:0", "2900010020030040000000000000000000", "/ip6/1:20:300:4000::"),
      // js-multiaddr 13's percent-encoded unix form is read too.
      new Alias("/unix/%2Ftmp%2Fp2p.sock", "90030d2f746d702f7032702e736f636b", "/unix/tmp/p2p.sock"),
      new Alias("/unix/%2ftmp%2fp2p.sock/", "90030d2f746d702f7032702e736f636b", "/unix/tmp/p2p.sock"));

  @Test
  void canonicalTextEncodesToTheVectorAndBack() {
    for (Vector v : CANONICAL) {
      Multiaddr fromText = Multiaddr.parse(v.text());
      assertThat(HEX.formatHex(fromText.toBytes())).as(v.text()).isEqualTo(v.hex());
      assertThat(fromText).as(v.text()).hasToString(v.text());

      Multiaddr fromBytes = Multiaddr.fromBytes(HEX.parseHex(v.hex()));
      assertThat(fromBytes).as(v.hex()).hasToString(v.text()).isEqualTo(fromText);
    }
  }

  @Test
  void aliasesParseToTheSameBytesAndPrintCanonically() {
    for (Alias a : ALIASES) {
      Multiaddr m = Multiaddr.parse(a.text());
      assertThat(HEX.formatHex(m.toBytes())).as(a.text()).isEqualTo(a.hex());
      assertThat(m).as(a.text()).hasToString(a.canonical());
      assertThat(Multiaddr.parse(a.canonical())).isEqualTo(m);
    }
  }

  @Test
  void componentsOfTheSpecFeatureExample() {
    // test/multiaddr.feature: the components table of /ip4/192.0.2.42/tcp/443.
    Multiaddr m = Multiaddr.fromBytes(HEX.parseHex("04c000022a0601bb"));

    assertThat(m.components()).hasSize(2);
    Component ip = m.components().get(0);
    Component tcp = m.components().get(1);
    assertThat(ip.protocol()).isEqualTo(Protocol.IP4);
    assertThat(ip.protocol().code()).isEqualTo(4);
    assertThat(ip).hasToString("/ip4/192.0.2.42");
    assertThat(ip.value()).isEqualTo("192.0.2.42");
    assertThat(HEX.formatHex(ip.valueBytes())).isEqualTo("c000022a");
    assertThat(HEX.formatHex(ip.toBytes())).isEqualTo("04c000022a");
    assertThat(tcp.protocol().code()).isEqualTo(6);
    assertThat(tcp).hasToString("/tcp/443");
    assertThat(HEX.formatHex(tcp.valueBytes())).isEqualTo("01bb");
    assertThat(HEX.formatHex(tcp.toBytes())).isEqualTo("0601bb");
    assertThat(m.toString()).hasSize(23);
  }

  @Test
  void protocolTableMatchesProtocolsCsv() {
    // code, size in bits (-1 = V), name: rows of protocols.csv.
    Object[][] rows = {
      {4, 32, "ip4"}, {6, 16, "tcp"}, {273, 16, "udp"}, {33, 16, "dccp"}, {41, 128, "ip6"},
      {42, -1, "ip6zone"}, {43, 8, "ipcidr"}, {53, -1, "dns"}, {54, -1, "dns4"}, {55, -1, "dns6"},
      {56, -1, "dnsaddr"}, {132, 16, "sctp"}, {301, 0, "udt"}, {302, 0, "utp"}, {400, -1, "unix"},
      {421, -1, "p2p"}, {448, 0, "tls"}, {449, -1, "sni"}, {454, 0, "noise"}, {460, 0, "quic"},
      {461, 0, "quic-v1"}, {465, 0, "webtransport"}, {466, -1, "certhash"}, {480, 0, "http"},
      {443, 0, "https"}, {477, 0, "ws"}, {478, 0, "wss"}, {276, 0, "p2p-webrtc-direct"},
      {280, 0, "webrtc-direct"}, {281, 0, "webrtc"}, {290, 0, "p2p-circuit"},
    };
    assertThat(Protocol.values()).hasSize(rows.length);
    for (Object[] row : rows) {
      Protocol p = Protocol.byName((String) row[2]).orElseThrow();
      assertThat(p.code()).as(p.specName()).isEqualTo(row[0]);
      assertThat(p.sizeBits()).as(p.specName()).isEqualTo(row[1]);
      assertThat(Protocol.byCode((int) row[0])).contains(p);
    }
    assertThat(Protocol.byName("ipfs")).contains(Protocol.P2P);
    assertThat(Protocol.byCode(444)).isEmpty(); // onion: not supported
    assertThat(Protocol.byCode(-1)).isEmpty();
    assertThat(Protocol.byCode(1L << 40)).isEmpty();
  }
}
