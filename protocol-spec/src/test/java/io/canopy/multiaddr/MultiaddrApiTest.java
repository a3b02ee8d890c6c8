package io.canopy.multiaddr;

import static io.canopy.multiaddr.MultiaddrVectorsTest.ED25519_PEER;
import static io.canopy.multiaddr.MultiaddrVectorsTest.ED25519_PEER_CID_BASE32;
import static io.canopy.multiaddr.MultiaddrVectorsTest.ED25519_PEER_CID_BASE36;
import static io.canopy.multiaddr.MultiaddrVectorsTest.RSA_PEER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultiaddrApiTest {
  private static final HexFormat HEX = HexFormat.of();

  private static Multiaddr ma(String text) {
    return Multiaddr.parse(text);
  }

  @Test
  void componentsAndValues() {
    Multiaddr m = ma("/ip4/127.0.0.1/udp/1234/quic-v1/p2p/" + ED25519_PEER);

    assertThat(m.protocols()).containsExactly(Protocol.IP4, Protocol.UDP, Protocol.QUIC_V1, Protocol.P2P);
    assertThat(m.components()).extracting(Component::toString)
        .containsExactly("/ip4/127.0.0.1", "/udp/1234", "/quic-v1", "/p2p/" + ED25519_PEER);
    assertThat(m.value(Protocol.IP4)).contains("127.0.0.1");
    assertThat(m.value(Protocol.UDP)).contains("1234");
    assertThat(m.value(Protocol.QUIC_V1)).contains("");
    assertThat(m.value(Protocol.P2P)).contains(ED25519_PEER);
    assertThat(m.value(Protocol.TCP)).isEmpty();
    assertThat(m.has(Protocol.QUIC_V1)).isTrue();
    assertThat(m.has(Protocol.TCP)).isFalse();
    // The first of several (go-multiaddr's ValueForProtocol).
    assertThat(ma("/ip4/0.0.0.0/ip4/1.1.1.1").value(Protocol.IP4)).contains("0.0.0.0");
    // A path value is the path.
    assertThat(ma("/ip4/0.0.0.0/unix/a/b/c/d").value(Protocol.UNIX)).contains("/a/b/c/d");
  }

  @Test
  void componentsBuildTheSameAddress() {
    Multiaddr built = Multiaddr.of(
        Component.of(Protocol.IP6, "2001:db8::1"),
        Component.of(Protocol.TCP, "4001"),
        Component.of(Protocol.TLS),
        Component.of(Protocol.WS, ""));

    assertThat(built).isEqualTo(ma("/ip6/2001:db8::1/tcp/4001/tls/ws"));
    assertThat(Multiaddr.of(built.components())).isEqualTo(built);
    assertThat(Component.fromValueBytes(Protocol.TCP, new byte[] {0x0f, (byte) 0xa1})).hasToString("/tcp/4001");
    assertThatThrownBy(() -> Component.of(Protocol.TCP)).isInstanceOf(InvalidMultiaddrException.class);
    assertThatThrownBy(() -> Component.of(Protocol.TLS, "x")).isInstanceOf(InvalidMultiaddrException.class);
    assertThatThrownBy(() -> Component.fromValueBytes(Protocol.IP4, new byte[3]))
        .isInstanceOf(InvalidMultiaddrException.class).hasMessageContaining("4 bytes");
    assertThatThrownBy(() -> Multiaddr.of(Component.of(Protocol.UNIX, "/a"), Component.of(Protocol.TLS)))
        .isInstanceOf(InvalidMultiaddrException.class).hasMessageContaining("nothing may follow /unix");
  }

  @Test
  void equalityIsByBytes() {
    assertThat(ma("/ip4/127.0.0.1/tcp/1234/")).isEqualTo(ma("/ip4/127.0.0.1/tcp/1234"))
        .hasSameHashCodeAs(ma("/ip4/127.0.0.1/tcp/1234"));
    assertThat(ma("/ip6/0::1")).isEqualTo(ma("/ip6/::1"));
    assertThat(ma("/ip4/127.0.0.1/udp/1234")).isNotEqualTo(ma("/ip4/127.0.0.1/tcp/1234"));
    assertThat(ma("/ip4/1.2.3.4")).isLessThan(ma("/ip4/1.2.3.5")).isLessThan(ma("/ip6/::"));
  }

  @Test
  void encapsulateAndDecapsulate() {
    // go-multiaddr TestEncapsulate / TestDecapsulateComment.
    Multiaddr m = ma("/ip4/127.0.0.1/udp/1234");
    Multiaddr b = m.encapsulate(ma("/udp/5678"));
    assertThat(b).hasToString("/ip4/127.0.0.1/udp/1234/udp/5678");
    Multiaddr c = b.decapsulate(ma("/udp/5678"));
    assertThat(c).hasToString("/ip4/127.0.0.1/udp/1234");
    assertThat(c.decapsulate(ma("/ip4/127.0.0.1")).isEmpty()).isTrue();
    assertThat(m.encapsulate(c.decapsulate(c))).isEqualTo(m);
  }

  @Test
  void decapsulateCasesOfGoMultiaddr() {
    // go-multiaddr TestDecapsulate: left, right, expected ("" = empty).
    String[][] cases = {
      {"/ip4/1.2.3.4/tcp/1234", "/ip4/1.2.3.4", ""},
      {"/ip4/1.2.3.4", "/ip4/1.2.3.4/tcp/1234", "/ip4/1.2.3.4"},
      {"/ip4/1.2.3.5/tcp/1234", "/ip4/5.3.2.1", "/ip4/1.2.3.5/tcp/1234"},
      {"/ip4/1.2.3.5/udp/1234/quic-v1", "/udp/1234", "/ip4/1.2.3.5"},
      {"/ip4/1.2.3.6/udp/1234/quic-v1", "/udp/1234/quic-v1", "/ip4/1.2.3.6"},
      {"/ip4/1.2.3.7/tcp/1234", "/ws", "/ip4/1.2.3.7/tcp/1234"},
      {"/dnsaddr/wss.com/tcp/4001", "/ws", "/dnsaddr/wss.com/tcp/4001"},
      {"/dnsaddr/wss.com/tcp/4001/ws", "/wss", "/dnsaddr/wss.com/tcp/4001/ws"},
      {"/dnsaddr/wss.com/ws", "/wss", "/dnsaddr/wss.com/ws"},
      {"/dnsaddr/wss.com/ws", "/dnsaddr/wss.com", ""},
      {"/dnsaddr/wss.com/tcp/4001/wss", "/wss", "/dnsaddr/wss.com/tcp/4001"},
    };
    for (String[] c : cases) {
      Multiaddr left = ma(c[0]);
      assertThat(left.decapsulate(ma(c[1]))).as(c[0] + " - " + c[1]).hasToString(c[2]);
      // Splitting off the last component and putting it back is the identity.
      List<Component> parts = left.components();
      Multiaddr last = Multiaddr.of(parts.get(parts.size() - 1));
      Multiaddr butLast = Multiaddr.of(parts.subList(0, parts.size() - 1));
      assertThat(butLast.encapsulate(last)).hasToString(c[0]);
    }
    // The last occurrence is the one removed.
    assertThat(ma("/ip4/1.2.3.4/tcp/1/ip4/1.2.3.4/tcp/1/ws").decapsulate(ma("/tcp/1")))
        .hasToString("/ip4/1.2.3.4/tcp/1/ip4/1.2.3.4");
  }

  @Test
  void decapsulateByProtocol() {
    Multiaddr circuit = ma("/ip4/1.2.3.4/tcp/1/p2p/" + RSA_PEER + "/p2p-circuit/p2p/" + ED25519_PEER);

    assertThat(circuit.decapsulate(Protocol.P2P_CIRCUIT)).hasToString("/ip4/1.2.3.4/tcp/1/p2p/" + RSA_PEER);
    assertThat(circuit.decapsulate(Protocol.P2P)).hasToString("/ip4/1.2.3.4/tcp/1/p2p/" + RSA_PEER + "/p2p-circuit");
    assertThat(circuit.decapsulate(Protocol.UDP)).isSameAs(circuit);
    assertThat(circuit.decapsulate(Protocol.IP4).isEmpty()).isTrue();
  }

  @Test
  void peerIdInBothTextForms() {
    PeerId peer = PeerId.parse(ED25519_PEER);
    Multiaddr base58 = ma("/ip4/1.2.3.4/tcp/4001/p2p/" + ED25519_PEER);
    Multiaddr base32 = ma("/ip4/1.2.3.4/tcp/4001/p2p/" + ED25519_PEER_CID_BASE32);
    Multiaddr base36 = ma("/ip4/1.2.3.4/tcp/4001/ipfs/" + ED25519_PEER_CID_BASE36);

    assertThat(base32).isEqualTo(base58).isEqualTo(base36);
    assertThat(base32).hasToString("/ip4/1.2.3.4/tcp/4001/p2p/" + ED25519_PEER);
    assertThat(base58.peerId()).contains(peer);
    assertThat(peer.ed25519PublicKey()).isPresent();
  }

  @Test
  void withAndWithoutPeerId() {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(new byte[32]);
    PeerId peer = key.peerId();
    Multiaddr tcp = ma("/ip4/1.2.3.4/tcp/4001");

    Multiaddr dialable = tcp.withPeerId(peer);
    assertThat(dialable).hasToString("/ip4/1.2.3.4/tcp/4001/p2p/" + peer);
    assertThat(dialable.peerId()).contains(peer);
    assertThat(dialable.withPeerId(peer)).isSameAs(dialable);
    assertThat(dialable.withoutPeerId()).isEqualTo(tcp);
    assertThat(tcp.withoutPeerId()).isSameAs(tcp);
    assertThat(tcp.peerId()).isEmpty();
    assertThatThrownBy(() -> dialable.withPeerId(PeerId.parse(ED25519_PEER)))
        .isInstanceOf(InvalidMultiaddrException.class)
        .hasMessageContaining("already ends in peer ID " + peer);

    // A relay address: the peer is the one after /p2p-circuit; without it, there is none yet.
    Multiaddr relay = ma("/ip4/1.2.3.4/tcp/1/p2p/" + RSA_PEER + "/p2p-circuit");
    assertThat(relay.peerId()).isEmpty();
    assertThat(relay.withPeerId(peer).peerId()).contains(peer);
    assertThat(relay.withPeerId(peer).decapsulate(Protocol.P2P_CIRCUIT).peerId()).contains(PeerId.parse(RSA_PEER));
  }

  @Test
  void tcpSocketAddresses() throws Exception {
    InetSocketAddress v4 = ma("/ip4/127.0.0.1/tcp/4001/p2p/" + ED25519_PEER).toInetSocketAddress();
    assertThat(v4.getAddress()).isEqualTo(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    assertThat(v4.getPort()).isEqualTo(4001);

    InetSocketAddress v6 = ma("/ip6/::1/tcp/1").toInetSocketAddress();
    assertThat(v6.getAddress()).isInstanceOf(Inet6Address.class);
    assertThat(v6.getAddress().isLoopbackAddress()).isTrue();

    InetSocketAddress mapped = ma("/ip6/::ffff:1.2.3.4/tcp/1").toInetSocketAddress();
    assertThat(mapped.getAddress()).isInstanceOf(Inet4Address.class);

    InetSocketAddress zoned = ma("/ip6zone/3/ip6/fe80::1/tcp/5").toInetSocketAddress();
    assertThat(((Inet6Address) zoned.getAddress()).getScopeId()).isEqualTo(3);

    for (String dns : List.of("dns", "dns4", "dns6")) {
      InetSocketAddress named = ma("/" + dns + "/example.com/tcp/443/tls/ws").toInetSocketAddress();
      assertThat(named.isUnresolved()).isTrue(); // nothing is looked up
      assertThat(named.getHostString()).isEqualTo("example.com");
      assertThat(named.getPort()).isEqualTo(443);
    }

    for (String notTcp : List.of("/ip4/1.2.3.4/udp/1", "/ip4/1.2.3.4", "/tcp/1", "/dnsaddr/a.b/tcp/1",
        "/p2p/" + ED25519_PEER, "/ip6zone/x/ip4/1.2.3.4/tcp/1")) {
      assertThatThrownBy(() -> ma(notTcp).toInetSocketAddress())
          .as(notTcp).isInstanceOf(InvalidMultiaddrException.class).hasMessageContaining(notTcp);
    }
    assertThatThrownBy(() -> ma("/ip6zone/no-such-interface-0/ip6/fe80::1/tcp/5").toInetSocketAddress())
        .isInstanceOf(InvalidMultiaddrException.class).hasMessageContaining("no-such-interface-0");
  }

  @Test
  void fromSocketAddresses() throws Exception {
    assertThat(Multiaddr.of(new InetSocketAddress(InetAddress.getByAddress(new byte[] {10, 0, 0, 1}), 4001)))
        .hasToString("/ip4/10.0.0.1/tcp/4001");
    byte[] loopback6 = new byte[16];
    loopback6[15] = 1;
    assertThat(Multiaddr.of(new InetSocketAddress(InetAddress.getByAddress(loopback6), 0)))
        .hasToString("/ip6/::1/tcp/0");
    assertThat(Multiaddr.of(new InetSocketAddress(Inet6Address.getByAddress(null, HEX.parseHex("fe800000000000000000000000000001"), 7), 1)))
        .hasToString("/ip6zone/7/ip6/fe80::1/tcp/1");
    assertThat(Multiaddr.of(InetSocketAddress.createUnresolved("example.com", 443)))
        .hasToString("/dns/example.com/tcp/443");
    assertThat(Multiaddr.of(InetSocketAddress.createUnresolved("192.0.2.1", 80)))
        .hasToString("/ip4/192.0.2.1/tcp/80");
    assertThat(Multiaddr.of(InetSocketAddress.createUnresolved("[2001:db8::1]", 80)))
        .hasToString("/ip6/2001:db8::1/tcp/80");
    assertThatThrownBy(() -> Multiaddr.of(InetSocketAddress.createUnresolved("bad host", 80)))
        .isInstanceOf(InvalidMultiaddrException.class).hasMessageContaining("bad host");

    for (String text : List.of("/ip4/1.2.3.4/tcp/5", "/ip6/2001:db8::7/tcp/65535", "/dns/a.example/tcp/1")) {
      assertThat(Multiaddr.of(ma(text).toInetSocketAddress())).hasToString(text);
    }
  }

  @Test
  void emptyMultiaddr() {
    Multiaddr empty = Multiaddr.of();
    assertThat(empty.isEmpty()).isTrue();
    assertThat(empty).hasToString("");
    assertThat(empty.toBytes()).isEmpty();
    assertThat(empty.peerId()).isEmpty();
    assertThat(empty.encapsulate(ma("/tls"))).isEqualTo(ma("/tls"));
    assertThat(ma("/tls").encapsulate(empty)).isEqualTo(ma("/tls"));
  }

  @Test
  void returnedArraysAreCopies() {
    Multiaddr m = ma("/ip4/1.2.3.4");
    m.toBytes()[1] = 9;
    m.components().get(0).valueBytes()[0] = 9;
    assertThat(m).hasToString("/ip4/1.2.3.4");
    assertThatThrownBy(() -> m.components().clear()).isInstanceOf(UnsupportedOperationException.class);
  }
}
