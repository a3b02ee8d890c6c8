package io.canopy.p2p.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/** Prefixes each outbound message with its uvarint length; see {@link VarintFrameDecoder}. */
@Sharable
public final class VarintFrameEncoder extends MessageToMessageEncoder<ByteBuf> {
  public static final VarintFrameEncoder INSTANCE = new VarintFrameEncoder();

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
    ByteBuf prefix = ctx.alloc().buffer(10);
    long length = msg.readableBytes();
    while ((length & ~0x7FL) != 0) {
      prefix.writeByte((int) ((length & 0x7F) | 0x80));
      length >>>= 7;
    }
    prefix.writeByte((int) length);
    out.add(prefix);
    out.add(msg.retain()); // MessageToMessageEncoder releases msg once; the retain keeps it for the write
  }
}
