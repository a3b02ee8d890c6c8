package io.canopy.p2p.kad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.testing.RandomInputs;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KadMessageTest {
  private static KadPeer peer(SplittableRandom r) {
    byte[] seed = new byte[32];
    r.nextBytes(seed);
    List<Multiaddr> addrs = new ArrayList<>();
    for (int i = r.nextInt(4); i > 0; i--) {
      addrs.add(Multiaddr.parse("/ip4/10.0." + r.nextInt(256) + "." + r.nextInt(256) + "/tcp/" + (1 + r.nextInt(65535))));
    }
    return new KadPeer(Ed25519PrivateKey.fromSeed(seed).peerId(), addrs, RandomInputs.oneOf(r, KadPeer.ConnectionType.values()));
  }

  private static KadMessage message(SplittableRandom r) {
    KadMessage.Type type = RandomInputs.oneOf(r, KadMessage.Type.values());
    byte[] key = r.nextBoolean() ? RandomInputs.bytes(r, 1, 64) : null;
    KadRecord record = r.nextBoolean() ? new KadRecord(RandomInputs.bytes(r, 64), RandomInputs.bytes(r, 300),
        r.nextBoolean() ? "2025-01-01T00:00:00Z" : null) : null;
    return new KadMessage(type, key, record, RandomInputs.listOf(r, 0, 5, KadMessageTest::peer),
        RandomInputs.listOf(r, 0, 3, KadMessageTest::peer), r.nextInt(3));
  }

  @Test
  void decodeOfEncodeIsIdentity() {
    RandomInputs.forAll(10L, 300, List.of(), KadMessageTest::message, KadMessage::toString, m -> {
      KadMessage back = KadMessage.decode(m.encode());
      assertThat(back.type()).isEqualTo(m.type());
      assertThat(back.key()).isEqualTo(m.key());
      assertThat(back.record()).isEqualTo(m.record());
      if (m.record() != null) {
        assertThat(back.record().timeReceived()).isEqualTo(m.record().timeReceived());
      }
      assertThat(back.closerPeers()).isEqualTo(m.closerPeers());
      assertThat(back.providerPeers()).isEqualTo(m.providerPeers());
      assertThat(back.clusterLevelRaw()).isEqualTo(m.clusterLevelRaw());
    });
  }

  /** go-libp2p (proto3) leaves type 0 off the wire: a message without a type is a PUT_VALUE. */
  @Test
  void missingTypeIsPutValue() {
    byte[] bytes = new ProtoWriter().bytes(2, new byte[] {'/', 'p', 'k', '/'}).toByteArray();
    assertThat(KadMessage.decode(bytes).type()).isEqualTo(KadMessage.Type.PUT_VALUE);
  }

  /** The spec's own example of a FIND_NODE request, written out by hand: type 4, key = a peer ID. */
  @Test
  void handEncodedFindNodeRequest() {
    var id = Ed25519PrivateKey.fromSeed(new byte[32]).peerId();
    byte[] idBytes = id.toBytes();
    byte[] expected = HexFormat.of().parseHex("0804" + "12" + String.format("%02x", idBytes.length) + HexFormat.of().formatHex(idBytes));
    assertThat(KadMessage.request(KadMessage.Type.FIND_NODE, idBytes).encode()).isEqualTo(expected);
  }

  @Test
  void anyBytesDecodeOrFailWithAReason() {
    RandomInputs.forAll(11L, 2000, RandomInputs.edgeByteArrays(0, 64), r -> RandomInputs.bytes(r, 200), RandomInputs::hex, bytes -> {
      try {
        KadMessage.decode(bytes);
      } catch (KadProtocolException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    });
  }

  @Test
  void garbagePeerIdIsRefusedWithItsPosition() {
    byte[] bytes = new ProtoWriter().varint(1, 4)
        .message(8, new ProtoWriter().bytes(1, Ed25519PrivateKey.fromSeed(new byte[32]).peerId().toBytes()))
        .message(8, new ProtoWriter().bytes(1, new byte[] {1, 2, 3}))
        .toByteArray();
    assertThatThrownBy(() -> KadMessage.decode(bytes)).isInstanceOf(KadProtocolException.class)
        .hasMessageContaining("closerPeers[1] is not a valid peer ID");
  }

  @Test
  void unknownAddressesAreSkippedNotFatal() {
    byte[] bytes = new ProtoWriter().varint(1, 4)
        .message(8, new ProtoWriter().bytes(1, Ed25519PrivateKey.fromSeed(new byte[32]).peerId().toBytes())
            .bytes(2, new byte[] {(byte) 0xff, (byte) 0xff, 0x03})
            .bytes(2, Multiaddr.parse("/ip4/1.2.3.4/tcp/5").toBytes()))
        .toByteArray();
    assertThat(KadMessage.decode(bytes).closerPeers().get(0).addrs()).containsExactly(Multiaddr.parse("/ip4/1.2.3.4/tcp/5"));
  }

  @Test
  void tooManyPeersAreRefused() {
    ProtoWriter w = new ProtoWriter().varint(1, 4);
    byte[] id = Ed25519PrivateKey.fromSeed(new byte[32]).peerId().toBytes();
    for (int i = 0; i <= KadMessage.MAX_PEERS; i++) {
      w.message(8, new ProtoWriter().bytes(1, id));
    }
    assertThatThrownBy(() -> KadMessage.decode(w.toByteArray())).hasMessageContaining("more than " + KadMessage.MAX_PEERS);
  }
}
