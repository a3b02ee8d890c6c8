package io.canopy.p2p.ping;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Answers pings on one stream: every 32 bytes received are written back unchanged, until the
 * pinger half-closes. Holds at most one partial payload (under 32 bytes), so a peer cannot make it
 * buffer.
 */
public final class PingResponder extends ChannelInboundHandlerAdapter {
  private ByteBuf partial;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      while (in.isReadable()) {
        if (partial == null) {
          partial = ctx.alloc().buffer(Ping.PAYLOAD_SIZE, Ping.PAYLOAD_SIZE);
        }
        in.readBytes(partial, Math.min(partial.writableBytes(), in.readableBytes()));
        if (!partial.isWritable()) {
          ctx.write(partial); // ownership passes to the write
          partial = null;
        }
      }
      ctx.flush();
    } finally {
      in.release();
    }
  }

  /** The pinger is done when it half-closes: close our side too, so the stream is freed at once. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }
}
