package io.canopy.p2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * The yamux wire codec: bytes to {@link YamuxFrame}s and back (spec "Framing").
 *
 * <p>Decoding rejects, with a {@link YamuxException} of reason {@link
 * YamuxException.Reason#PROTOCOL_ERROR} (Netty wraps it in a {@code DecoderException}), a version
 * other than 0, a type other than the four of the spec, and a Data frame longer than {@code
 * maxDataLength} — checked on the header, before any of the payload is buffered. After the first
 * error every further byte is discarded: the stream cannot be parsed again. {@link YamuxHandler}
 * answers the error with Go Away (protocol error) and closes the connection.
 *
 * <p>Buffers: a decoded Data frame's payload is a retained slice of the input, owned by the frame
 * (see {@link YamuxFrame}). Encoding writes the 12-byte header as one buffer and the payload as a
 * second, so large payloads are never copied (small ones are copied after the header, into one
 * buffer); the encoded frame is released.
 */
public final class YamuxFrameCodec extends CombinedChannelDuplexHandler<YamuxFrameCodec.Decoder, YamuxFrameCodec.Encoder> {

  /** A codec accepting Data frames of at most {@code maxDataLength} bytes. */
  public YamuxFrameCodec(int maxDataLength) {
    super(new Decoder(maxDataLength), new Encoder());
  }

  /** Writes the 12-byte header of {@code frame} to {@code out}. */
  static void writeHeader(YamuxFrame frame, ByteBuf out) {
    out.writeByte(YamuxFrame.VERSION);
    out.writeByte(frame.type().code());
    out.writeShort(frame.flags());
    out.writeInt(frame.streamId());
    // A Data frame's length is its payload as it is now, so the two cannot disagree.
    out.writeInt(frame.type() == YamuxFrame.Type.DATA ? frame.content().readableBytes() : frame.length());
  }

  /** Bytes to frames. */
  public static final class Decoder extends ByteToMessageDecoder {
    private final int maxDataLength;
    private boolean failed;

    public Decoder(int maxDataLength) {
      if (maxDataLength < 0) {
        throw new IllegalArgumentException("maxDataLength " + maxDataLength);
      }
      this.maxDataLength = maxDataLength;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws YamuxException {
      if (failed) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (in.readableBytes() < YamuxFrame.HEADER_LENGTH) {
        return;
      }
      int at = in.readerIndex();
      int version = in.getUnsignedByte(at);
      int typeCode = in.getUnsignedByte(at + 1);
      int flags = in.getUnsignedShort(at + 2);
      int streamId = in.getInt(at + 4);
      int length = in.getInt(at + 8);
      if (version != YamuxFrame.VERSION) {
        throw fail(in, "unsupported version " + version);
      }
      YamuxFrame.Type type = YamuxFrame.Type.ofCode(typeCode);
      if (type == null) {
        throw fail(in, "unknown frame type " + typeCode);
      }
      if (type != YamuxFrame.Type.DATA) {
        in.skipBytes(YamuxFrame.HEADER_LENGTH);
        out.add(new YamuxFrame(type, flags, streamId, length, Unpooled.EMPTY_BUFFER));
        return;
      }
      long dataLength = Integer.toUnsignedLong(length);
      if (dataLength > maxDataLength) {
        throw fail(in, "Data frame of " + dataLength + " bytes on stream "
            + Integer.toUnsignedLong(streamId) + " exceeds the limit of " + maxDataLength);
      }
      if (in.readableBytes() < YamuxFrame.HEADER_LENGTH + dataLength) {
        return;
      }
      in.skipBytes(YamuxFrame.HEADER_LENGTH);
      out.add(new YamuxFrame(type, flags, streamId, length, in.readRetainedSlice(length)));
    }

    private YamuxException fail(ByteBuf in, String message) {
      failed = true;
      in.skipBytes(in.readableBytes());
      return YamuxException.protocolError(message);
    }
  }

  /**
   * Frames to bytes: a payload of at most {@value #COPY_THRESHOLD} bytes is copied after the header
   * into one buffer; a larger one follows the header buffer as it is, uncopied.
   */
  public static final class Encoder extends MessageToMessageEncoder<YamuxFrame> {
    static final int COPY_THRESHOLD = 1024;

    public Encoder() {
      super(YamuxFrame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, YamuxFrame frame, List<Object> out) {
      ByteBuf payload = frame.content();
      int n = payload.readableBytes();
      if (n <= COPY_THRESHOLD) {
        // One write: a layer below that frames every write (Noise) then adds one frame, not two.
        ByteBuf buf = ctx.alloc().buffer(YamuxFrame.HEADER_LENGTH + n);
        writeHeader(frame, buf);
        buf.writeBytes(payload, payload.readerIndex(), n);
        out.add(buf);
        return;
      }
      ByteBuf header = ctx.alloc().buffer(YamuxFrame.HEADER_LENGTH);
      writeHeader(frame, header);
      out.add(header);
      out.add(payload.retain());
    }
  }
}
