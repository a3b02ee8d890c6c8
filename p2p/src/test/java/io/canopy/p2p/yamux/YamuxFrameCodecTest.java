package io.canopy.p2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The wire codec, driven through EmbeddedChannel (spec "Framing"). */
class YamuxFrameCodecTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final int LIMIT = 1 << 20;

  /** A frame description that survives being decoded: type, flags, id, length, payload bytes. */
  private record FrameSpec(YamuxFrame.Type type, int flags, int streamId, int length, byte[] payload) {
    YamuxFrame toFrame() {
      return switch (type) {
        case DATA -> YamuxFrame.data(streamId, flags, Unpooled.wrappedBuffer(payload));
        case WINDOW_UPDATE -> YamuxFrame.windowUpdate(streamId, flags, length);
        case PING -> new YamuxFrame(type, flags, streamId, length, Unpooled.EMPTY_BUFFER);
        case GO_AWAY -> new YamuxFrame(type, flags, streamId, length, Unpooled.EMPTY_BUFFER);
      };
    }

    @Override
    public String toString() {
      return type + " flags " + flags + " id " + Integer.toUnsignedLong(streamId) + " length "
          + Integer.toUnsignedLong(length) + " payload " + RandomInputs.hex(payload);
    }
  }

  private static FrameSpec randomFrame(SplittableRandom r) {
    YamuxFrame.Type type = YamuxFrame.Type.values()[r.nextInt(4)];
    int flags = r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(16);
    int id = RandomInputs.anyInt(r);
    if (type == YamuxFrame.Type.DATA) {
      byte[] payload = RandomInputs.bytes(r, 300);
      return new FrameSpec(type, flags, id, payload.length, payload);
    }
    return new FrameSpec(type, flags, id, RandomInputs.anyInt(r), new byte[0]);
  }

  private static List<FrameSpec> edgeFrames() {
    return List.of(
        new FrameSpec(YamuxFrame.Type.DATA, 0, 1, 0, new byte[0]),
        new FrameSpec(YamuxFrame.Type.DATA, 0xFFFF, -1, 1, new byte[] {-1}),
        new FrameSpec(YamuxFrame.Type.WINDOW_UPDATE, YamuxFrame.FLAG_SYN, 1, 0, new byte[0]),
        new FrameSpec(YamuxFrame.Type.WINDOW_UPDATE, 0, Integer.MAX_VALUE, -1, new byte[0]),
        new FrameSpec(YamuxFrame.Type.PING, YamuxFrame.FLAG_ACK, 0, Integer.MIN_VALUE, new byte[0]),
        new FrameSpec(YamuxFrame.Type.GO_AWAY, 0, 0, YamuxFrame.GO_AWAY_INTERNAL_ERROR, new byte[0]));
  }

  private static void assertDecodedAs(YamuxFrame decoded, FrameSpec spec) {
    try {
      assertThat(decoded.type()).isEqualTo(spec.type());
      assertThat(decoded.flags()).isEqualTo(spec.flags());
      assertThat(decoded.streamId()).isEqualTo(spec.streamId());
      assertThat(decoded.length()).isEqualTo(spec.length());
      byte[] payload = new byte[decoded.content().readableBytes()];
      decoded.content().getBytes(decoded.content().readerIndex(), payload);
      assertThat(payload).isEqualTo(spec.payload());
    } finally {
      decoded.release();
    }
  }

  @Test
  void headersMatchTheSpecLayout() {
    // version 0, type 1 (Window Update), flags SYN, stream 1, delta 0
    assertThat(HEX.formatHex(YamuxFrames.encode(YamuxFrame.windowUpdate(1, YamuxFrame.FLAG_SYN, 0))))
        .isEqualTo("000100010000000100000000");
    // Ping ACK with opaque 0xdeadbeef on stream 0
    assertThat(HEX.formatHex(YamuxFrames.encode(YamuxFrame.ping(YamuxFrame.FLAG_ACK, 0xdeadbeef))))
        .isEqualTo("0002000200000000deadbeef");
    // Go Away, protocol error
    assertThat(HEX.formatHex(YamuxFrames.encode(YamuxFrame.goAway(YamuxFrame.GO_AWAY_PROTOCOL_ERROR))))
        .isEqualTo("000300000000000000000001");
    // Data, FIN|RST, stream 0xfffffffe, 3 bytes
    YamuxFrame data = YamuxFrame.data(0xfffffffe, YamuxFrame.FLAG_FIN | YamuxFrame.FLAG_RST, Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
    assertThat(HEX.formatHex(YamuxFrames.encode(data))).isEqualTo("0000000cfffffffe00000003010203");
    data.release();
  }

  @Test
  void aSmallFrameIsWrittenAsOneBuffer() {
    EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec(LIMIT));
    ByteBuf payload = Unpooled.buffer().writeBytes(new byte[] {9, 8, 7});
    assertThat(ch.writeOutbound(YamuxFrame.data(5, 0, payload))).isTrue();
    ByteBuf frame = ch.readOutbound();
    assertThat(HEX.formatHex(io.netty.buffer.ByteBufUtil.getBytes(frame))).isEqualTo("000000000000000500000003090807");
    frame.release();
    assertThat(payload.refCnt()).isZero();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void aLargePayloadFollowsItsHeaderUncopied() {
    EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec(LIMIT));
    ByteBuf payload = Unpooled.buffer().writeZero(YamuxFrameCodec.Encoder.COPY_THRESHOLD + 1);
    assertThat(ch.writeOutbound(YamuxFrame.data(5, 0, payload))).isTrue();
    ByteBuf header = ch.readOutbound();
    ByteBuf body = ch.readOutbound();
    assertThat(HEX.formatHex(io.netty.buffer.ByteBufUtil.getBytes(header))).isEqualTo("000000000000000500000401");
    assertThat(body).isSameAs(payload);
    header.release();
    body.release();
    assertThat(payload.refCnt()).isZero();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void encodeThenDecodeGivesTheSameFrame() {
    RandomInputs.forAll(0x5eed_0001L, 500, edgeFrames(), YamuxFrameCodecTest::randomFrame, FrameSpec::toString, spec -> {
      EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec(LIMIT));
      ch.writeOutbound(spec.toFrame());
      for (Object o; (o = ch.readOutbound()) != null; ) {
        ch.writeInbound(o);
      }
      assertDecodedAs(ch.readInbound(), spec);
      assertThat(ch.inboundMessages()).isEmpty();
      assertThat(ch.finishAndReleaseAll()).isFalse();
    });
  }

  @Test
  void framesSplitAtEveryByteBoundaryDecodeTheSame() {
    RandomInputs.forAll(
        0x5eed_0002L,
        40,
        List.of(edgeFrames()),
        r -> RandomInputs.listOf(r, 1, 4, YamuxFrameCodecTest::randomFrame),
        List::toString,
        specs -> {
          ByteArrayOutputStream wire = new ByteArrayOutputStream();
          for (FrameSpec spec : specs) {
            YamuxFrame f = spec.toFrame();
            wire.writeBytes(YamuxFrames.encode(f));
            f.release();
          }
          byte[] bytes = wire.toByteArray();
          for (int split = 0; split <= bytes.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec.Decoder(LIMIT));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
            for (FrameSpec spec : specs) {
              assertDecodedAs(ch.readInbound(), spec);
            }
            assertThat(ch.finishAndReleaseAll()).as("split at %d", split).isFalse();
          }
          EmbeddedChannel oneByOne = new EmbeddedChannel(new YamuxFrameCodec.Decoder(LIMIT));
          for (byte b : bytes) {
            oneByOne.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
          }
          for (FrameSpec spec : specs) {
            assertDecodedAs(oneByOne.readInbound(), spec);
          }
          assertThat(oneByOne.finishAndReleaseAll()).isFalse();
        });
  }

  @Test
  void aBadVersionIsAProtocolError() {
    assertRejected("010100010000000100000000", "unsupported version 1");
  }

  @Test
  void anUnknownTypeIsAProtocolError() {
    assertRejected("000400000000000100000000", "unknown frame type 4");
  }

  @Test
  void aDataFrameOverTheLimitIsRejectedOnItsHeader() {
    // Only the header arrives: the decoder must not wait for 1 MiB + 1 bytes of payload.
    assertRejected("000000000000000100100001", "exceeds the limit of 1048576");
    assertRejected("0000000000000001ffffffff", "exceeds the limit");
  }

  @Test
  void aDataFrameAtTheLimitIsAccepted() {
    EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec.Decoder(4));
    ch.writeInbound(Unpooled.wrappedBuffer(HEX.parseHex("00000000000000010000000401020304")));
    YamuxFrame f = ch.readInbound();
    assertThat(f.content().readableBytes()).isEqualTo(4);
    f.release();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void afterAnErrorEveryByteIsDiscarded() {
    EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec.Decoder(LIMIT));
    ByteBuf bad = Unpooled.wrappedBuffer(HEX.parseHex("ff0000000000000000000000"));
    assertThatThrownBy(() -> ch.writeInbound(bad)).isInstanceOf(DecoderException.class);
    ByteBuf good = Unpooled.wrappedBuffer(HEX.parseHex("000100010000000100000000"));
    ch.writeInbound(good);
    assertThat(ch.inboundMessages()).isEmpty();
    assertThat(bad.refCnt()).isZero();
    assertThat(good.refCnt()).isZero();
    ch.finishAndReleaseAll();
  }

  private static void assertRejected(String hex, String message) {
    EmbeddedChannel ch = new EmbeddedChannel(new YamuxFrameCodec.Decoder(LIMIT));
    ByteBuf in = Unpooled.wrappedBuffer(HEX.parseHex(hex));
    assertThatThrownBy(() -> ch.writeInbound(in))
        .isInstanceOf(DecoderException.class)
        .cause()
        .isInstanceOfSatisfying(YamuxException.class, e -> {
          assertThat(e.reason()).isEqualTo(YamuxException.Reason.PROTOCOL_ERROR);
          assertThat(e.getMessage()).contains(message);
        });
    assertThat(in.refCnt()).isZero();
    List<Object> left = new ArrayList<>();
    for (Object o; (o = ch.readInbound()) != null; ) {
      left.add(o);
    }
    assertThat(left).isEmpty();
    ch.finishAndReleaseAll();
  }
}
