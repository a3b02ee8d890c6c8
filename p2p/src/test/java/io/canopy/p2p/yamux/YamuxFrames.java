package io.canopy.p2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: frames to bytes and bytes to frames, outside any pipeline under test. */
final class YamuxFrames {
  private YamuxFrames() {}

  /** The wire bytes of {@code frame} (the frame is not released). */
  static byte[] encode(YamuxFrame frame) {
    ByteBuf out = Unpooled.buffer();
    try {
      YamuxFrameCodec.writeHeader(frame, out);
      out.writeBytes(frame.content(), frame.content().readerIndex(), frame.content().readableBytes());
      byte[] bytes = new byte[out.readableBytes()];
      out.readBytes(bytes);
      return bytes;
    } finally {
      out.release();
    }
  }

  /** The wire bytes of {@code frame} in a new buffer, releasing the frame. */
  static ByteBuf wire(YamuxFrame frame) {
    try {
      return Unpooled.wrappedBuffer(encode(frame));
    } finally {
      frame.release();
    }
  }

  /** Every byte written to {@code channel}'s outbound side so far, decoded as frames. */
  static List<YamuxFrame> drainFrames(EmbeddedChannel channel) {
    EmbeddedChannel decoder = new EmbeddedChannel(new YamuxFrameCodec.Decoder(Integer.MAX_VALUE));
    for (Object o; (o = channel.readOutbound()) != null; ) {
      decoder.writeInbound(o);
    }
    List<YamuxFrame> frames = new ArrayList<>();
    for (YamuxFrame f; (f = decoder.readInbound()) != null; ) {
      frames.add(f);
    }
    decoder.finishAndReleaseAll();
    return frames;
  }

  /** Releases every frame of {@code frames}. */
  static void releaseAll(List<YamuxFrame> frames) {
    frames.forEach(YamuxFrame::release);
  }

  static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    new java.util.SplittableRandom(seed).nextBytes(b);
    return b;
  }
}
