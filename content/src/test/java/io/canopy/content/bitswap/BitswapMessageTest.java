package io.canopy.content.bitswap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.bitswap.BitswapMessage.BlockPresence;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.Payload;
import io.canopy.content.bitswap.BitswapMessage.PresenceType;
import io.canopy.content.bitswap.BitswapMessage.WantType;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.protobuf.ProtoException;
import io.canopy.protobuf.ProtoReader;
import io.canopy.testing.RandomInputs;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The wire format of bitswap-protocol.md, per version. */
class BitswapMessageTest {
  private static final HexFormat HEX = HexFormat.of();

  static Block rawBlock(SplittableRandom r, int size) {
    return Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, RandomInputs.bytesOfSize(r, size));
  }

  static Block v0Block(byte[] data) {
    return Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, data);
  }

  private static BitswapMessage randomMessage(SplittableRandom r) {
    List<Entry> entries = RandomInputs.listOf(r, 0, 8, x -> new Entry(rawBlock(x, 8).cid(), RandomInputs.anyInt(x),
        x.nextBoolean(), RandomInputs.oneOf(x, WantType.values()), x.nextBoolean()));
    List<Payload> blocks = RandomInputs.listOf(r, 0, 4, x -> Payload.of(x.nextBoolean() ? rawBlock(x, x.nextInt(300)) : v0Block(RandomInputs.bytes(x, 300))));
    List<BlockPresence> presences = RandomInputs.listOf(r, 0, 4, x -> new BlockPresence(rawBlock(x, 4).cid(), RandomInputs.oneOf(x, PresenceType.values())));
    return new BitswapMessage(entries, r.nextBoolean(), blocks, presences, (int) RandomInputs.nonNegativeUpTo(r, Integer.MAX_VALUE));
  }

  private static String describe(BitswapMessage m) {
    return m.wantlist() + " full=" + m.full() + " blocks=" + m.blocks().size() + " presences=" + m.presences() + " pending=" + m.pendingBytes();
  }

  @Test
  void version120RoundTripsEveryField() {
    RandomInputs.forAll(20240501L, 300, List.of(new BitswapMessage(List.of(), false, List.of(), List.of(), 0)),
        BitswapMessageTest::randomMessage, BitswapMessageTest::describe, m -> {
          BitswapMessage back = BitswapMessage.decode(m.toByteArray(Bitswap.PROTOCOL_1_2_0));
          assertThat(back.wantlist()).isEqualTo(m.wantlist());
          assertThat(back.full()).isEqualTo(m.full());
          assertThat(back.presences()).isEqualTo(m.presences());
          assertThat(back.pendingBytes()).isEqualTo(m.pendingBytes());
          assertThat(back.blocks()).hasSameSizeAs(m.blocks());
          for (int i = 0; i < m.blocks().size(); i++) {
            assertThat(back.blocks().get(i).prefix()).isEqualTo(m.blocks().get(i).prefix());
            assertThat(back.blocks().get(i).data()).isEqualTo(m.blocks().get(i).data());
            assertThat(back.blocks().get(i).cid()).isEqualTo(m.blocks().get(i).cid());
          }
        });
  }

  @Test
  void olderVersionsLeaveOutWhatTheyDoNotHave() {
    RandomInputs.forAll(77L, 200, List.of(), BitswapMessageTest::randomMessage, BitswapMessageTest::describe, m -> {
      for (String v : List.of(Bitswap.PROTOCOL_1_1_0, Bitswap.PROTOCOL_1_0_0)) {
        BitswapMessage back = BitswapMessage.decode(m.toByteArray(v));
        assertThat(back.presences()).isEmpty();
        assertThat(back.pendingBytes()).isZero();
        for (int i = 0; i < m.wantlist().size(); i++) {
          Entry e = m.wantlist().get(i);
          assertThat(back.wantlist().get(i)).isEqualTo(new Entry(e.cid(), e.priority(), e.cancel(), WantType.BLOCK, false));
        }
        for (int i = 0; i < m.blocks().size(); i++) {
          assertThat(back.blocks().get(i).data()).isEqualTo(m.blocks().get(i).data());
          if (v.equals(Bitswap.PROTOCOL_1_0_0)) { // 1.0.0 blocks carry no prefix: the receiver assumes CIDv0
            assertThat(back.blocks().get(i).prefix()).isEqualTo(CidPrefix.V0.encode());
          }
        }
      }
    });
  }

  @Test
  void prefixIsVersionCodecHashAndLengthAsVarints() {
    Block v0 = v0Block(new byte[] {1, 2, 3});
    assertThat(HEX.formatHex(Payload.of(v0).prefix())).isEqualTo("00701220");
    Block raw = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[] {1});
    assertThat(HEX.formatHex(Payload.of(raw).prefix())).isEqualTo("01551220");
    Block cbor = Block.of(1, Multicodec.DAG_CBOR, Multicodec.BLAKE3, new byte[] {1});
    assertThat(HEX.formatHex(Payload.of(cbor).prefix())).isEqualTo("01711e20");
    assertThat(Payload.of(cbor).cid()).isEqualTo(cbor.cid());
    assertThat(new Payload(HEX.parseHex("01551220"), new byte[] {1}).cid()).isEqualTo(raw.cid());
  }

  @Test
  void payloadFieldLayoutMatchesTheSpecProto() {
    Block raw = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[] {9, 9});
    BitswapMessage m = new BitswapMessage(List.of(Entry.wantHave(raw.cid(), 7, true)), false,
        List.of(Payload.of(raw)), List.of(new BlockPresence(raw.cid(), PresenceType.DONT_HAVE)), 5);
    List<Integer> fields = new ArrayList<>();
    ProtoReader r = new ProtoReader(m.toByteArray(Bitswap.PROTOCOL_1_2_0));
    while (r.next()) {
      fields.add(r.field());
      if (r.field() == 3) {
        ProtoReader block = new ProtoReader(r.bytes());
        assertThat(block.next()).isTrue();
        assertThat(block.field()).isEqualTo(1);
        assertThat(HEX.formatHex(block.bytes())).isEqualTo("01551220");
        assertThat(block.next()).isTrue();
        assertThat(block.field()).isEqualTo(2);
        assertThat(block.bytes()).containsExactly(9, 9);
      } else {
        r.skip();
      }
    }
    assertThat(fields).containsExactly(1, 3, 4, 5);
    ProtoReader v10 = new ProtoReader(m.toByteArray(Bitswap.PROTOCOL_1_0_0));
    fields.clear();
    while (v10.next()) {
      fields.add(v10.field());
      v10.skip();
    }
    assertThat(fields).containsExactly(1, 2);
  }

  @Test
  void badPrefixesAreRefused() {
    assertThatThrownBy(() -> new Payload(HEX.parseHex("0155"), new byte[1]).cid()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Payload(HEX.parseHex("01551210"), new byte[1]).cid()).hasMessageContaining("length");
    assertThatThrownBy(() -> new Payload(HEX.parseHex("01551120"), new byte[1]).cid()).hasMessageContaining("unsupported");
    assertThatThrownBy(() -> new Payload(HEX.parseHex("00551220"), new byte[1]).cid()).hasMessageContaining("CIDv0");
  }

  @Test
  void malformedMessagesAreProtoExceptions() {
    assertThatThrownBy(() -> BitswapMessage.decode(new byte[] {0x0a, 0x05, 0x0a})).isInstanceOf(ProtoException.class);
    assertThatThrownBy(() -> BitswapMessage.decode(HEX.parseHex("0a040a020a00"))).isInstanceOf(ProtoException.class); // entry with a bad CID
    assertThatThrownBy(() -> BitswapMessage.decode(HEX.parseHex("0a020a00"))).hasMessageContaining("without a block CID");
    RandomInputs.forAll(5L, 500, List.of(), r -> RandomInputs.bytes(r, 200), RandomInputs::hex, bytes -> {
      try {
        BitswapMessage.decode(bytes);
      } catch (IllegalArgumentException expected) {
        // ProtoException or a CID error: never anything else
      }
    });
  }

  /** The reader as Netty runs it: frames in, messages out, a violation for an oversized frame. */
  @Test
  void streamReaderDecodesFramesAndReportsOversizedOnes() {
    List<BitswapMessage> got = new ArrayList<>();
    List<String> violations = new ArrayList<>();
    BitswapStreamReader.Sink sink = new BitswapStreamReader.Sink() {
      @Override
      public void messageReceived(PeerId peer, String protocol, BitswapMessage message, Runnable done) {
        got.add(message);
        done.run();
      }

      @Override
      public void violation(PeerId peer, String why) {
        violations.add(why);
      }
    };
    EmbeddedChannel ch = new EmbeddedChannel(new VarintFrameDecoder(64),
        new BitswapStreamReader(null, Bitswap.PROTOCOL_1_2_0, new InboundGate(1024), sink, true));
    Cid cid = rawBlock(new SplittableRandom(1), 4).cid();
    byte[] m = BitswapMessage.wants(List.of(Entry.wantBlock(cid, 1, true))).toByteArray(Bitswap.PROTOCOL_1_2_0);
    byte[] framed = new byte[m.length + 1];
    framed[0] = (byte) m.length;
    System.arraycopy(m, 0, framed, 1, m.length);
    ch.writeInbound(Unpooled.wrappedBuffer(framed, framed));
    assertThat(got).hasSize(2);
    assertThat(got.get(0).wantlist().get(0).cid()).isEqualTo(cid);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, 0x01, 1, 2, 3})); // a 128-byte frame > 64
    assertThat(violations).hasSize(1);
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
  }
}
