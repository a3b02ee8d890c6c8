package io.canopy.p2p.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VarintFramingTest {
  @Test
  void framesSplitAtEveryByteBoundaryComeOutWhole() {
    byte[] payload = new byte[300];
    new Random(4).nextBytes(payload);
    EmbeddedChannel writer = new EmbeddedChannel(VarintFrameEncoder.INSTANCE);
    writer.writeOutbound(Unpooled.wrappedBuffer(payload));
    ByteBuf wire = Unpooled.buffer();
    for (ByteBuf part; (part = writer.readOutbound()) != null; ) {
      wire.writeBytes(part);
      part.release();
    }
    byte[] encoded = new byte[wire.readableBytes()];
    wire.readBytes(encoded);
    wire.release();
    assertThat(encoded[0] & 0xFF).isEqualTo(0xac); // 300 = ac 02
    for (int split = 0; split <= encoded.length; split++) {
      EmbeddedChannel reader = new EmbeddedChannel(new VarintFrameDecoder(1024));
      reader.writeInbound(Unpooled.wrappedBuffer(encoded, 0, split));
      reader.writeInbound(Unpooled.wrappedBuffer(encoded, split, encoded.length - split));
      ByteBuf frame = reader.readInbound();
      byte[] got = new byte[frame.readableBytes()];
      frame.readBytes(got);
      frame.release();
      assertThat(got).as("split at %d", split).isEqualTo(payload);
      assertThat(reader.finishAndReleaseAll()).isFalse();
    }
  }

  @Test
  void aFrameOverTheLimitIsRefusedBeforeItIsBuffered() {
    EmbeddedChannel reader = new EmbeddedChannel(new VarintFrameDecoder(100));
    assertThatThrownBy(() -> reader.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xe5, (byte) 0x8e, 0x26})))
        .isInstanceOf(TooLongFrameException.class)
        .hasMessageContaining("624485");
    reader.finishAndReleaseAll();
  }

  /**
   * Found by P2pDecodersFuzzTest (crash-frame-after-refused-length): after refusing a length the
   * decoder went on reading the announced payload as frames, on the next read and again when the
   * channel closed, so a peer could smuggle a frame past the refusal to a handler that had already
   * closed the stream.
   */
  @Test
  void nothingIsReadAfterARefusedLength() {
    EmbeddedChannel reader = new EmbeddedChannel(new VarintFrameDecoder(4));
    // 7 (over the limit of 4), then the 7 announced bytes, which hold two well-formed frames.
    byte[] wire = {7, 2, 'h', 'i', 3, 'y', 'o', 'u'};
    assertThatThrownBy(() -> reader.writeInbound(Unpooled.wrappedBuffer(wire, 0, 3)))
        .isInstanceOf(TooLongFrameException.class)
        .hasMessageContaining("7 bytes");
    assertThat(reader.writeInbound(Unpooled.wrappedBuffer(wire, 3, wire.length - 3))).isFalse();
    assertThat(reader.finishAndReleaseAll()).isFalse(); // closing decodes nothing either
  }
}
