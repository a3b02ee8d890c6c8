package io.canopy.p2p.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits a stream into messages framed as {@code uvarint(length) bytes}, the framing of identify,
 * Kademlia, Bitswap and most libp2p protocols. A frame longer than {@code maxFrameLength} is an
 * error before any of it is buffered. Emits one retained ByteBuf slice per frame; the next
 * handler releases it.
 *
 * <p>After the first error every further byte is discarded, those already received included: the
 * stream cannot be parsed again, and the bytes after a refused length (the payload the peer
 * announced) must not be read as frames — not even when the channel closes and {@link
 * ByteToMessageDecoder} decodes what is left.
 */
public final class VarintFrameDecoder extends ByteToMessageDecoder {
  private final int maxFrameLength;
  private boolean failed;

  public VarintFrameDecoder(int maxFrameLength) {
    this.maxFrameLength = maxFrameLength;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    in.markReaderIndex();
    long length = 0;
    for (int shift = 0; ; shift += 7) {
      if (!in.isReadable()) {
        in.resetReaderIndex(); // the length prefix itself is not complete yet
        return;
      }
      if (shift > 56) {
        throw fail(in, new CorruptedFrameException("frame length varint longer than 9 bytes"));
      }
      int b = in.readUnsignedByte();
      length |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (length > maxFrameLength) {
      throw fail(in, new TooLongFrameException("frame of " + length + " bytes exceeds the limit of " + maxFrameLength));
    }
    if (in.readableBytes() < length) {
      in.resetReaderIndex();
      return;
    }
    out.add(in.readRetainedSlice((int) length));
  }

  private <E extends RuntimeException> E fail(ByteBuf in, E error) {
    failed = true;
    in.skipBytes(in.readableBytes());
    return error;
  }
}
